// Package slashload is the load tool of streambot's benchmarks
// (BENCHMARKS.md): it sends signed Slack slash commands and button clicks
// ([ClickBody]) to a server on 127.0.0.1 and times them. Every server compared (`streambot serve`, the
// bare Go floor under bench/floor, the Bolt-JS peer under bench/peers) gets
// the same requests from the same client code, so the figures compare.
//
//	srv, _ := slashload.Start(exec.Command("streambot", "serve", "--addr", addr))
//	first, _ := srv.FirstAck(ctx, target) // process start → first acknowledgement
//	warm, _ := slashload.Warm(ctx, target, 200)
//	fmt.Println(slashload.Summarize(warm))
//	srv.Stop()
//
// Each request is signed afresh (Slack's v0 HMAC-SHA256 scheme with the
// current timestamp), as Slack would send it. Only loopback addresses are
// accepted as targets.
package slashload

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streambot/streambot/internal/button"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/procstat"
	"github.com/streambot/streambot/internal/slackbot"
)

// DefaultText is the slash command every benchmark sends: a create, the
// command with the longest ack path (parse, policy, validation, dispatch).
const DefaultText = "create orders-ws --region us-east-1 --tier SP30"

// PollInterval is how long [Server.FirstAck] waits after a refused
// connection before trying again. A refused loopback connection costs a few
// microseconds; the pause leaves the CPU to the process starting up.
const PollInterval = 200 * time.Microsecond

// requestTimeout bounds each request.
const requestTimeout = 10 * time.Second

// Command is a slash command as Slack posts it (the form fields a handler
// reads).
type Command struct {
	TeamID, ChannelID, UserID, UserName string
	Command, Text                       string
	ResponseURL, TriggerID              string
}

// NewCommand returns text as typed by userID in a test workspace, e.g.
// NewCommand("U0ALICE", DefaultText).
func NewCommand(userID, text string) Command {
	return Command{
		TeamID: "T0BENCH", ChannelID: "C0BENCH", UserID: userID, UserName: "bench",
		Command: "/stream", Text: text,
		ResponseURL: "https://hooks.slack.com/commands/T0BENCH/1/bench",
		TriggerID:   nextTrigger(),
	}
}

// triggers numbers trigger IDs: every request Slack sends has its own, and
// streambot answers a repeated one "already handled" (a replay) without
// handing anything to the worker.
var triggers atomic.Int64

func nextTrigger() string {
	return fmt.Sprintf("%d.%d.bench", time.Now().UnixNano(), triggers.Add(1))
}

// freshTrigger returns body with its trigger_id replaced by a new one, so
// that a load of one command is a load of distinct requests, not replays.
func freshTrigger(body []byte) []byte {
	const key = "trigger_id="
	i := bytes.Index(body, []byte(key))
	if i < 0 || (i > 0 && body[i-1] != '&') {
		return body
	}
	j := bytes.IndexByte(body[i:], '&')
	out := append(append([]byte{}, body[:i+len(key)]...), nextTrigger()...)
	if j >= 0 {
		out = append(out, body[i+j:]...)
	}
	return out
}

// Form returns the command's application/x-www-form-urlencoded body.
func (c Command) Form() []byte {
	return []byte(url.Values{
		"team_id": {c.TeamID}, "channel_id": {c.ChannelID}, "user_id": {c.UserID}, "user_name": {c.UserName},
		"command": {c.Command}, "text": {c.Text}, "response_url": {c.ResponseURL}, "trigger_id": {c.TriggerID},
	}.Encode())
}

// Sign returns the X-Slack-Request-Timestamp and X-Slack-Signature values
// Slack would send with body at time at.
func Sign(secret string, body []byte, at time.Time) (timestamp, signature string) {
	timestamp = strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + timestamp + ":"))
	m.Write(body)
	return timestamp, "v0=" + hex.EncodeToString(m.Sum(nil))
}

// Event returns the API Gateway HTTP API (payload 2.0) event carrying the
// command signed at time at, as JSON: what the Slack function receives in
// Lambda (base64 form body, lower-case header names).
func (c Command) Event(secret string, at time.Time) ([]byte, error) {
	return Event("/slack/commands", c.Form(), secret, at)
}

// Event returns the API Gateway HTTP API (payload 2.0) event of a POST of
// the form body to path (/slack/commands, /slack/interactions), signed at
// time at, as JSON.
func Event(path string, body []byte, secret string, at time.Time) ([]byte, error) {
	ts, sig := Sign(secret, body, at)
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST " + path, RawPath: path,
		Headers: map[string]string{
			"content-type":              "application/x-www-form-urlencoded",
			"x-slack-request-timestamp": ts,
			"x-slack-signature":         sig,
			"user-agent":                "Slackbot 1.0 (+https://api.slack.com/robots)",
		},
		Body:            base64.StdEncoding.EncodeToString(body),
		IsBase64Encoded: true,
	}
	ev.RequestContext.HTTP.Method = http.MethodPost
	ev.RequestContext.HTTP.Path = ev.RawPath
	ev.RequestContext.HTTP.SourceIP = "127.0.0.1"
	ev.RequestContext.DomainName = "bench.execute-api.us-east-1.amazonaws.com"
	return json.Marshal(ev)
}

// ClickGroupID is the project the benchmark click names: dev in the
// benchmarks' policies (cmd/streambot/demo-policy.yaml, bench's
// lambdaPolicy).
const ClickGroupID = "6a1b2c3d4e5f6a7b8c9d0e1f"

// ClickBody returns the block_actions body Slack posts when userID clicks
// the Describe button on the row of orders-ws in an answer to `/stream
// list` (issued a minute ago, in the dev project): a click that starts an
// operation, the edge's whole click path (signature, payload, button
// value, block, the clicker authorized now, one Job handed over), with a
// fresh trigger_id. The Job is a read: `streambot serve` runs it (the
// embedded Atlas answers that orders-ws does not exist), and no click
// changes anything.
func ClickBody(userID string) []byte {
	v := button.Value{Op: command.Describe, Step: button.StepAsk, GroupID: ClickGroupID, Workspace: "orders-ws",
		Requester: userID, OpID: "bench-list", IssuedAt: time.Now().Add(-time.Minute).Truncate(time.Second)}
	enc, err := v.Encode()
	if err != nil {
		panic(err) // a constant value
	}
	return []byte(slackbot.ClickBody(slackbot.Click{
		TeamID: "T0BENCH", ChannelID: "C0BENCH", UserID: userID, UserName: "bench",
		ActionID: v.ActionID(), BlockID: v.BlockID(0), Value: enc, MessageTS: "1765099800.000100",
		ResponseURL: "https://hooks.slack.com/actions/T0BENCH/1/bench", TriggerID: nextTrigger(),
	}))
}

// CheckEmpty accepts the answer to a click: an empty 200.
func CheckEmpty(status int, body []byte) error {
	if status != http.StatusOK || len(body) != 0 {
		return fmt.Errorf("status %d %.200q, want an empty 200", status, body)
	}
	return nil
}

// Ack is the JSON body of a slash command's acknowledgement.
type Ack struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// CheckAck accepts a 200 whose body is an ephemeral acknowledgement with
// text: the answer to a command that was verified, parsed and accepted.
func CheckAck(status int, body []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("status %d: %.200s", status, body)
	}
	var a Ack
	if err := json.Unmarshal(body, &a); err != nil || a.ResponseType != "ephemeral" || a.Text == "" {
		return fmt.Errorf("not an ephemeral acknowledgement: %.200s", body)
	}
	return nil
}

// Target is a server to send a command to.
type Target struct {
	// URL is the slash-command endpoint, http://127.0.0.1:PORT/slack/commands.
	URL string
	// Secret is the Slack signing secret the server checks.
	Secret string
	// Body is the form body (see [Command.Form]).
	Body []byte
	// Check judges each answer; nil means [CheckAck].
	Check func(status int, body []byte) error
	// NewBody, when set, makes each request's body instead of Body (a
	// click with a fresh trigger_id: [ClickBody]).
	NewBody func() []byte
}

// NewClient returns the HTTP client the load tool uses: keep-alive on, one
// connection per host, no proxy, no compression.
func NewClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil,
			DisableCompression:  true,
			MaxIdleConnsPerHost: 1,
			DialContext:         (&net.Dialer{Timeout: requestTimeout}).DialContext,
		},
		Timeout: requestTimeout,
	}
}

// errTransport marks a request that got no HTTP answer at all.
var errTransport = errors.New("no answer")

// Send sends one freshly signed request with client and returns its
// latency: from just before the request is sent to the end of the
// response body. The answer must pass t.Check.
func (t *Target) Send(ctx context.Context, client *http.Client) (time.Duration, error) {
	if err := checkLoopback(t.URL); err != nil {
		return 0, err
	}
	form := freshTrigger(t.Body)
	if t.NewBody != nil {
		form = t.NewBody()
	}
	ts, sig := Sign(t.Secret, form, time.Now())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(form))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errTransport, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%w: read body: %w", errTransport, err)
	}
	check := t.Check
	if check == nil {
		check = CheckAck
	}
	if err := check(resp.StatusCode, body); err != nil {
		return 0, err
	}
	return elapsed, nil
}

// checkLoopback refuses any target that is not on 127.0.0.0/8 or ::1.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("slashload: %q is not a loopback address", u.Host)
	}
	return nil
}

// Warm sends n requests one after another, each as soon as the previous
// one is answered, over one keep-alive connection, and returns their
// latencies in order.
func Warm(ctx context.Context, t *Target, n int) ([]time.Duration, error) {
	return WarmEvery(ctx, t, n, 0)
}

// WarmEvery is Warm with requests sent no closer than every apart: each
// one leaves every after the one before (or when that one is answered, if
// later). A server that does work after answering (streambot serve runs
// each Job in its own process) has it done before the next request when
// every is longer than that work; back to back (every 0), the next request
// meets it on the same cores.
func WarmEvery(ctx context.Context, t *Target, n int, every time.Duration) ([]time.Duration, error) {
	client := NewClient()
	defer client.CloseIdleConnections()
	out := make([]time.Duration, 0, n)
	next := time.Now()
	for i := range n {
		if wait := time.Until(next); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return out, ctx.Err()
			}
		}
		next = time.Now().Add(every)
		d, err := t.Send(ctx, client)
		if err != nil {
			return out, fmt.Errorf("request %d: %w", i+1, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// Server is a process under measurement.
type Server struct {
	cmd     *exec.Cmd
	started time.Time
	done    chan struct{}
}

// Start starts cmd (in a process group of its own, killed if this process
// dies) and returns at once. Stop it with [Server.Stop].
func Start(cmd *exec.Cmd) (*Server, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	cmd.WaitDelay = time.Second
	s := &Server{cmd: cmd, done: make(chan struct{})}
	s.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	return s, nil
}

// Started returns the instant just before the process was started.
func (s *Server) Started() time.Time { return s.started }

// PID returns the process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// FirstAck sends signed requests to t, one at a time, until one is
// acknowledged, and returns the time from just before the process started
// to the arrival of that acknowledgement. A request that gets no answer
// (connection refused: not listening yet) is retried after [PollInterval];
// an answer that fails t.Check, the process exiting, or ctx ending is an
// error.
func (s *Server) FirstAck(ctx context.Context, t *Target) (time.Duration, error) {
	client := NewClient()
	defer client.CloseIdleConnections()
	for {
		_, err := t.Send(ctx, client)
		if err == nil {
			return time.Since(s.started), nil
		}
		if !errors.Is(err, errTransport) {
			return 0, err
		}
		select {
		case <-s.done:
			return 0, fmt.Errorf("process exited before acknowledging: %v", s.cmd.ProcessState)
		case <-ctx.Done():
			return 0, fmt.Errorf("no acknowledgement: %w (last: %v)", context.Cause(ctx), err)
		case <-time.After(PollInterval):
		}
	}
}

// PeakRSS returns the process's peak resident set size so far (VmHWM), in
// bytes.
func (s *Server) PeakRSS() (int64, error) { return procstat.PeakRSS(s.PID()) }

// Stop sends SIGTERM to the process group, kills it after a second, and
// waits for the process to exit.
func (s *Server) Stop() {
	pgid := s.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(time.Second):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-s.done
}

// Summary describes a set of timings.
type Summary struct {
	N                       int
	Min, P50, P90, P99, Max time.Duration
	Mean                    time.Duration
}

// Summarize returns the count, extremes, mean and nearest-rank percentiles
// of d (which it does not modify). An empty d gives a zero Summary.
func Summarize(d []time.Duration) Summary {
	if len(d) == 0 {
		return Summary{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	var sum time.Duration
	for _, v := range s {
		sum += v
	}
	return Summary{
		N: len(s), Min: s[0], Max: s[len(s)-1], Mean: sum / time.Duration(len(s)),
		P50: Percentile(s, 50), P90: Percentile(s, 90), P99: Percentile(s, 99),
	}
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted, a non-empty ascending slice: the smallest value with at least p%
// of the values at or below it.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(float64(len(sorted))*p/100 + 0.999999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// String formats s in milliseconds, e.g. "n=20 p50=4.12ms min=3.90ms max=6.01ms".
func (s Summary) String() string {
	return fmt.Sprintf("n=%d p50=%s p90=%s p99=%s min=%s max=%s", s.N, Ms(s.P50), Ms(s.P90), Ms(s.P99), Ms(s.Min), Ms(s.Max))
}

// Ms formats d in milliseconds with two decimals.
func Ms(d time.Duration) string { return strconv.FormatFloat(MsFloat(d), 'f', 2, 64) + "ms" }

// MsFloat returns d in milliseconds.
func MsFloat(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
