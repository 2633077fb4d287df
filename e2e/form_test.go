package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streambot/streambot/internal/form"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// submitForm sends the submission of view viewID by user with values,
// signed, through the Slack function, and returns its answer.
func (s *stack) submitForm(viewID, user string, values map[string]string) events.APIGatewayV2HTTPResponse {
	s.t.Helper()
	payload, err := s.slack.ViewSubmission(viewID, teamID, user, values)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.invoke(apiEventTo("/slack/interactions", url.Values{"payload": {string(payload)}}.Encode(), s.signingSecret, time.Now()))
}

// openedViews are the views the recording Slack opened.
func openedViews(sl *slackrec.Server) []slackrec.Call {
	var out []slackrec.Call
	for _, c := range sl.Calls(slackrec.ViewsOpen) {
		if !c.Failed {
			out = append(out, c)
		}
	}
	return out
}

// TestFormUnderEmulator runs the create form through the built bootstraps:
// `/stream create` with no arguments makes the Slack function call
// views.open (the recording Slack validates the view) and acknowledge with
// an empty 200; a submission with a bad name comes back with the error on
// the field and reaches nobody; the corrected one closes the form, its Job
// reaches the worker, the workspace is created and the thread answers in
// the command's channel; a second form with the taken name is answered in
// the thread by the worker; an expired trigger_id gets the private
// fallback.
func TestFormUnderEmulator(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})

	open := func() slackrec.Call {
		t.Helper()
		before := len(openedViews(s.slack))
		resp, trigger := s.command(slash{Text: "create"})
		if resp.StatusCode != http.StatusOK || resp.Body != "" {
			t.Fatalf("/stream create answered %d %q, want an empty 200", resp.StatusCode, resp.Body)
		}
		views := openedViews(s.slack)
		if len(views) != before+1 || views[before].TriggerID != trigger {
			t.Fatalf("views.open calls %+v, want one with the command's trigger_id %s", s.slack.Calls(slackrec.ViewsOpen), trigger)
		}
		return views[before]
	}
	view := open()
	var m struct {
		PrivateMetadata string `json:"private_metadata"`
	}
	if err := json.Unmarshal(view.View, &m); err != nil || !strings.HasPrefix(m.PrivateMetadata, "v1|"+channelID+"|"+creator+"|") {
		t.Errorf("private_metadata = %q (%v), want the command's channel and user", m.PrivateMetadata, err)
	}

	values := map[string]string{form.BlockName: "orders_ws", form.BlockRegion: "VIRGINIA_USA", form.BlockTier: "SP10"}
	resp := s.submitForm(view.ViewID, creator, values)
	var errs struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &errs); err != nil || resp.StatusCode != http.StatusOK || errs.ResponseAction != "errors" ||
		!strings.Contains(errs.Errors[form.BlockName], "did you mean orders-ws?") {
		t.Fatalf("bad submission answered %d %q, want the error on the name", resp.StatusCode, resp.Body)
	}
	s.settle()
	if n := s.relay.Invocations(); n != 0 {
		t.Fatalf("%d Jobs reached the worker for a refused form", n)
	}

	values[form.BlockName] = "orders-ws"
	if resp := s.submitForm(view.ViewID, creator, values); resp.StatusCode != http.StatusOK || resp.Body != "" {
		t.Fatalf("submission answered %d %q, want an empty 200 (the form closes)", resp.StatusCode, resp.Body)
	}
	s.settle()
	ws, ok := s.atlas.Workspace(devGroupID, "orders-ws")
	if !ok || ws.StreamConfig == nil || ws.StreamConfig.Tier != "SP10" {
		t.Fatalf("Atlas holds %+v (%v), want orders-ws at SP10", ws, ok)
	}
	answer := s.oneAnswer()
	if answer.Channel != channelID || answer.ThreadTS == "" || !strings.Contains(answer.Text, "orders-ws") {
		t.Errorf("answer %+v, want a thread reply in %s", answer, channelID)
	}

	// The same name again: the edge cannot know it is taken; the worker
	// says so in the thread, and nothing is created twice.
	view2 := open()
	if resp := s.submitForm(view2.ViewID, creator, values); resp.StatusCode != http.StatusOK || resp.Body != "" {
		t.Fatalf("second submission answered %d %q", resp.StatusCode, resp.Body)
	}
	s.settle()
	answers := finalAnswers(s.slack)
	if len(answers) != 2 || !strings.Contains(answers[1].Text, "already exist") || answers[1].ThreadTS == "" {
		t.Errorf("answers %s, want the second in a thread saying orders-ws already exists", describeCalls(answers))
	}
	if n := s.atlas.Calls(atlastest.OpCreateStream); n > 1 {
		t.Errorf("Atlas got %d creates, want at most one", n)
	}

	// A channel the bot is not in: the form's Job has no response_url to
	// fall back to, so the answer goes to the person's direct message.
	view3 := open()
	s.slack.Inject(slackrec.PostMessage, slackrec.Fault{Times: 1, Error: "not_in_channel"})
	values[form.BlockName] = "lonely-ws"
	if resp := s.submitForm(view3.ViewID, creator, values); resp.Body != "" {
		t.Fatalf("third submission answered %q", resp.Body)
	}
	s.settle()
	answers = finalAnswers(s.slack)
	if last := answers[len(answers)-1]; len(answers) != 3 || last.Channel != creator || !strings.Contains(last.Text, "lonely-ws") {
		t.Errorf("answers %s, want the third in %s's direct message", describeCalls(answers), creator)
	}

	// A trigger_id that expired on the way: the private fallback.
	s.slack.Inject(slackrec.ViewsOpen, slackrec.Fault{Times: 1, Error: "expired_trigger_id"})
	resp, _ = s.command(slash{Text: "create"})
	if text := ackText(t, resp); !strings.Contains(text, "could not open in time") || !strings.Contains(text, form.FallbackExample) {
		t.Errorf("ack after an expired trigger_id = %q, want the fallback", text)
	}
}

// TestShortcutFormUnderEmulator opens the form from the global shortcut
// (with the channel picker) and submits it without a channel: the thread
// goes to a direct message with the person.
func TestShortcutFormUnderEmulator(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	payload, _ := json.Marshal(map[string]any{
		"type": "shortcut", "callback_id": form.CallbackID, "trigger_id": "shortcut." + randomHex(8),
		"team": map[string]any{"id": teamID}, "user": map[string]any{"id": creator, "username": "creator", "team_id": teamID},
	})
	resp := s.invoke(apiEventTo("/slack/interactions", url.Values{"payload": {string(payload)}}.Encode(), s.signingSecret, time.Now()))
	views := openedViews(s.slack)
	if resp.StatusCode != http.StatusOK || resp.Body != "" || len(views) != 1 || !strings.Contains(string(views[0].View), `"conversations_select"`) {
		t.Fatalf("shortcut answered %d %q with views %+v, want an empty 200 and the form with a channel picker", resp.StatusCode, resp.Body, views)
	}
	if resp := s.submitForm(views[0].ViewID, creator, map[string]string{form.BlockName: "dm-ws", form.BlockRegion: "OHIO_USA"}); resp.Body != "" {
		t.Fatalf("submission answered %q", resp.Body)
	}
	s.settle()
	if _, ok := s.atlas.Workspace(devGroupID, "dm-ws"); !ok {
		t.Fatal("dm-ws was not created")
	}
	answer := s.oneAnswer()
	if answer.Channel != slackrec.DMChannel(creator) || answer.ThreadTS == "" {
		t.Errorf("answer %+v, want a thread reply in the direct message %s", answer, slackrec.DMChannel(creator))
	}
}
