package reply_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/streambot/streambot/internal/reply"
)

// A Job's response_url is whatever the Job says, and anyone allowed to
// invoke the worker writes Jobs: the poster must post only to Slack (or
// the configured local Slack), follow no redirect, and never hand back
// the remote's body.
func TestRespondPostsOnlyToSlack(t *testing.T) {
	var hits atomic.Int32
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte("internal-metadata-secret"))
	}))
	t.Cleanup(attacker.Close)
	// A local Slack (SLACK_API_URL) whose response_url redirects.
	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/commands/redirect":
			http.Redirect(w, r, attacker.URL+"/stolen", http.StatusTemporaryRedirect)
		default:
			w.WriteHeader(http.StatusGone)
			w.Write([]byte("remote-body-text"))
		}
	}))
	t.Cleanup(local.Close)

	p := reply.NewPoster(nil, nil, reply.WithSlackAPIURL(local.URL+"/api/"))
	for _, u := range []string{attacker.URL + "/commands/T/1/x", local.URL + "/commands/redirect"} {
		if err := p.Respond(context.Background(), u, reply.Ephemeral, final); err == nil {
			t.Errorf("Respond(%s) = nil, want an error", u)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the foreign server got %d requests, want 0", n)
	}
	err := p.Respond(context.Background(), local.URL+"/commands/gone", reply.Ephemeral, final)
	if err == nil || strings.Contains(err.Error(), "remote-body-text") {
		t.Errorf("Respond() to a 410 = %v, want an error without the remote's body", err)
	}
}

func TestCheckResponseURL(t *testing.T) {
	const local = "http://127.0.0.1:3001/api/"
	tests := []struct {
		url, apiURL string
		ok          bool
	}{
		{"https://hooks.slack.com/commands/T1/123/abc", "", true},
		{"https://hooks.slack.com/actions/T1/123/abc", "https://slack.com/api/", true},
		{"https://HOOKS.SLACK.COM/commands/T1/123/abc", "", true},
		{"https://hooks.slack-gov.com/commands/T1/123/abc", "", true},
		{"http://127.0.0.1:3001/commands/T1/1/x", local, true},
		{"http://hooks.slack.com/commands/T1/123/abc", "", false},            // not https
		{"https://hooks.slack.com:8443/commands/T1/123/abc", "", false},      // another port
		{"https://user:pw@hooks.slack.com/commands/T1/123/abc", "", false},   // user info
		{"https://hooks.slack.com.evil.test/commands/T1/123/abc", "", false}, // a look-alike host
		{"https://evil.test/hooks.slack.com/commands/T1/123/abc", "", false},
		{"https://slack.com/commands/T1/123/abc", "", false},
		{"http://169.254.169.254/latest/meta-data/", "", false},
		{"http://127.0.0.1:3002/commands/T1/1/x", local, false}, // another port than SLACK_API_URL's
		{"https://127.0.0.1:3001/commands/T1/1/x", local, false},
		{"http://127.0.0.1:3001/commands/T1/1/x", "", false},
		{"hooks.slack.com/commands/T1/123/abc", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		err := reply.CheckResponseURL(tc.url, tc.apiURL)
		if (err == nil) != tc.ok {
			t.Errorf("CheckResponseURL(%q, %q) = %v, want ok %v", tc.url, tc.apiURL, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, reply.ErrResponseURLRefused) || (tc.url != "" && strings.Contains(err.Error(), tc.url))) {
			t.Errorf("CheckResponseURL(%q) error = %v, want ErrResponseURLRefused without the URL", tc.url, err)
		}
	}
}
