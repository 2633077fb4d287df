package slackbot

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/access"
)

func TestSlackGroupMembers(t *testing.T) {
	var (
		mu     sync.Mutex
		tokens []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		token := r.Header.Get("Authorization") // slack-go sends the token here or in the form
		if token == "" {
			token = "Bearer " + r.Form.Get("token")
		}
		mu.Lock()
		tokens = append(tokens, token)
		mu.Unlock()
		if r.URL.Path != "/usergroups.users.list" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Form.Get("usergroup") == "S0PLATFORM" {
			_, _ = w.Write([]byte(`{"ok":true,"users":["U0PLATFORM","U0OTHER"]}`))
			return
		}
		_, _ = w.Write([]byte(`{"ok":false,"error":"no_such_subteam"}`))
	}))
	t.Cleanup(srv.Close)

	src := newFakeSecrets(testSecret)
	g := NewSlackGroupMembers(src, slack.OptionAPIURL(srv.URL+"/"), slack.OptionHTTPClient(srv.Client()))

	got, err := g.GetUserGroupMembersContext(t.Context(), "S0PLATFORM")
	if err != nil {
		t.Fatalf("GetUserGroupMembersContext: %v", err)
	}
	if diff := cmp.Diff([]string{"U0PLATFORM", "U0OTHER"}, got); diff != "" {
		t.Errorf("members mismatch (-want +got):\n%s", diff)
	}
	var slackErr slack.SlackErrorResponse
	if _, err := g.GetUserGroupMembersContext(t.Context(), "S0NOPE"); !errors.As(err, &slackErr) || slackErr.Err != "no_such_subteam" {
		t.Errorf("unknown group error = %v, want Slack's no_such_subteam", err)
	}

	// A rotated bot token builds a new client.
	src.mu.Lock()
	src.cached.BotToken = "xoxb-rotated"
	src.mu.Unlock()
	if _, err := g.GetUserGroupMembersContext(t.Context(), "S0PLATFORM"); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	want := []string{"Bearer xoxb-test", "Bearer xoxb-test", "Bearer xoxb-rotated"}
	if diff := cmp.Diff(want, tokens); diff != "" {
		t.Errorf("Authorization headers mismatch (-want +got):\n%s", diff)
	}

	// Wired into the policy through access.SlackGroups, the group grant
	// applies.
	p := loadPolicy(t, "").WithGroups(access.NewSlackGroups(g, time.Minute, time.Second))
	d := p.WithLogger(slogDiscard).Authorize(t.Context(), access.Request{UserID: "U0PLATFORM", ChannelID: "C0DEV", Action: access.ActionCreate, Project: "prod"})
	if !d.Allowed {
		t.Errorf("Authorize(group member) = %+v, want allowed", d)
	}
}

func TestSlackGroupMembersWithoutToken(t *testing.T) {
	src := newFakeSecrets(testSecret)
	src.cached.BotToken = ""
	g := NewSlackGroupMembers(src)
	if _, err := g.GetUserGroupMembersContext(t.Context(), "S0PLATFORM"); !errors.Is(err, errNoBotToken) {
		t.Errorf("error = %v, want %v", err, errNoBotToken)
	}
	wantErr := errors.New("secret unreadable")
	src.err = wantErr
	if _, err := g.GetUserGroupMembersContext(t.Context(), "S0PLATFORM"); !errors.Is(err, wantErr) {
		t.Errorf("error = %v, want %v", err, wantErr)
	}
}
