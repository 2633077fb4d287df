package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/slackbot"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// confirmation finds the latest channel message with a button whose
// action_id is actionID and returns the click on it by user.
func confirmation(t *testing.T, sl *slackrec.Server, actionID, user string) slackbot.Click {
	t.Helper()
	return clickIn(t, sl, slackrec.PostMessage, actionID, user)
}

// clickIn finds the latest message delivered by method (a channel message,
// or a response_url answer), not a thread reply, with a button whose
// action_id is actionID, in an actions block or as a section's accessory,
// and returns the click on it by user.
func clickIn(t *testing.T, sl *slackrec.Server, method, actionID, user string) slackbot.Click {
	t.Helper()
	calls := sl.Delivered(method)
	for i := len(calls) - 1; i >= 0; i-- {
		if click, ok := buttonClick(sl, calls[i], actionID, user); ok {
			return click
		}
	}
	t.Fatalf("no message with a %s button:\n%s", actionID, describeCalls(sl.Calls()))
	return slackbot.Click{}
}

// buttonClick returns the click by user on c's button whose action_id is
// actionID, if c is not a thread reply and has one.
func buttonClick(sl *slackrec.Server, c slackrec.Call, actionID, user string) (slackbot.Click, bool) {
	if c.ThreadTS != "" {
		return slackbot.Click{}, false
	}
	b, ok := c.Button(actionID)
	if !ok {
		return slackbot.Click{}, false
	}
	channel := c.Channel
	if channel == "" { // a response_url answer: the command's channel
		channel = channelID
	}
	return slackbot.Click{TeamID: teamID, ChannelID: channel, UserID: user, UserName: strings.ToLower(user),
		ActionID: b.ActionID, BlockID: b.BlockID, Value: b.Value, MessageTS: c.TS,
		ResponseURL: sl.ResponseURL("click-" + randomHex(6)), TriggerID: "click." + randomHex(8)}, true
}

// TestDeleteByClick is the delete's whole road through the built
// bootstraps: /stream delete shows a confirmation and deletes nothing; a
// signed block_actions event through the Slack function reaches the
// worker as a Job; the worker deletes exactly once although the click
// arrives three times (a double click and a replay), replies in the
// confirmation's thread and re-renders it without buttons.
func TestDeleteByClick(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	s.command(slash{Text: "create orders-ws --region VIRGINIA_USA --tier SP10"})
	s.settle()
	if _, ok := s.atlas.Workspace(devGroupID, "orders-ws"); !ok {
		t.Fatal("the create did not happen")
	}
	s.command(slash{Text: "delete orders-ws"})
	s.settle()
	if n := s.atlas.Calls(atlastest.OpDeleteStream); n != 0 {
		t.Fatalf("DELETE calls after the command = %d, want 0 before a click", n)
	}
	click := confirmation(t, s.slack, "streambot.confirm.delete", creator)

	// Someone the policy does not allow clicks first: refused privately.
	other := click
	other.UserID, other.TriggerID = reader, "click."+randomHex(8)
	if resp := s.invoke(apiEventTo("/slack/interactions", slackbot.ClickBody(other), s.signingSecret, time.Now())); resp.StatusCode != http.StatusOK {
		t.Fatalf("refused click answered %d, want 200", resp.StatusCode)
	}
	// The requester clicks, twice, and the click is replayed.
	body := slackbot.ClickBody(click)
	for range 3 {
		resp := s.invoke(apiEventTo("/slack/interactions", body, s.signingSecret, time.Now()))
		if resp.StatusCode != http.StatusOK || resp.Body != "" {
			t.Fatalf("click answered %d %q, want an empty 200", resp.StatusCode, resp.Body)
		}
	}
	s.settle()

	if n := s.atlas.Calls(atlastest.OpDeleteStream); n != 1 {
		t.Errorf("DELETE calls = %d, want exactly 1", n)
	}
	if _, ok := s.atlas.Workspace(devGroupID, "orders-ws"); ok {
		t.Error("the workspace still exists")
	}
	var clickJobs, notices, decided int
	for _, r := range s.relay.Results() {
		var job struct {
			Action string `json:"action"`
			Click  *struct {
				Step      string `json:"step"`
				MessageTS string `json:"message_ts"`
			} `json:"click"`
		}
		var res struct{ Outcome string }
		if err := json.Unmarshal(r.Payload, &job); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal(r.Response, &res)
		switch {
		case job.Action == "notice":
			notices++
		case job.Click != nil:
			clickJobs++
			if job.Action != "delete" || job.Click.Step != "confirm" || job.Click.MessageTS != click.MessageTS {
				t.Errorf("click job %s", r.Payload)
			}
			if res.Outcome == "already_decided" {
				decided++
			}
		}
	}
	if clickJobs != 3 || decided != 2 || notices != 1 {
		t.Errorf("the worker got %d click Jobs (%d already decided) and %d notices; want 3 (2) and 1", clickJobs, decided, notices)
	}
	var deleted bool
	for _, c := range s.slack.Delivered(slackrec.PostMessage) {
		if c.ThreadTS == click.MessageTS && strings.Contains(c.Text, "Deleted stream workspace orders-ws") {
			deleted = true
		}
	}
	if !deleted {
		t.Errorf("no 'deleted' reply in the confirmation's thread:\n%s", describeCalls(s.slack.Calls()))
	}
	var rerendered bool
	for _, c := range s.slack.Delivered(slackrec.Update) {
		if c.TS == click.MessageTS && strings.Contains(c.Text, "confirmed by") && !strings.Contains(string(c.Blocks), `"actions"`) {
			rerendered = true
		}
	}
	if !rerendered {
		t.Error("the confirmation was not re-rendered without buttons")
	}
	var refused bool
	for _, c := range s.slack.Delivered(slackrec.ResponseURL) {
		refused = refused || (c.ResponseType == "ephemeral" && strings.Contains(c.Text, "Not allowed"))
	}
	if !refused {
		t.Error("the refused click got no private answer")
	}
}

// TestUpdateByClick: /stream update shows before → after and changes
// nothing; Apply, clicked through the Slack function, PATCHes once with the
// spec's body.
func TestUpdateByClick(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	s.command(slash{Text: "create orders-ws --region VIRGINIA_USA --tier SP10"})
	s.settle()
	resp, _ := s.command(slash{Text: "update orders-ws --tier SP30 --max-tier SP50"})
	if text := ackText(t, resp); !strings.Contains(text, "nothing changes before you click Apply") {
		t.Errorf("ack = %q", text)
	}
	s.settle()
	if n := s.atlas.Calls(atlastest.OpUpdateStream); n != 0 {
		t.Fatalf("PATCH calls before Apply = %d", n)
	}
	click := confirmation(t, s.slack, "streambot.confirm.update", creator)
	if resp := s.invoke(apiEventTo("/slack/interactions", slackbot.ClickBody(click), s.signingSecret, time.Now())); resp.StatusCode != http.StatusOK {
		t.Fatalf("click answered %d", resp.StatusCode)
	}
	s.settle()
	ws, _ := s.atlas.Workspace(devGroupID, "orders-ws")
	if n := s.atlas.Calls(atlastest.OpUpdateStream); n != 1 || ws.StreamConfig == nil ||
		ws.StreamConfig.Tier != "SP30" || ws.StreamConfig.MaxTierSize != "SP50" {
		t.Errorf("PATCH calls = %d, workspace config %+v; want one PATCH to SP30 (max SP50)", n, ws.StreamConfig)
	}
}
