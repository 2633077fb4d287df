package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/secrets"
	"github.com/streambot/streambot/internal/slackbot"
	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// jobTimeout is what a local Job gets, like the worker function's timeout in
// infra/template.yaml.
const jobTimeout = 2 * time.Minute

// localDispatcher runs each Job in the same process, the way the Lambda
// async invoke hands it to the worker function: Dispatch returns at once
// and the Job runs on its own context, not the request's.
type localDispatcher struct {
	worker *provision.Worker
	wg     sync.WaitGroup
}

// Dispatch starts job in the background.
func (d *localDispatcher) Dispatch(ctx context.Context, job provision.Job) error {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		// The Job outlives the request that dispatched it (and a Ctrl-C):
		// it finishes or answers within its own deadline.
		jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jobTimeout)
		defer cancel()
		// Handle logs one line per Job, failures included; its error is
		// what Lambda would retry on, and there is no Lambda here.
		_, _ = d.worker.Handle(jctx, job)
	}()
	return nil
}

// Wait blocks until every dispatched Job has finished.
func (d *localDispatcher) Wait() { d.wg.Wait() }

// stack is the whole bot in one process: the Slack edge's handler, the
// worker behind an in-process dispatcher, and (when no real credentials are
// configured) an embedded Atlas and a console Slack.
type stack struct {
	handler *slackbot.Handler
	jobs    *localDispatcher
	atlas   *atlastest.Server // nil when talking to real Atlas
	slack   *slackrec.Server  // nil when talking to real Slack
	closers []func()
}

// Close stops the embedded servers. Call it after jobs.Wait.
func (s *stack) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// embeddedAtlasOpts apply to every embedded Atlas before stackOptions'
// atlasOpts. The tests add MongoDB's spec check (spec_test.go); the binary
// leaves it out, so that it links no OpenAPI validator (about 3 ms of
// package initialization at every start).
var embeddedAtlasOpts []atlastest.Option

// stackOptions say what newStack embeds.
type stackOptions struct {
	getenv func(string) string
	log    *slog.Logger
	// policy is the access policy; or, when it is nil, loadPolicy loads
	// it, while the embedded Atlas and Slack start (serve's first
	// acknowledgement comes that much sooner: on two cores the policy's
	// YAML and the two servers' start took 0.4 and 0.5–1 ms one after the
	// other).
	policy     *access.Policy
	loadPolicy func() (*access.Policy, error)
	// atlasOpts configure the embedded Atlas, if one is started.
	atlasOpts []atlastest.Option
}

// newStack wires the same handlers as functions/slack and functions/create.
// Atlas is embedded unless Atlas credentials (ATLAS_SECRET_ARN or the
// MONGODB_ATLAS_* variables) are set; Slack's Web API is the console unless
// a bot token (SLACK_SECRET_ARN or SLACK_BOT_TOKEN) is set.
func newStack(ctx context.Context, o stackOptions) (_ *stack, err error) {
	s := &stack{}
	env := overlay{base: o.getenv, vars: map[string]string{}}
	policy, loaded := o.policy, make(chan error, 1)
	switch {
	case policy != nil:
		loaded <- nil
	case o.loadPolicy != nil:
		go func() {
			var err error
			policy, err = o.loadPolicy()
			loaded <- err
		}()
	default:
		return nil, errors.New("streambot: no access policy")
	}
	joined := false // the load's outcome was taken
	defer func() {
		if err == nil {
			return
		}
		// The load ends before newStack does, whatever failed first (it
		// may still write to the log), and its error is reported too: a
		// bad policy is the first thing to fix.
		if !joined {
			if perr := <-loaded; perr != nil {
				err = errors.Join(perr, err)
			}
		}
		s.Close()
	}()
	// The policy's projects exist in the embedded Atlas, once it is loaded.
	var projects func()

	if !hasAny(o.getenv, secrets.EnvAtlasSecretARN, secrets.EnvAtlasClientID, secrets.EnvAtlasPublicKey) {
		a, err := atlastest.Start("127.0.0.1:0", append(slices.Clip(embeddedAtlasOpts), o.atlasOpts...)...)
		if err != nil {
			return nil, fmt.Errorf("start the embedded atlas: %w", err)
		}
		s.atlas = a
		s.closers = append(s.closers, a.Close)
		id, secret := "mdb_sa_id_local", randomHex(16)
		a.AddServiceAccount(id, secret)
		projects = func() {
			for _, g := range policy.ProjectIDs() {
				a.AddProject(g)
			}
		}
		env.vars["ATLAS_BASE_URL"] = a.URL
		env.vars[secrets.EnvAtlasClientID] = id
		env.vars[secrets.EnvAtlasClientSecret] = secret
	}
	// responses carries the worker's response_url posts: to Slack, or, with
	// the console, to the console whatever host the response_url names.
	var responses *http.Client
	if !hasAny(o.getenv, secrets.EnvSlackSecretARN, secrets.EnvSlackBotTokenARN, secrets.EnvSlackBotToken) {
		token := "xoxb-local-" + randomHex(8)
		s.slack = slackrec.Start(token)
		s.closers = append(s.closers, s.slack.Close)
		addDemoPeople(s.slack)
		env.vars["SLACK_API_URL"] = s.slack.APIURL()
		env.vars[secrets.EnvSlackBotToken] = token
		responses = &http.Client{Timeout: 10 * time.Second, Transport: toConsole{console: s.slack.ResponseURL("local")}}
	}

	// AWS credentials come from the environment, as in the Lambda
	// functions (secrets.EnvAWSConfig): linking the SDK's whole credential
	// chain (profiles, SSO) costs serve 2.4 ms of start-up and 2.9 MB. With
	// a profile: eval "$(aws configure export-credentials --format env)".
	// NewStoreFromEnv refuses a malformed *_SECRET_ARN now, not on the
	// first command; it reads no secret.
	store, err := secrets.NewStoreFromEnv(ctx, env.get)
	if err != nil {
		return nil, err
	}
	slackAPIURL := slackAPIBase(env.get("SLACK_API_URL"))
	atlasClients := provision.NewAtlasClients(store, provision.AtlasConfig{
		BaseURL:    env.get("ATLAS_BASE_URL"),
		APIVersion: env.get("ATLAS_API_VERSION"),
		UserAgent:  "streambot-local/1",
	})
	// One record of operations for the edge and the worker: in memory
	// unless STATE_TABLE names a DynamoDB table.
	st, err := state.FromEnv(env.get, func() (aws.Config, error) { return secrets.EnvAWSConfig(env.get) })
	if err != nil {
		return nil, err
	}
	worker, err := provision.NewWorker(provision.Deps{
		Atlas:       atlasClients,
		Slack:       provision.NewSlackClients(store, slack.OptionAPIURL(slackAPIURL)),
		HTTPClient:  responses,
		Logger:      o.log,
		Counts:      provision.AtlasCounter{Atlas: atlasClients},
		State:       st,
		SlackAPIURL: slackAPIURL,
	})
	if err != nil {
		return nil, err
	}
	s.jobs = &localDispatcher{worker: worker}
	bot := slackbot.NewSlackBot(store, slack.OptionAPIURL(slackAPIURL))
	groups := access.NewSlackGroups(bot, 5*time.Minute, 700*time.Millisecond)
	joined = true
	if err := <-loaded; err != nil {
		return nil, err
	}
	if projects != nil {
		projects()
	}
	s.handler, err = slackbot.New(slackbot.Config{
		Secrets: store, Policy: policy, Dispatcher: s.jobs, Groups: groups, Views: bot, Logger: o.log, State: st,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// listen starts an HTTP server for h on addr (loopback only), serving
// POST /slack/commands and POST /slack/interactions, and returns the
// commands URL (see [interactionsURL]) and a function that shuts it down
// gracefully.
func listen(addr string, h http.Handler) (string, func(context.Context) error, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, usageErrorf("--addr %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", nil, usageErrorf("--addr %q: streambot serves on a loopback address only; put a tunnel or a real deployment in front of it", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", h)
	mux.Handle("POST /slack/interactions", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/slack/commands", srv.Shutdown, nil
}

// overlay is an environment with some variables set by the program.
type overlay struct {
	base func(string) string
	vars map[string]string
}

// get returns the program's value of k, or else the environment's.
func (o overlay) get(k string) string {
	if v, ok := o.vars[k]; ok {
		return v
	}
	return o.base(k)
}

// slackAPIBase is the Slack Web API base for SLACK_API_URL's value v: the
// default when v is empty, and always ending in "/", since slack-go
// appends the method name to it (as functions/slack and functions/create do).
func slackAPIBase(v string) string {
	if v == "" {
		return slack.APIURL
	}
	return strings.TrimSuffix(v, "/") + "/"
}

// toConsole is the transport of the worker's response_url posts when Slack
// is the console: a response_url comes from whoever sent the command
// (`streambot slash` makes up a hooks.slack.com one), and a local run must
// neither post to the real Slack nor lose the answer, so every post goes to
// the console's own response_url endpoint, path kept.
type toConsole struct {
	console string // a response_url on the console
}

// RoundTrip sends r to the console.
func (t toConsole) RoundTrip(r *http.Request) (*http.Response, error) {
	u, err := url.Parse(t.console)
	if err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = u.Scheme, u.Host, u.Host
	if !strings.HasPrefix(r.URL.Path, "/commands/") {
		r.URL.Path, r.URL.RawPath = u.Path, u.RawPath
	}
	return http.DefaultTransport.RoundTrip(r)
}

// hasAny reports whether any of keys is set.
func hasAny(getenv func(string) string, keys ...string) bool {
	for _, k := range keys {
		if getenv(k) != "" {
			return true
		}
	}
	return false
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// interactionsURL is the interactivity URL beside a commands URL.
func interactionsURL(commandsURL string) string {
	return strings.TrimSuffix(commandsURL, "/slack/commands") + "/slack/interactions"
}
