package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/slackbot"
	"github.com/streambot/streambot/pkg/atlas"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// TestProcessorsByCommandAndClick is the processor commands' whole road
// through the built bootstraps: processors lists them with Start and
// Stop…; a reader of prod is refused; stop shows a confirmation and stops
// nothing; the Stop click, arriving twice, stops the processor once and
// answers in the confirmation's thread; start starts it again; the list's
// Start button starts the other one and its Stop… button asks again;
// processor and connections answer; and the delete confirmation counts the
// processors through Atlas.
func TestProcessorsByCommandAndClick(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	s.command(slash{Text: "create solar-ws --region VIRGINIA_USA --tier SP10 --sample-solar"})
	s.settle()
	for _, p := range []atlastest.Processor{
		{Name: "solarDemo", State: atlas.ProcessorStarted},
		{Name: "solarAlerts", State: atlas.ProcessorStopped},
	} {
		if err := s.atlas.AddProcessor(devGroupID, "solar-ws", p); err != nil {
			t.Fatal(err)
		}
	}

	resp, _ := s.command(slash{Text: "processors solar-ws"})
	if text := ackText(t, resp); !strings.Contains(text, "listing the stream processors of `solar-ws`") {
		t.Errorf("ack = %q", text)
	}
	s.settle()
	var list *slackrec.Call
	for _, c := range s.slack.Delivered(slackrec.ResponseURL) {
		if strings.Contains(c.Text, "2 stream processors in workspace solar-ws") {
			list = &c
		}
	}
	if list == nil {
		t.Fatalf("no processors list:\n%s", describeCalls(s.slack.Calls()))
	}
	for _, want := range []string{`"action_id":"streambot.ask.stop"`, `"action_id":"streambot.ask.start"`, "solarDemo", "solarAlerts", "STARTED", "STOPPED"} {
		if !strings.Contains(string(list.Blocks), want) {
			t.Errorf("the list lacks %s: %s", want, list.Blocks)
		}
	}

	startButton := clickIn(t, s.slack, slackrec.ResponseURL, "streambot.ask.start", creator) // solarAlerts's

	s.command(slash{Text: "processor solar-ws solarDemo"})
	s.command(slash{Text: "connections solar-ws"})
	s.settle()
	for _, want := range []string{"Stream processor solarDemo in workspace solar-ws", "1 connection in workspace solar-ws"} {
		found := false
		for _, c := range s.slack.Delivered(slackrec.ResponseURL) {
			found = found || strings.Contains(c.Text, want)
		}
		if !found {
			t.Errorf("no answer with %q:\n%s", want, describeCalls(s.slack.Calls()))
		}
	}

	resp, _ = s.command(slash{Text: "processors solar-ws --project prod", UserID: reader})
	if text := ackText(t, resp); !strings.Contains(text, "Not allowed") {
		t.Errorf("a read-only reader's processors ack = %q, want a denial", text)
	}

	s.command(slash{Text: "stop solar-ws solarDemo"})
	s.settle()
	if n := s.atlas.Calls(atlastest.OpStopProcessor); n != 0 {
		t.Fatalf(":stop calls after the command = %d, want 0 before a click", n)
	}
	click := confirmation(t, s.slack, "streambot.confirm.stop", creator)
	body := slackbot.ClickBody(click)
	for range 2 {
		if resp := s.invoke(apiEventTo("/slack/interactions", body, s.signingSecret, time.Now())); resp.StatusCode != http.StatusOK {
			t.Fatalf("click answered %d", resp.StatusCode)
		}
	}
	s.settle()
	if n := s.atlas.Calls(atlastest.OpStopProcessor); n != 1 {
		t.Errorf(":stop calls = %d, want exactly 1", n)
	}
	if st, _ := s.atlas.ProcessorState(devGroupID, "solar-ws", "solarDemo"); st != atlas.ProcessorStopped {
		t.Errorf("state after the stop = %s, want STOPPED", st)
	}
	if !threadHas(s.slack, click.MessageTS, "Stream processor solarDemo in workspace solar-ws stopped. Atlas now reports STOPPED") {
		t.Errorf("no 'stopped' reply in the confirmation's thread:\n%s", describeCalls(s.slack.Calls()))
	}

	s.command(slash{Text: "start solar-ws solarDemo"})
	s.settle()
	if n := s.atlas.Calls(atlastest.OpStartProcessor); n != 1 {
		t.Errorf(":start calls = %d, want 1", n)
	}
	if st, _ := s.atlas.ProcessorState(devGroupID, "solar-ws", "solarDemo"); st != atlas.ProcessorStarted {
		t.Errorf("state after the start = %s, want STARTED", st)
	}
	if !threadHas(s.slack, "", "Stream processor solarDemo in workspace solar-ws started. Atlas now reports STARTED") {
		t.Errorf("no 'started' reply in a thread:\n%s", describeCalls(s.slack.Calls()))
	}

	// The list's Start button starts the processor it names, as the
	// clicker; its Stop… button asks for a confirmation, as a typed stop.
	if resp := s.invoke(apiEventTo("/slack/interactions", slackbot.ClickBody(startButton), s.signingSecret, time.Now())); resp.StatusCode != http.StatusOK {
		t.Fatalf("Start click answered %d", resp.StatusCode)
	}
	s.settle()
	if st, _ := s.atlas.ProcessorState(devGroupID, "solar-ws", "solarAlerts"); st != atlas.ProcessorStarted {
		t.Errorf("state after the Start click = %s, want STARTED", st)
	}
	stopButton := clickIn(t, s.slack, slackrec.ResponseURL, "streambot.ask.stop", creator)
	if resp := s.invoke(apiEventTo("/slack/interactions", slackbot.ClickBody(stopButton), s.signingSecret, time.Now())); resp.StatusCode != http.StatusOK {
		t.Fatalf("Stop… click answered %d", resp.StatusCode)
	}
	s.settle()
	if again := confirmation(t, s.slack, "streambot.confirm.stop", creator); again.MessageTS == click.MessageTS {
		t.Errorf("the Stop… click posted no new confirmation")
	}
	if n := s.atlas.Calls(atlastest.OpStopProcessor); n != 1 {
		t.Errorf(":stop calls after the Stop… click = %d, want still 1 (it only asks)", n)
	}

	s.command(slash{Text: "delete solar-ws"})
	s.settle()
	ask := confirmation(t, s.slack, "streambot.confirm.delete", creator)
	for _, c := range s.slack.Delivered(slackrec.PostMessage) {
		if c.TS == ask.MessageTS && !strings.Contains(c.Text, "processors: 2 (2 running), connections: 1") {
			t.Errorf("the delete confirmation does not count through Atlas: %s", c.Text)
		}
	}
}

// threadHas reports whether a thread reply (under ts, or any thread when
// ts is empty) contains s.
func threadHas(sl *slackrec.Server, ts, s string) bool {
	for _, c := range sl.Delivered(slackrec.PostMessage) {
		if c.ThreadTS != "" && (ts == "" || c.ThreadTS == ts) && strings.Contains(c.Text, s) {
			return true
		}
	}
	return false
}
