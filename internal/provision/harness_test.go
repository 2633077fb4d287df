package provision_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/testtools"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/motoserver"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/secrets"
	"github.com/streambot/streambot/pkg/atlas"
	"github.com/streambot/streambot/pkg/atlas/atlasspec"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// Values no log line may contain.
const (
	groupID       = "6a1b2c3d4e5f6a7b8c9d0e1f"
	clientID      = "mdb_sa_id_provision0000aaaa"
	clientSecret  = "mdb_sa_sk_ProvisionNotARealSecret"
	rotatedSecret = "mdb_sa_sk_ProvisionRotatedSecret2"
	publicKey     = "provpubkey"
	privateKey    = "7d1c-Provision-NotA-Real-PrivateKey"
	botToken      = "xoxb-9999-8888-ProvisionNotARealToken"
	signingSecret = "provision0signing0secret0value00"
)

var secretValues = []string{clientSecret, rotatedSecret, privateKey, botToken, signingSecret,
	"secret-part", "/commands/" /* every response_url slackrec hands out */}

// suiteLogs collects every log line the workers write during the suite.
var suiteLogs testtools.Buffer

// TestMain runs the suite, then fails it if any log line holds a secret, a
// token, the signing secret or a response_url.
func TestMain(m *testing.M) {
	code := m.Run()
	motoserver.StopShared()
	logs := suiteLogs.String()
	// A full run must have logged jobs, or the check below proves nothing.
	full := flag.Lookup("test.run").Value.String() == ""
	if code == 0 && full && !strings.Contains(logs, `"msg":"job done"`) {
		fmt.Fprintln(os.Stderr, "FAIL: the suite logged no job; the log check would prove nothing")
		code = 1
	}
	for _, v := range secretValues {
		if strings.Contains(logs, v) {
			fmt.Fprintf(os.Stderr, "FAIL: the logs contain %q\n", v)
			code = 1
		}
	}
	os.Exit(code)
}

// fakeClock starts at the real time and moves only when the worker sleeps.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.t = c.t.Add(d)
	return ctx.Err()
}

func (c *fakeClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// fakeSecrets serves Atlas and Slack secrets from function fields.
type fakeSecrets struct {
	mu        sync.Mutex
	atlasFn   func(ctx context.Context) (secrets.Atlas, error)
	refreshFn func(ctx context.Context) (secrets.Atlas, error)
	refreshes int
}

func (f *fakeSecrets) Atlas(ctx context.Context) (secrets.Atlas, error) { return f.atlasFn(ctx) }
func (f *fakeSecrets) RefreshAtlas(ctx context.Context) (secrets.Atlas, error) {
	f.mu.Lock()
	f.refreshes++
	f.mu.Unlock()
	if f.refreshFn == nil {
		return f.atlasFn(ctx)
	}
	return f.refreshFn(ctx)
}
func (f *fakeSecrets) Slack(context.Context) (secrets.Slack, error) {
	return secrets.Slack{SigningSecret: signingSecret, BotToken: botToken}, nil
}

func serviceAccount(context.Context) (secrets.Atlas, error) {
	return secrets.Atlas{ClientID: clientID, ClientSecret: clientSecret}, nil
}

// env is one worker wired to a fresh atlastest and a recording Slack.
type env struct {
	t       testing.TB
	atlas   *atlastest.Server
	slack   *slackrec.Server
	clock   *fakeClock
	secrets *fakeSecrets
	w       *provision.Worker
	logs    *testtools.Buffer // this env's log lines (also copied to suiteLogs)

	specMu   sync.Mutex
	specErrs []error
	creates  [][]byte // the bodies of the create requests sent
}

// recordingTransport keeps the body of every create request (after the
// spec check has seen it).
type recordingTransport struct{ e *env }

func (rt recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/streams") && r.GetBody != nil {
		if b, err := r.GetBody(); err == nil {
			body, _ := io.ReadAll(b)
			rt.e.specMu.Lock()
			rt.e.creates = append(rt.e.creates, body)
			rt.e.specMu.Unlock()
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

type setting struct {
	atlasOpts   []atlastest.Option
	clientOpts  []atlas.Option
	atlasSource func(e *env, cfg provision.AtlasConfig) provision.AtlasSource
	slackSource func(e *env) provision.SlackSource
	deps        func(*provision.Deps)
	quiet       bool // log to io.Discard, skip the spec checks (benchmarks)
}

// newEnv wires a worker. By default the Atlas client tries every call once
// (the worker's own 429 handling is under test) and the sleeps are instant.
func newEnv(t testing.TB, opts ...func(*setting)) *env {
	t.Helper()
	s := setting{clientOpts: []atlas.Option{atlas.WithMaxAttempts(1)}}
	for _, o := range opts {
		o(&s)
	}
	e := &env{t: t, clock: newClock(), logs: &testtools.Buffer{}}
	e.atlas = atlastest.NewServer(t, append([]atlastest.Option{atlastest.WithChecker(atlasspec.Checker{})}, s.atlasOpts...)...)
	e.atlas.AddProject(groupID)
	e.atlas.AddServiceAccount(clientID, clientSecret)
	e.atlas.AddAPIKey(publicKey, privateKey)
	e.slack = slackrec.New(t, botToken)
	e.secrets = &fakeSecrets{atlasFn: serviceAccount}

	hc := &http.Client{Transport: atlasspec.CheckingTransport(recordingTransport{e}, func(err error) {
		e.specMu.Lock()
		defer e.specMu.Unlock()
		e.specErrs = append(e.specErrs, err)
	})}
	if s.quiet {
		hc = &http.Client{}
	}
	cfg := provision.AtlasConfig{BaseURL: e.atlas.URL, HTTPClient: hc, Options: s.clientOpts}
	var src provision.AtlasSource = provision.NewAtlasClients(e.secrets, cfg)
	if s.atlasSource != nil {
		src = s.atlasSource(e, cfg)
	}
	var slackSrc provision.SlackSource = provision.NewSlackClients(e.secrets, slack.OptionAPIURL(e.slack.APIURL()))
	if s.slackSource != nil {
		slackSrc = s.slackSource(e)
	}
	var logTo io.Writer = multiWriter{e.logs, &suiteLogs}
	if s.quiet {
		logTo = io.Discard
	}
	d := provision.Deps{
		Atlas:       src,
		Slack:       slackSrc,
		Now:         e.clock.Now,
		Sleep:       e.clock.Sleep,
		SlackAPIURL: e.slack.APIURL(), // its response_urls are on the same origin
		Logger:      slog.New(slog.NewJSONHandler(logTo, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if s.deps != nil {
		s.deps(&d)
	}
	w, err := provision.NewWorker(d)
	if err != nil {
		t.Fatalf("NewWorker() error = %v", err)
	}
	e.w = w
	t.Cleanup(func() {
		e.specMu.Lock()
		defer e.specMu.Unlock()
		// Injected faults make Atlas's answers break the spec on purpose;
		// every request the worker sends must follow it.
		for _, err := range e.specErrs {
			if strings.HasPrefix(err.Error(), "atlasspec: request") {
				t.Errorf("a request to Atlas violates the spec: %v", err)
			}
		}
	})
	return e
}

type multiWriter []io.Writer

func (m multiWriter) Write(p []byte) (int, error) {
	for _, w := range m {
		w.Write(p)
	}
	return len(p), nil
}

// job returns a create Job from Slack for orders-ws.
func (e *env) job(mods ...func(*provision.Job)) provision.Job {
	j := provision.Job{
		ID: "3f1a.trigger", GroupID: groupID, ProjectAlias: "dev", Name: "orders-ws",
		Provider: "AWS", Region: "VIRGINIA_USA", Tier: "SP30", MaxTier: "SP50",
		Slack: &provision.SlackTarget{TeamID: "T0001", ChannelID: "C0123ABCD", UserID: "U012ABCDEF",
			UserName: "ana", ResponseURL: e.slack.ResponseURL("job"), Command: "/stream"},
		RequestedAt: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
	}
	for _, m := range mods {
		m(&j)
	}
	return j
}

// handle runs the worker with a 30 s deadline.
func (e *env) handle(j provision.Job) (*provision.Result, error) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e.w.Handle(ctx, j)
}

// finals returns the answers delivered for the Job: thread replies and
// response_url posts (the parent and its update excluded).
func (e *env) finals() []slackrec.Call {
	var out []slackrec.Call
	for _, c := range e.slack.Delivered() {
		if (c.Method == slackrec.PostMessage && c.ThreadTS != "") || c.Method == slackrec.ResponseURL {
			out = append(out, c)
		}
	}
	return out
}

// final asserts exactly one final answer and returns its text and blocks.
func (e *env) final() slackrec.Call {
	e.t.Helper()
	f := e.finals()
	if len(f) != 1 {
		e.t.Fatalf("final answers = %d, want exactly 1; calls: %+v", len(f), e.slack.Calls())
	}
	return f[0]
}

// parents returns the delivered parent posts and updates.
func (e *env) parents() (posts, updates []slackrec.Call) {
	for _, c := range e.slack.Delivered() {
		switch {
		case c.Method == slackrec.PostMessage && c.ThreadTS == "":
			posts = append(posts, c)
		case c.Method == slackrec.Update:
			updates = append(updates, c)
		}
	}
	return posts, updates
}

// contains fails the test unless every want is in the message's text or
// blocks.
func contains(t *testing.T, c slackrec.Call, wants ...string) {
	t.Helper()
	all := c.Text + "\n" + string(c.Blocks)
	for _, w := range wants {
		if !strings.Contains(all, w) {
			t.Errorf("answer lacks %q:\ntext: %s\nblocks: %s", w, c.Text, c.Blocks)
		}
	}
}
