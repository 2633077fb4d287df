package slackrec_test

import (
	"context"
	"errors"
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
