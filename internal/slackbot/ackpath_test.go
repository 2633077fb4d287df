package slackbot

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/access"
)

// countingTransport records every request sent through it, then forwards
// it to next.
type countingTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []string // "METHOD host path"
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.reqs = append(c.reqs, r.Method+" "+r.URL.Host+" "+r.URL.Path)
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *countingTransport) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.reqs...)
}

// TestAckPathCallsOnlyTheGroupLookup proves that the ack path makes no
// Atlas call and no Slack Web API call except the cached user-group lookup.
// Every HTTP client built with defaults (slack-go's, the Atlas client's,
// the reply poster's, http.Get) sends through http.DefaultTransport, which
// the test replaces with one that counts; the group lookup is the real
// SlackGroupMembers and access.SlackGroups against a local Slack that
// counts too. A mix of commands, allowed, denied, dry run, help and usage,
// must send exactly one request: usergroups.users.list, once, for the one
// group a grant needed, then answered from the cache.
func TestAckPathCallsOnlyTheGroupLookup(t *testing.T) {
	var (
		mu      sync.Mutex
		methods []string
	)
	slackAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		methods = append(methods, r.URL.Path+" "+r.Form.Get("usergroup"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/usergroups.users.list" {
			_, _ = w.Write([]byte(`{"ok":false,"error":"unknown_method"}`))
			return
		}
		_, _ = w.Write([]byte(`{"ok":true,"users":["U0PLATFORM"]}`))
	}))
	t.Cleanup(slackAPI.Close)

	// Replacing a global: this test must not run in parallel (none in this
	// package does).
	counter := &countingTransport{next: http.DefaultTransport}
	saved := http.DefaultTransport
	http.DefaultTransport = counter
	t.Cleanup(func() { http.DefaultTransport = saved })

	members := NewSlackGroupMembers(newFakeSecrets(testSecret), slack.OptionAPIURL(slackAPI.URL+"/")) // slack-go's default client
	env := newTestEnv(t, "", access.NewSlackGroups(members, time.Hour, time.Second))

	commands := []struct {
		text, user string
		wantIn     string
	}{
		{"create orders-ws --region VIRGINIA_USA", "U0CREATOR", "Working on it"},                 // user grant: no lookup
		{"create orders-ws --region VIRGINIA_USA --project prod", "U0PLATFORM", "Working on it"}, // group grant: one lookup
		{"list --project prod", "U0PLATFORM", "Working on it"},                                   // the cache answers
		{"describe orders-ws --project prod", "U0READER", "Working on it"},
		{"create orders-ws --region us-east-1 --dry-run", "U0CREATOR", "Dry run"},
		{"create orders-ws --region VIRGINIA_USA --project prod", "U0STRANGER", "Not allowed"}, // cached: not a member
		{"create orders-ws --region VIRGINIA_USA --project prod --dry-run", "U0STRANGER", "Not allowed"},
		{"help", "U0STRANGER", "/stream create"},
		{"create orders_ws --region VIRGINIA_USA", "U0CREATOR", "did you mean orders-ws?"},
	}
	for i, c := range commands {
		// each command is a new request (a replayed trigger_id is "already handled")
		trigger := testTrigger + "." + strconv.Itoa(i)
		a := decodeAck(t, env.serve(signedRequest(slashForm(c.text, "user_id", c.user, "trigger_id", trigger), testSecret, time.Now())))
		if !strings.Contains(a.Text, c.wantIn) {
			t.Errorf("%s by %s: ack %q, want it to contain %q", c.text, c.user, a.Text, c.wantIn)
		}
	}

	host := strings.TrimPrefix(slackAPI.URL, "http://")
	if diff := cmp.Diff([]string{"POST " + host + " /usergroups.users.list"}, counter.requests()); diff != "" {
		t.Errorf("requests sent on the ack path (-want +got):\n%s", diff)
	}
	mu.Lock()
	if diff := cmp.Diff([]string{"/usergroups.users.list S0PLATFORM"}, methods); diff != "" {
		t.Errorf("Slack Web API calls (-want +got):\n%s", diff)
	}
	mu.Unlock()
	if n := len(env.dispatch.Jobs()); n != 4 {
		t.Errorf("dispatched %d Jobs, want 4 (create, create, list, describe)", n)
	}
	if env.secrets.refreshCalls != 0 {
		t.Errorf("the signing secret was re-read %d times, want 0", env.secrets.refreshCalls)
	}
}
