package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/streambot/streambot/bench/slashload"
	"github.com/streambot/streambot/internal/lambdatest"
	"github.com/streambot/streambot/internal/motoserver"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/state/statetest"
	"github.com/streambot/streambot/pkg/atlas/atlasspec"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// The world the suite runs in: two Atlas projects, a team, a channel, and
// callers the policy treats differently.
const (
	devGroupID  = "6a1b2c3d4e5f6a7b8c9d0e1f"
	prodGroupID = "5f1a2b3c4d5e6f7a8b9c0d1e"
	teamID      = "T0E2ETEAM"
	channelID   = "C0E2ECHAN"

	creator  = "U0CREATOR"  // may create in dev
	reader   = "U0READER"   // may list and describe prod, through the user group
	outsider = "U0OUTSIDER" // no grant at all
	victim   = "U0VICTIM"   // never a caller: pinging them is what escaping prevents

	platformGroup = "S0PLATFORM"

	createFunctionName = "streambot-create"
	slackPkg           = "github.com/streambot/streambot/functions/slack"
	createPkg          = "github.com/streambot/streambot/functions/create"

	// slackTimeout and createTimeout are the functions' timeouts in
	// infra/template.yaml.
	slackTimeout  = 5 * time.Second
	createTimeout = 120 * time.Second
)

// policyYAML is the access policy the Slack function gets, as the
// template gives it: in a file beside the bootstrap (ACCESS_POLICY_FILE) or
// inline (ACCESS_POLICY).
const policyYAML = `projects:
  dev: ` + devGroupID + `
  prod: ` + prodGroupID + `
default_project: dev
grants:
  - subjects: [user:` + creator + `]
    projects: [dev]
    role: GROUP_STREAM_PROCESSING_OWNER
  - subjects: [group:` + platformGroup + `]
    projects: [prod]
    role: GROUP_READ_ONLY
`

// stackConfig says how [newStack] builds a stack; the zero value is the
// template's setup.
type stackConfig struct {
	// atlasOpts configure the simulator (latency, hostname delay).
	atlasOpts []atlastest.Option
	// createTimeout overrides the worker's function timeout.
	createTimeout time.Duration
	// atlasSecret, when set, is stored as the Atlas secret's value instead
	// of the service account's JSON; noAtlasSecret points ATLAS_SECRET_ARN
	// at a secret that does not exist.
	atlasSecret   *string
	noAtlasSecret bool
	// inlinePolicy passes the policy as ACCESS_POLICY instead of a file.
	inlinePolicy bool
	// policyExtra is appended to policyYAML (more grants, approvals).
	policyExtra string
	// lambdaEndpoint, when set, replaces the relay as the Slack function's
	// AWS_ENDPOINT_URL_LAMBDA.
	lambdaEndpoint string
}

// stack is one deployment of streambot: both functions under their own
// emulators, the relay between them, and the services they talk to. Each
// test gets its own (faults and counts are per stack); moto_server is
// shared by the package.
type stack struct {
	t *testing.T

	atlas    *atlastest.Atlas
	atlasURL string
	rec      *atlasRecorder
	slack    *slackrec.Server
	slackFn  *lambdatest.Function
	createFn *lambdatest.Function
	relay    *lambdatest.Relay
	fns      map[string]*lambdatest.Function // every function started, by name, for the log search

	motoEndpoint   string
	sm             *secretsmanager.Client
	slackSecretARN string
	atlasSecretARN string
	// stateTable is the stack's state table in moto_server, created from
	// the template; stateEndpoint the one-request-at-a-time proxy in front
	// of moto (statetest.Serialized) that both functions use, so that
	// moto applies conditional writes atomically as DynamoDB does.
	stateTable, stateEndpoint string

	signingSecret string
	botToken      string
	clientID      string
	clientSecret  string
	// moreSecrets are secrets a test added (a rotated account's).
	moreSecrets []string

	seq atomic.Int64 // numbers trigger IDs and response_urls

	// policy is the access policy the Slack function gets.
	policy string
}

// policyText is the stack's policy: policyYAML unless a test added to it.
func (s *stack) policyText() string {
	if s.policy == "" {
		return policyYAML
	}
	return s.policy
}

// newStack starts a stack for t: [newServices], then one Slack function
// and one worker under their own emulators, with the lambdatest relay
// between them.
func newStack(t *testing.T, cfg stackConfig) *stack {
	t.Helper()
	s := newServices(t, cfg)
	timeout := createTimeout
	if cfg.createTimeout > 0 {
		timeout = cfg.createTimeout
	}
	s.policy = policyYAML + cfg.policyExtra
	s.createFn = s.startFunction(createPkg, s.createEnv(), cfg.inlinePolicy,
		lambdatest.WithFunctionName(createFunctionName), lambdatest.WithTimeout(timeout))
	s.relay = lambdatest.EventRelay(t, s.createFn)
	endpoint := s.relay.Endpoint()
	if cfg.lambdaEndpoint != "" {
		endpoint = cfg.lambdaEndpoint
	}
	s.slackFn = s.startFunction(slackPkg, s.slackEnv(endpoint), cfg.inlinePolicy,
		lambdatest.WithFunctionName("streambot-slack"), lambdatest.WithTimeout(slackTimeout))
	return s
}

// newServices starts what the functions talk to: the Atlas simulator and
// the recording Slack, and creates the two secrets in moto_server through
// the real SDK. When t ends, after the functions have stopped, it stops
// the servers and checks that Atlas saw no request the spec rejects, that
// the simulator's own answers kept to the spec, and that no secret or
// token the stack used appears in any function's output or moto_server's.
func newServices(t *testing.T, cfg stackConfig) *stack {
	t.Helper()
	s := &stack{
		t:             t,
		signingSecret: "e2e-signing-" + randomHex(16),
		botToken:      "xoxb-e2e-" + randomHex(12),
		clientID:      "mdb_sa_id_" + randomHex(12),
		clientSecret:  "mdb_sa_sk_" + randomHex(20),
		fns:           map[string]*lambdatest.Function{},
	}

	// Atlas: the simulator, held to the spec, behind a recorder that checks
	// every API request against the spec (also the ones a fault answers,
	// which the simulator itself does not validate) and notes the tokens it
	// issues.
	s.atlas = atlastest.New(append([]atlastest.Option{atlastest.WithChecker(atlasspec.Checker{})}, cfg.atlasOpts...)...)
	s.atlas.AddProject(devGroupID)
	s.atlas.AddProject(prodGroupID)
	s.atlas.AddServiceAccount(s.clientID, s.clientSecret)
	s.rec = newAtlasRecorder(t, s.atlas)
	atlasSrv := httptest.NewServer(s.rec)
	s.atlasURL = atlasSrv.URL

	// Slack: the recording Web API, which also serves the response_urls.
	s.slack = slackrec.Start(s.botToken)
	s.slack.AddGroup(platformGroup, reader)

	// Registered before any function starts, so it runs after they stop.
	t.Cleanup(func() {
		s.atlas.Close()
		atlasSrv.Close()
		s.slack.Close()
		for _, err := range s.atlas.Violations() {
			t.Errorf("the simulator's own answer broke the spec: %v", err)
		}
		for _, err := range s.rec.Violations() {
			t.Errorf("a request to Atlas broke the spec: %v", err)
		}
		s.checkLogs()
	})

	// The secrets, through the real SDK.
	s.motoEndpoint = motoserver.Shared(t)
	s.sm = secretsmanager.NewFromConfig(motoserver.Config(t.Context(), s.motoEndpoint))
	s.stateTable = statetest.NewTable(t, motoserver.Config(t.Context(), s.motoEndpoint))
	s.stateEndpoint = statetest.Serialized(t, s.motoEndpoint)
	prefix := "e2e/" + secretName.ReplaceAllString(t.Name(), "_") + "-" + randomHex(4)
	s.slackSecretARN = s.putNewSecret(prefix+"/slack", mustJSON(map[string]string{
		"signing_secret": s.signingSecret, "bot_token": s.botToken,
	}))
	switch {
	case cfg.noAtlasSecret:
		s.atlasSecretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + prefix + "/atlas-missing-AbCdEf"
	case cfg.atlasSecret != nil:
		s.atlasSecretARN = s.putNewSecret(prefix+"/atlas", *cfg.atlasSecret)
	default:
		s.atlasSecretARN = s.putNewSecret(prefix+"/atlas", s.serviceAccountJSON(s.clientID, s.clientSecret))
	}
	return s
}

// commonEnv is the environment both functions get: infra/template.yaml's
// variables, and the endpoints that replace AWS's and Slack's.
func (s *stack) commonEnv() map[string]string {
	return map[string]string{
		"SLACK_SECRET_ARN":                 s.slackSecretARN,
		"LOG_LEVEL":                        "debug",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": s.motoEndpoint,
		"SLACK_API_URL":                    s.slack.APIURL(),
		"STATE_TABLE":                      s.stateTable,
		"AWS_ENDPOINT_URL_DYNAMODB":        s.stateEndpoint,
	}
}

// slackEnv is the Slack function's environment; lambdaEndpoint is where
// its Lambda client sends the worker's invocations.
func (s *stack) slackEnv(lambdaEndpoint string) map[string]string {
	env := s.commonEnv()
	env["CREATE_FUNCTION_NAME"] = createFunctionName
	env["AWS_ENDPOINT_URL_LAMBDA"] = lambdaEndpoint
	return env
}

// createEnv is the worker's environment.
func (s *stack) createEnv() map[string]string {
	env := s.commonEnv()
	env["ATLAS_SECRET_ARN"] = s.atlasSecretARN
	env["ATLAS_BASE_URL"] = s.atlasURL
	return env
}

// startFunction builds pkg as Lambda does and starts it under its own
// emulator with env. The Slack function also gets the access policy, as
// the template gives it: inline (ACCESS_POLICY) or, by default, in
// access.yaml beside the bootstrap (Lambda's /var/task); the worker reads
// none.
func (s *stack) startFunction(pkg string, env map[string]string, inlinePolicy bool, opts ...lambdatest.Option) *lambdatest.Function {
	s.t.Helper()
	boot := lambdatest.BuildFunction(s.t, pkg)
	switch {
	case pkg != slackPkg:
	case inlinePolicy:
		env["ACCESS_POLICY"] = s.policyText()
	default:
		file := filepath.Join(filepath.Dir(boot), "access.yaml")
		if err := os.WriteFile(file, []byte(s.policyText()), 0o600); err != nil {
			s.t.Fatal(err)
		}
		env["ACCESS_POLICY_FILE"] = file
	}
	fn := lambdatest.Start(s.t, boot, env, append([]lambdatest.Option{lambdatest.WithMemoryMB(256)}, opts...)...)
	s.fns[fmt.Sprintf("%s function %d", path.Base(pkg), len(s.fns)+1)] = fn
	return fn
}

// serviceAccountJSON is an Atlas secret holding a service account.
func (s *stack) serviceAccountJSON(id, secret string) string {
	return mustJSON(map[string]string{"client_id": id, "client_secret": secret})
}

// putNewSecret creates a secret through the SDK and returns its ARN.
func (s *stack) putNewSecret(name, value string) string {
	s.t.Helper()
	out, err := s.sm.CreateSecret(s.t.Context(), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(value),
	})
	if err != nil {
		s.t.Fatalf("CreateSecret %s: %v", name, err)
	}
	return aws.ToString(out.ARN)
}

// secrets lists every value the stack's logs must never show.
func (s *stack) secrets() map[string]string {
	m := map[string]string{
		"signing secret":       s.signingSecret,
		"bot token":            s.botToken,
		"Atlas client secret":  s.clientSecret,
		"response_url":         s.slack.ResponseURL("1"),
		"response_url's route": "/commands/T000/",
	}
	for i, sec := range s.moreSecrets {
		m[fmt.Sprintf("added secret %d", i+1)] = sec
	}
	for i, tok := range s.rec.Tokens() {
		m[fmt.Sprintf("Atlas access token %d", i+1)] = tok
	}
	return m
}

// checkLogs searches every emulator's output (the emulator's own and the
// bootstrap's), moto_server's request log and every message posted to
// Slack for the stack's secrets.
func (s *stack) checkLogs() {
	s.t.Helper()
	logs := map[string]string{}
	for name, fn := range s.fns {
		logs[name] = fn.Logs()
	}
	var posted strings.Builder
	for _, c := range s.slack.Calls() {
		posted.WriteString(c.Text + "\n" + string(c.Blocks) + "\n")
	}
	logs["messages posted to Slack"] = posted.String()
	logs["moto_server"] = motoserver.SharedLogs()
	checkNoSecrets(s.t, logs, s.secrets())
}

// checkNoSecrets fails t for each secret found in any of logs.
func checkNoSecrets(t *testing.T, logs, secrets map[string]string) {
	t.Helper()
	for where, text := range logs {
		for what, secret := range secrets {
			if secret != "" && strings.Contains(text, secret) {
				t.Errorf("the %s's output contains the %s", where, what)
			}
		}
	}
}

// slash is one slash command as a caller sends it.
type slash struct {
	Text      string
	UserID    string // default creator
	UserName  string
	ChannelID string // default channelID
	TeamID    string
	// TriggerID becomes the Job's ID; default a fresh one.
	TriggerID string
	// ResponseURL defaults to one on the recording Slack.
	ResponseURL string
}

// form renders c as Slack's form body, with defaults filled in.
func (s *stack) form(c slash) string {
	n := s.seq.Add(1)
	if c.UserID == "" {
		c.UserID = creator
	}
	if c.UserName == "" {
		c.UserName = strings.ToLower(c.UserID)
	}
	if c.ChannelID == "" {
		c.ChannelID = channelID
	}
	if c.TeamID == "" {
		c.TeamID = teamID
	}
	if c.TriggerID == "" {
		c.TriggerID = fmt.Sprintf("%d.%d.%s", time.Now().Unix(), n, randomHex(16))
	}
	if c.ResponseURL == "" {
		c.ResponseURL = s.slack.ResponseURL(strconv.FormatInt(n, 10))
	}
	return slashForm(c)
}

// slashForm renders c as the application/x-www-form-urlencoded body Slack
// posts, in Slack's field order.
func slashForm(c slash) string {
	var b strings.Builder
	for i, kv := range [][2]string{
		{"token", "gIkuvaNzQIHg97ATvDxqgjtO"}, // the deprecated verification token
		{"team_id", c.TeamID}, {"team_domain", "e2e"},
		{"channel_id", c.ChannelID}, {"channel_name", "streams"},
		{"user_id", c.UserID}, {"user_name", c.UserName},
		{"command", "/stream"}, {"text", c.Text},
		{"api_app_id", "A0STREAMBOT"}, {"is_enterprise_install", "false"},
		{"response_url", c.ResponseURL}, {"trigger_id", c.TriggerID},
	} {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0] + "=" + url.QueryEscape(kv[1]))
	}
	return b.String()
}

// apiEvent is the HTTP API (payload 2.0) event API Gateway hands the
// Slack function for a POST of body to /slack/commands, signed with secret
// at the instant at (Slack's v0 signature, computed by
// [slashload.Sign]): lower-case header names, the form body in base64.
func apiEvent(body, secret string, at time.Time) events.APIGatewayV2HTTPRequest {
	return apiEventTo("/slack/commands", body, secret, at)
}

// apiEventTo is [apiEvent] for a POST to path (/slack/interactions for a
// click).
func apiEventTo(path, body, secret string, at time.Time) events.APIGatewayV2HTTPRequest {
	ts, sig := slashload.Sign(secret, []byte(body), at)
	const ua = "Slackbot 1.0 (+https://api.slack.com/robots)"
	const domain = "e2etest123.execute-api.us-east-1.amazonaws.com"
	now := time.Now().UTC()
	return events.APIGatewayV2HTTPRequest{
		Version:  "2.0",
		RouteKey: "POST " + path,
		RawPath:  path,
		Headers: map[string]string{
			"accept":                    "application/json,*/*",
			"accept-encoding":           "gzip,deflate",
			"content-length":            strconv.Itoa(len(body)),
			"content-type":              "application/x-www-form-urlencoded",
			"host":                      domain,
			"user-agent":                ua,
			"x-amzn-trace-id":           "Root=1-" + randomHex(8) + "-" + randomHex(24),
			"x-forwarded-for":           "3.92.12.34",
			"x-forwarded-port":          "443",
			"x-forwarded-proto":         "https",
			"x-slack-request-timestamp": ts,
			"x-slack-signature":         sig,
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     "POST " + path,
			AccountID:    "123456789012",
			Stage:        "$default",
			RequestID:    randomHex(8) + "=",
			APIID:        "e2etest123",
			DomainName:   domain,
			DomainPrefix: "e2etest123",
			Time:         now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: "POST", Path: path, Protocol: "HTTP/1.1", SourceIP: "3.92.12.34", UserAgent: ua,
			},
		},
		Body:            base64.StdEncoding.EncodeToString([]byte(body)),
		IsBase64Encoded: true,
	}
}

// invoke runs one event through the Slack function's emulator and returns
// API Gateway's view of the answer. A function error ends the test.
func (s *stack) invoke(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	s.t.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(s.t.Context(), 2*slackTimeout)
	defer cancel()
	out, err := s.slackFn.Invoke(ctx, payload)
	if err != nil {
		s.t.Fatalf("invoke the slack function: %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		s.t.Fatalf("the slack function answered %q: %v", out, err)
	}
	return resp
}

// command sends c, freshly signed with the stack's signing secret, and
// returns the answer and the Job ID it carried.
func (s *stack) command(c slash) (events.APIGatewayV2HTTPResponse, string) {
	s.t.Helper()
	body := s.form(c)
	v, _ := url.ParseQuery(body)
	return s.invoke(apiEvent(body, s.signingSecret, time.Now())), v.Get("trigger_id")
}

// ackText returns the text of an ephemeral ack, failing unless resp is
// one.
func ackText(t *testing.T, resp events.APIGatewayV2HTTPResponse) string {
	t.Helper()
	if resp.StatusCode != http.StatusOK || resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("answer %d %v %q, want a 200 JSON ack", resp.StatusCode, resp.Headers, resp.Body)
	}
	text, err := ackFromJSON([]byte(resp.Body))
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// ackFromJSON returns the text of an ephemeral ack body.
func ackFromJSON(b []byte) (string, error) {
	var ack slashload.Ack
	if err := json.Unmarshal(b, &ack); err != nil {
		return "", fmt.Errorf("ack %q: %w", b, err)
	}
	if ack.ResponseType != "ephemeral" {
		return "", fmt.Errorf("ack %q is not ephemeral", b)
	}
	return ack.Text, nil
}

// settle waits until every Job handed to the worker so far has finished.
func (s *stack) settle() { s.relay.Wait() }

// atlasCalls is the number of calls Atlas received, of every operation.
func (s *stack) atlasCalls() int {
	n := 0
	for _, op := range allOps {
		n += s.atlas.Calls(op)
	}
	return n
}

var allOps = []atlastest.Op{
	atlastest.OpToken, atlastest.OpListStreams, atlastest.OpCreateStream, atlastest.OpGetStream,
	atlastest.OpUpdateStream, atlastest.OpDeleteStream, atlastest.OpListUsers,
}

// isParent reports whether c is the parent message a create posts in the
// channel before it calls Atlas (see reply.Parent).
func isParent(c slackrec.Call) bool {
	return c.Method == slackrec.PostMessage && c.ThreadTS == "" && strings.Contains(c.Text, " asked for stream workspace ")
}

// finalAnswers returns the delivered answers to commands: thread replies,
// response_url posts and channel posts that are not parent messages.
func finalAnswers(sl *slackrec.Server) []slackrec.Call {
	var out []slackrec.Call
	for _, c := range sl.Delivered(slackrec.PostMessage, slackrec.ResponseURL) {
		if !isParent(c) {
			out = append(out, c)
		}
	}
	return out
}

// oneAnswer checks that exactly one final answer reached Slack and returns
// it.
func (s *stack) oneAnswer() slackrec.Call {
	s.t.Helper()
	got := finalAnswers(s.slack)
	if len(got) != 1 {
		s.t.Fatalf("Slack got %d final answers, want exactly 1:\n%s", len(got), describeCalls(s.slack.Calls()))
	}
	return got[0]
}

// describeCalls formats Slack calls for a failure message.
func describeCalls(calls []slackrec.Call) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "  %s channel=%s thread=%s type=%s failed=%t: %.200s\n", c.Method, c.Channel, c.ThreadTS, c.ResponseType, c.Failed, c.Text)
	}
	return b.String()
}

// secretName matches what a Secrets Manager name may not hold.
var secretName = regexp.MustCompile(`[^A-Za-z0-9/_+=.@-]`)

// atlasRecorder sits in front of the simulator: it validates every Admin
// API request against MongoDB's spec (as atlasspec.CheckingTransport does
// on the client side, but at the server, so requests answered by an
// injected fault are checked too), keeps the create requests and notes
// every access token the token endpoint issues, for the log search.
type atlasRecorder struct {
	next http.Handler
	spec *atlasspec.Spec

	mu         sync.Mutex
	violations []error
	creates    []createRequest
	tokens     []string
}

// createRequest is a create request as Atlas received it.
type createRequest struct {
	Header http.Header
	Body   []byte
}

func newAtlasRecorder(t *testing.T, next http.Handler) *atlasRecorder {
	t.Helper()
	spec, err := atlasspec.Load()
	if err != nil {
		t.Fatal(err)
	}
	return &atlasRecorder{next: next, spec: spec}
}

func (a *atlasRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, atlasspec.APIPrefix):
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		verr := a.spec.ValidateRequest(r, body)
		a.mu.Lock()
		if verr != nil {
			a.violations = append(a.violations, fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, verr))
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/streams") {
			a.creates = append(a.creates, createRequest{Header: r.Header.Clone(), Body: body})
		}
		a.mu.Unlock()
		a.next.ServeHTTP(w, r)
	case r.URL.Path == "/api/oauth/token":
		tw := &teeWriter{ResponseWriter: w}
		a.next.ServeHTTP(tw, r)
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if json.Unmarshal(tw.buf.Bytes(), &tok) == nil && tok.AccessToken != "" {
			a.mu.Lock()
			a.tokens = append(a.tokens, tok.AccessToken)
			a.mu.Unlock()
		}
	default:
		a.next.ServeHTTP(w, r)
	}
}

// Violations returns the spec violations in the requests so far.
func (a *atlasRecorder) Violations() []error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]error(nil), a.violations...)
}

// Creates returns the create requests so far.
func (a *atlasRecorder) Creates() []createRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]createRequest(nil), a.creates...)
}

// Tokens returns the access tokens issued so far.
func (a *atlasRecorder) Tokens() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.tokens...)
}

// teeWriter keeps a copy of what is written; Unwrap keeps Hijack (a
// dropped connection fault) working through http.ResponseController.
type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *teeWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	return w.ResponseWriter.Write(p)
}

func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// closedEndpoint returns the URL of a 127.0.0.1 port nothing listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// jsonDiff reports the difference between two JSON documents, or "".
func jsonDiff(t *testing.T, got []byte, want string) string {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		return fmt.Sprintf("got %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %q: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		return fmt.Sprintf("got  %s\nwant %s", gb, wb)
	}
	return ""
}
