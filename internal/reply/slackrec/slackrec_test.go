package slackrec_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/reply/slackrec"
)

func TestServer(t *testing.T) {
	rec := slackrec.New(t, "xoxb-ok")
	rec.AddUser("U1", "ana@example.com")
	rec.Inject(slackrec.PostMessage, slackrec.Fault{After: 1, Times: 2, Error: "not_in_channel"})
	api := slack.New("xoxb-ok", slack.OptionAPIURL(rec.APIURL()))
	ctx := context.Background()

	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("one", false))
	if err != nil || ts == "" {
		t.Fatalf("first post = %q, %v; want a timestamp", ts, err)
	}
	for i := 0; i < 2; i++ {
		_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("faulted", false))
		var se slack.SlackErrorResponse
		if !errors.As(err, &se) || se.Err != "not_in_channel" {
			t.Fatalf("faulted post error = %v, want not_in_channel", err)
		}
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("two", false), slack.MsgOptionTS(ts)); err != nil {
		t.Fatalf("post after the fault: %v", err)
	}
	u, err := api.GetUserInfoContext(ctx, "U1")
	if err != nil || u.Profile.Email != "ana@example.com" {
		t.Fatalf("users.info = %+v, %v", u, err)
	}
	if _, err := slack.New("xoxb-wrong", slack.OptionAPIURL(rec.APIURL())).GetUserInfoContext(ctx, "U1"); err == nil {
		t.Error("users.info with a wrong token succeeded")
	}
	rec.Inject(slackrec.Update, slackrec.Fault{RetryAfter: "7"})
	_, _, _, err = api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("upd", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter.Seconds() != 7 {
		t.Fatalf("update error = %v, want a 7s rate limit", err)
	}

	var got []string
	for _, c := range rec.Delivered() {
		got = append(got, c.Method+" "+c.Text+" "+c.ThreadTS)
	}
	want := []string{"chat.postMessage one ", "chat.postMessage two " + ts, "users.info  "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delivered calls (-want +got):\n%s", diff)
	}
	if n := len(rec.Calls()); n != 7 {
		t.Errorf("recorded calls = %d, want 7", n)
	}
}

func TestGroupsAndObserver(t *testing.T) {
	rec := slackrec.Start("xoxb-ok")
	defer rec.Close()
	rec.AddGroup("S1", "U1", "U2")
	var seen []string
	rec.OnDelivered(func(c slackrec.Call) { seen = append(seen, c.Method+" "+c.TS) })
	api := slack.New("xoxb-ok", slack.OptionAPIURL(rec.APIURL()))
	ctx := context.Background()

	members, err := api.GetUserGroupMembersContext(ctx, "S1")
	if err != nil {
		t.Fatalf("usergroups.users.list(S1): %v", err)
	}
	if diff := cmp.Diff([]string{"U1", "U2"}, members); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if _, err := api.GetUserGroupMembersContext(ctx, "S404"); err == nil {
		t.Error("usergroups.users.list(S404) succeeded, want no_such_subteam")
	}
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hello", false))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"usergroups.users.list ", "chat.postMessage " + ts}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("observed calls (-want +got):\n%s", diff)
	}
	if got := rec.Delivered(slackrec.PostMessage)[0].TS; got != ts {
		t.Errorf("recorded postMessage TS = %q, want the returned %q", got, ts)
	}
}

func TestResponseURLAndEphemeral(t *testing.T) {
	rec := slackrec.New(t, "xoxb-ok")
	rec.Inject(slackrec.ResponseURL, slackrec.Fault{Status: 404})
	post := func(body string) int {
		t.Helper()
		resp, err := http.Post(rec.ResponseURL("r/1"), "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	msg := `{"text":"hi","response_type":"ephemeral","blocks":[{"type":"section"}]}`
	if got := post(msg); got != http.StatusNotFound {
		t.Errorf("faulted response_url post = %d, want 404", got)
	}
	if got := post(msg); got != http.StatusOK {
		t.Errorf("response_url post = %d, want 200", got)
	}
	if got := post("not json"); got != http.StatusBadRequest {
		t.Errorf("malformed response_url post = %d, want 400", got)
	}

	api := slack.New("xoxb-ok", slack.OptionAPIURL(rec.APIURL()))
	ctx := context.Background()
	if _, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("only you", false)); err != nil {
		t.Fatalf("chat.postEphemeral: %v", err)
	}
	if _, err := api.PostEphemeralContext(ctx, "", "U1", slack.MsgOptionText("x", false)); err == nil {
		t.Error("chat.postEphemeral without a channel succeeded")
	}
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionText("x", false)); err == nil {
		t.Error("chat.postMessage without a channel succeeded")
	}
	if _, err := api.AuthTestContext(ctx); err == nil {
		t.Error("auth.test (not served) succeeded")
	}

	type seen struct{ Method, Text, ResponseType, ResponseID, Channel, User string }
	var got []seen
	for _, c := range rec.Delivered() {
		got = append(got, seen{c.Method, c.Text, c.ResponseType, c.ResponseID, c.Channel, c.User})
	}
	want := []seen{
		{Method: slackrec.ResponseURL, Text: "hi", ResponseType: "ephemeral", ResponseID: "r/1"},
		{Method: slackrec.PostEphemeral, Text: "only you", Channel: "C1", User: "U1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delivered calls (-want +got):\n%s", diff)
	}
	if n := len(rec.Calls()); n != 6 {
		t.Errorf("recorded calls = %d, want 6 (the malformed post is not recorded)", n)
	}
}

func TestCallButton(t *testing.T) {
	c := slackrec.Call{Blocks: json.RawMessage(`[
		{"type":"section","block_id":"row.0","text":{"type":"mrkdwn","text":"x"},
		 "accessory":{"type":"button","action_id":"streambot.ask.start","value":"v-start"}},
		{"type":"actions","block_id":"ask.0","elements":[
		 {"type":"button","action_id":"streambot.confirm.stop","value":"v-stop"},
		 {"type":"button","action_id":"streambot.cancel.stop","value":"v-cancel"}]}]`)}
	for _, tc := range []struct {
		actionID string
		want     slackrec.Button
		ok       bool
	}{
		{"streambot.ask.start", slackrec.Button{ActionID: "streambot.ask.start", BlockID: "row.0", Value: "v-start"}, true},
		{"streambot.cancel.stop", slackrec.Button{ActionID: "streambot.cancel.stop", BlockID: "ask.0", Value: "v-cancel"}, true},
		{"streambot.confirm.delete", slackrec.Button{}, false},
	} {
		if got, ok := c.Button(tc.actionID); got != tc.want || ok != tc.ok {
			t.Errorf("Button(%q) = %+v, %v; want %+v, %v", tc.actionID, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := (slackrec.Call{Blocks: json.RawMessage(`{not json`)}).Button("x"); ok {
		t.Error("Button found a button in malformed blocks")
	}
}
