package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/access"
)

// The stack answers a create and runs its Job against the embedded Atlas
// and the console Slack.
func TestStack(t *testing.T) {
	const secret = "local-secret"
	env := map[string]string{"SLACK_SIGNING_SECRET": secret}
	policy, err := access.Load([]byte(`{"projects": {"dev": "6a1b2c3d4e5f6a7b8c9d0e1f"}, "default_project": "dev",
		"grants": [{"subjects": ["user:U0ALICE"], "projects": ["dev"], "role": "GROUP_OWNER"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := newStack(t.Context(), stackOptions{getenv: func(k string) string { return env[k] }, log: log, policy: policy})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.atlas == nil || s.slack == nil {
		t.Fatalf("atlas = %v, slack = %v; want both embedded without credentials", s.atlas, s.slack)
	}
	srv := httptest.NewServer(s.handler)
	defer srv.Close()

	status, body := postSigned(t, srv.URL, secret, slashRequest{
		Command: "/stream", Text: "create orders-ws --region VIRGINIA_USA", TeamID: "T0", ChannelID: "C0",
		UserID: "U0ALICE", UserName: "alice", ResponseURL: s.slack.ResponseURL("lazy"), TriggerID: "1.2.3",
	})
	if status != http.StatusOK || !strings.Contains(body, "Working on it") {
		t.Fatalf("ack = %d %s, want 200 working on it", status, body)
	}
	s.jobs.Wait()
	var replies []string
	for _, c := range s.slack.Calls() {
		replies = append(replies, c.Text)
	}
	if all := strings.Join(replies, "\n"); !strings.Contains(all, "created") {
		t.Errorf("the Job's Slack messages do not say the workspace was created:\n%s", all)
	}
}

// TestStackKnowsDemoPeople checks that the console Slack knows the demo
// policy's user group, so that under `make serve` a member's group grant
// works and a stranger is simply refused (not "could not be checked"):
// the two hear different reasons, and both whom to ask, as a mention.
func TestStackKnowsDemoPeople(t *testing.T) {
	const secret = "local-secret"
	policy, err := access.Load(demoPolicy)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := newStack(t.Context(), stackOptions{getenv: func(k string) string {
		return map[string]string{"SLACK_SIGNING_SECRET": secret}[k]
	}, log: log, policy: policy})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s.handler)
	defer srv.Close()
	tests := []struct {
		user, text, want string
	}{
		{bob, "list", "Working on it: listing"},
		{bob, "create b-ws --region VIRGINIA_USA", "Not allowed: you have GROUP_READ_ONLY (through <!subteam^S0PLATFORM>) on project dev, but create needs one of GROUP_OWNER, GROUP_DATA_ACCESS_ADMIN, GROUP_STREAM_PROCESSING_OWNER; ask <@U0ALICE>"},
		{mallory, "list", "Not allowed: list on project dev needs a project role, and no grant gives you one; ask <@U0ALICE>"},
	}
	for _, tc := range tests {
		t.Run(tc.user+" "+tc.text, func(t *testing.T) {
			status, body := postSigned(t, srv.URL, secret, slashRequest{
				Command: "/stream", Text: tc.text, TeamID: demoTeam, ChannelID: demoChannel,
				UserID: tc.user, ResponseURL: s.slack.ResponseURL("t"), TriggerID: "1.2.3",
			})
			if !strings.Contains(body, tc.want) {
				t.Errorf("%s: /stream %s = %d %s, want %q", tc.user, tc.text, status, body, tc.want)
			}
		})
	}
	s.jobs.Wait()
}

// postSigned sends sr to url signed with secret and returns the answer's
// status and body.
func postSigned(t *testing.T, url, secret string, sr slashRequest) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, err := newSignedRequest(ctx, url, secret, time.Now(), sr)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}
