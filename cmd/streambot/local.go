package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/secrets"
	"github.com/streambot/streambot/internal/slackbot"
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
	log    *slog.Logger
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
		if _, err := d.worker.Handle(jctx, job); err != nil {
			d.log.ErrorContext(jctx, "job failed", "job_id", job.ID, "error", err.Error())
		}
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
	// atlas is the embedded Atlas, started by newStack; nil when talking to
	// real Atlas, and with stackOptions.lazy (see atlasURL).
	atlas *atlastest.Server
	// atlasURL is the embedded Atlas's origin, lazy or not; "" when talking
	// to real Atlas.
	atlasURL string
	slack    *slackrec.Server // nil when talking to real Slack
	closers  []func()
}

// Close stops the embedded servers. Call it after jobs.Wait.
func (s *stack) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// stackOptions say what newStack embeds.
type stackOptions struct {
	getenv func(string) string
	log    *slog.Logger
	policy *access.Policy
	// atlasOpts configure the embedded Atlas, if one is started.
	atlasOpts []atlastest.Option
	// lazy defers what the first acknowledgement does not need until it
	// is needed: the embedded Atlas listens at once (its URL is fixed) but
	// is built, which loads and checks its OpenAPI spec (about 13 ms, the
	// largest part of serve's start-up), on its first request, that is
	// when the first Job reaches it. stack.atlas then stays nil: use
	// stack.atlasURL. The demo, which inspects the Atlas, runs eager.
	lazy bool
}

// newStack wires the same handlers as functions/slack and functions/create.
// Atlas is embedded unless Atlas credentials (ATLAS_SECRET_ARN or the
// MONGODB_ATLAS_* variables) are set; Slack's Web API is the console unless
// a bot token (SLACK_SECRET_ARN or SLACK_BOT_TOKEN) is set.
func newStack(o stackOptions) (_ *stack, err error) {
	s := &stack{}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	env := overlay{base: o.getenv, vars: map[string]string{}}

	if !hasAny(o.getenv, secrets.EnvAtlasSecretARN, secrets.EnvAtlasClientID, secrets.EnvAtlasPublicKey) {
		id, secret := "mdb_sa_id_local", randomHex(16)
		setUp := func(a *atlastest.Atlas) {
			a.AddServiceAccount(id, secret)
			for _, g := range o.policy.ProjectIDs() {
				a.AddProject(g)
			}
		}
		if o.lazy {
			url, stop, err := startLazyAtlas(func() *atlastest.Atlas {
				a := atlastest.New(o.atlasOpts...)
				setUp(a)
				return a
			})
			if err != nil {
				return nil, fmt.Errorf("start the embedded atlas: %w", err)
			}
			s.atlasURL = url
			s.closers = append(s.closers, stop)
		} else {
			a, err := atlastest.Start("127.0.0.1:0", o.atlasOpts...)
			if err != nil {
				return nil, fmt.Errorf("start the embedded atlas: %w", err)
			}
			s.atlas, s.atlasURL = a, a.URL
			s.closers = append(s.closers, a.Close)
			setUp(a.Atlas)
		}
		env.vars["ATLAS_BASE_URL"] = s.atlasURL
		env.vars[secrets.EnvAtlasClientID] = id
		env.vars[secrets.EnvAtlasClientSecret] = secret
	}
	if !hasAny(o.getenv, secrets.EnvSlackSecretARN, secrets.EnvSlackBotToken) {
		token := "xoxb-local-" + randomHex(8)
		s.slack = slackrec.Start(token)
		s.closers = append(s.closers, s.slack.Close)
		env.vars["SLACK_API_URL"] = s.slack.APIURL()
		env.vars[secrets.EnvSlackBotToken] = token
	}

	// On a laptop the AWS SDK's whole credential chain applies (profiles,
	// SSO), unlike in the Lambda functions; see secrets.EnvAWSConfig.
	store := secrets.NewStore(env.get, nil, secrets.WithClientFactory(defaultChainSecrets))
	slackAPIURL := env.getOr("SLACK_API_URL", slack.APIURL)
	worker, err := provision.NewWorker(provision.Deps{
		Atlas: provision.NewAtlasClients(store, provision.AtlasConfig{
			BaseURL:    env.get("ATLAS_BASE_URL"),
			APIVersion: env.get("ATLAS_API_VERSION"),
			UserAgent:  "streambot-local/1",
		}),
		Slack:  provision.NewSlackClients(store, slack.OptionAPIURL(slackAPIURL)),
		Logger: o.log,
	})
	if err != nil {
		return nil, err
	}
	s.jobs = &localDispatcher{worker: worker, log: o.log}
	groups := access.NewSlackGroups(slackbot.NewSlackGroupMembers(store, slack.OptionAPIURL(slackAPIURL)), 5*time.Minute, 700*time.Millisecond)
	s.handler, err = slackbot.New(slackbot.Config{
		Secrets: store, Policy: o.policy, Dispatcher: s.jobs, Groups: groups, Logger: o.log,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// defaultChainSecrets builds a Secrets Manager client with the AWS SDK's
// default configuration: the environment, shared config and credentials
// files, SSO, and AWS_ENDPOINT_URL_SECRETS_MANAGER.
func defaultChainSecrets(ctx context.Context) (secrets.GetSecretValueAPI, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return secretsmanager.NewFromConfig(cfg), nil
}

// lazyAtlas is the embedded Atlas of a lazy stack: an http.Handler that
// builds the simulator on its first request.
type lazyAtlas struct {
	build func() *atlastest.Atlas
	once  sync.Once
	atlas *atlastest.Atlas
}

func (l *lazyAtlas) get() *atlastest.Atlas {
	l.once.Do(func() { l.atlas = l.build() })
	return l.atlas
}

func (l *lazyAtlas) ServeHTTP(w http.ResponseWriter, r *http.Request) { l.get().ServeHTTP(w, r) }

// startLazyAtlas listens on a free 127.0.0.1 port now and serves the Atlas
// build returns from the first request on. It returns the origin and a
// function that stops the server (and the Atlas, if it was built).
func startLazyAtlas(build func() *atlastest.Atlas) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	l := &lazyAtlas{build: build}
	srv := &http.Server{Handler: l, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	stop := func() {
		l.once.Do(func() {}) // no build from here on; waits for one under way
		if l.atlas != nil {
			l.atlas.Close() // wakes handlers sleeping in the simulator
		}
		srv.Close()
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// listen starts an HTTP server for h on addr (loopback only) and returns
// its URL and a function that shuts it down gracefully.
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
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/slack/commands", srv.Shutdown, nil
}

// overlay is an environment with some variables set by the program.
type overlay struct {
	base func(string) string
	vars map[string]string
}

func (o overlay) get(k string) string {
	if v, ok := o.vars[k]; ok {
		return v
	}
	return o.base(k)
}

func (o overlay) getOr(k, def string) string {
	if v := o.get(k); v != "" {
		return v
	}
	return def
}

func hasAny(getenv func(string) string, keys ...string) bool {
	for _, k := range keys {
		if getenv(k) != "" {
			return true
		}
	}
	return false
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
