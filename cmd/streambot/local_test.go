package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// The lazy embedded Atlas listens at once and builds the simulator on its
// first request only, once.
func TestStartLazyAtlas(t *testing.T) {
	var builds atomic.Int32
	url, stop, err := startLazyAtlas(func() *atlastest.Atlas {
		builds.Add(1)
		return atlastest.New()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("URL = %q, want a 127.0.0.1 origin", url)
	}
	if n := builds.Load(); n != 0 {
		t.Fatalf("built %d times before any request, want 0", n)
	}
	for range 2 {
		resp, err := http.Get(url + "/api/atlas/v2/groups/6a1b2c3d4e5f6a7b8c9d0e1f/streams")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("unauthenticated request: status %d, want the simulator's 401", resp.StatusCode)
		}
	}
	if n := builds.Load(); n != 1 {
		t.Errorf("built %d times after two requests, want 1", n)
	}
}

func TestStartLazyAtlasStopUnbuilt(t *testing.T) {
	url, stop, err := startLazyAtlas(func() *atlastest.Atlas {
		t.Error("built although nothing asked")
		return atlastest.New()
	})
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if _, err := http.Get(url + "/"); err == nil {
		t.Error("the server still answers after stop")
	}
}

// A lazy stack answers the first command without the Atlas and runs the
// Job against it once it is needed, with the same outcome as an eager one.
func TestLazyStack(t *testing.T) {
	for _, lazy := range []bool{false, true} {
		t.Run(map[bool]string{false: "eager", true: "lazy"}[lazy], func(t *testing.T) {
			const secret = "local-secret"
			env := map[string]string{"SLACK_SIGNING_SECRET": secret}
			policy, err := access.Load([]byte(`{"projects": {"dev": "6a1b2c3d4e5f6a7b8c9d0e1f"}, "default_project": "dev",
				"grants": [{"subjects": ["user:U0ALICE"], "projects": ["dev"], "role": "GROUP_OWNER"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			s, err := newStack(stackOptions{getenv: func(k string) string { return env[k] }, log: log, policy: policy, lazy: lazy})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if (s.atlas == nil) != lazy || s.atlasURL == "" {
				t.Fatalf("atlas = %v, atlasURL = %q; want a URL, and a started Atlas only when eager", s.atlas, s.atlasURL)
			}
			srv := httptest.NewServer(s.handler)
			defer srv.Close()

			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			req, err := newSignedRequest(ctx, srv.URL, secret, time.Now(), slashRequest{
				Command: "/stream", Text: "create orders-ws --region VIRGINIA_USA", TeamID: "T0", ChannelID: "C0",
				UserID: "U0ALICE", UserName: "alice", ResponseURL: s.slack.ResponseURL("lazy"), TriggerID: "1.2.3",
			})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Working on it") {
				t.Fatalf("ack = %d %s, want 200 working on it", resp.StatusCode, body)
			}
			s.jobs.Wait()
			var replies []string
			for _, c := range s.slack.Calls() {
				replies = append(replies, c.Text)
			}
			if all := strings.Join(replies, "\n"); !strings.Contains(all, "created") {
				t.Errorf("the Job's Slack messages do not say the workspace was created:\n%s", all)
			}
		})
	}
}
