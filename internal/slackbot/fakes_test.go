package slackbot

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/secrets"
)

// fakeSecrets is a SecretSource: cached is what Slack returns; a refresh
// replaces it with stored when the cache counts as old.
type fakeSecrets struct {
	mu           sync.Mutex
	cached       secrets.Slack
	stored       secrets.Slack // what Secrets Manager holds now
	old          bool          // the cached copy is older than any minAge
	racedTo      string        // set: another request re-read this secret just before RefreshSlack
	err          error         // returned by Slack
	refreshErr   error
	slackCalls   int
	refreshCalls int
	minAges      []time.Duration
}

func newFakeSecrets(secret string) *fakeSecrets {
	s := secrets.Slack{SigningSecret: secret, BotToken: "xoxb-test"}
	return &fakeSecrets{cached: s, stored: s}
}

func (f *fakeSecrets) Slack(context.Context) (secrets.Slack, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slackCalls++
	return f.cached, f.err
}

func (f *fakeSecrets) RefreshSlack(_ context.Context, minAge time.Duration) (secrets.Slack, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refreshCalls++
	f.minAges = append(f.minAges, minAge)
	if f.refreshErr != nil {
		return secrets.Slack{}, false, f.refreshErr
	}
	if f.racedTo != "" {
		f.cached.SigningSecret, f.old = f.racedTo, false
	}
	if !f.old {
		return f.cached, false, nil
	}
	f.cached, f.old = f.stored, false
	return f.cached, true, nil
}

// fakeDispatcher records the Jobs it is given; dispatchFn, when set,
// decides the result.
type fakeDispatcher struct {
	mu         sync.Mutex
	jobs       []provision.Job
	deadlines  []bool // whether each Dispatch ctx had a deadline
	dispatchFn func(ctx context.Context, job provision.Job) error
}

func (d *fakeDispatcher) Dispatch(ctx context.Context, job provision.Job) error {
	d.mu.Lock()
	d.jobs = append(d.jobs, job)
	_, ok := ctx.Deadline()
	d.deadlines = append(d.deadlines, ok)
	fn := d.dispatchFn
	d.mu.Unlock()
	if fn != nil {
		return fn(ctx, job)
	}
	return nil
}

// hangingDispatch is a dispatchFn for a hung invoke: it returns when its
// context ends, or fails the hand-off (as what) after ten seconds, so
// that a context that never ends fails a test rather than hangs it.
func hangingDispatch(what string) func(context.Context, provision.Job) error {
	return func(ctx context.Context, _ provision.Job) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Second):
			return errors.New(what + " was not bounded by the ack budget")
		}
	}
}

func (d *fakeDispatcher) Jobs() []provision.Job {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]provision.Job(nil), d.jobs...)
}

// fakeGroups is an access.GroupLookup with fixed memberships.
type fakeGroups struct {
	members map[string][]string // group ID → user IDs
	err     error
}

func (g *fakeGroups) IsMember(_ context.Context, groupID, userID string) (bool, error) {
	if g.err != nil {
		return false, g.err
	}
	for _, u := range g.members[groupID] {
		if u == userID {
			return true, nil
		}
	}
	return false, nil
}

const (
	testSecret   = "8f742231b10e8888abcd99yyyzzz85a5"
	devGroupID   = "6a1b2c3d4e5f6a7b8c9d0e1f"
	prodGroupID  = "5f1a2b3c4d5e6f7a8b9c0d1e"
	noAliasGroup = "abcdefabcdefabcdefabcdef"
	testTrigger  = "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	testRespURL  = "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN"
)

const testPolicy = `
projects:
  dev: ` + devGroupID + `
  prod: ` + prodGroupID + `
default_project: dev
channels:
  C0PROD: prod
grants:
  - subjects: [user:U0CREATOR]
    projects: [dev, ` + noAliasGroup + `]
    role: GROUP_STREAM_PROCESSING_OWNER
  - subjects: [user:U0READER]
    projects: [prod]
    role: GROUP_READ_ONLY
  - subjects: [group:S0PLATFORM]
    projects: [prod]
    role: GROUP_OWNER
`

func loadPolicy(t testing.TB, extra string) *access.Policy {
	t.Helper()
	p, err := access.Load([]byte(testPolicy + extra))
	if err != nil {
		t.Fatalf("access.Load: %v", err)
	}
	return p
}

// slashForm is a slash-command body as Slack sends it, with fields
// overridden by kv pairs.
func slashForm(text string, kv ...string) string {
	v := url.Values{
		"token":        {"xyzz0WbapA4vBCDEFasx0q6G"},
		"team_id":      {"T1DC2JH3J"},
		"team_domain":  {"testteamnow"},
		"channel_id":   {"C0DEV"},
		"channel_name": {"dev-ops"},
		"user_id":      {"U0CREATOR"},
		"user_name":    {"roadrunner"},
		"command":      {"/stream"},
		"text":         {text},
		"api_app_id":   {"A123"},
		"response_url": {testRespURL},
		"trigger_id":   {testTrigger},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	return v.Encode()
}

// signedRequest is a POST signed with secret at time at.
func signedRequest(body, secret string, at time.Time) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
	ts := strconv.FormatInt(at.Unix(), 10)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", sign(secret, ts, []byte(body)))
	return r
}
