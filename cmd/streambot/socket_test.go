package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/secrets"
	"github.com/streambot/streambot/internal/slackbot"
	"github.com/streambot/streambot/internal/testtools"
)

const (
	testAppToken      = "xapp-1-A0STREAMBOT-1-0123456789-test"
	testSigningSecret = "local-secret"
	socketTestPolicy  = `{"projects": {"dev": "6a1b2c3d4e5f6a7b8c9d0e1f"}, "default_project": "dev",
		"grants": [{"subjects": ["user:U0ALICE"], "projects": ["dev"], "role": "GROUP_OWNER"}]}`
	// hangGuard only keeps a broken test from hanging; nothing is timed.
	hangGuard = 30 * time.Second
)

// fakeSocketSlack is the part of Slack that Socket Mode talks to:
// apps.connections.open on the Web API, answering with the URL of a
// websocket endpoint that greets each connection with hello and hands it
// to the test, which then plays Slack's side of the conversation.
type fakeSocketSlack struct {
	url   string
	conns chan *websocket.Conn
	opens atomic.Int32
}

func startFakeSocketSlack(t *testing.T) *fakeSocketSlack {
	t.Helper()
	f := &fakeSocketSlack{conns: make(chan *websocket.Conn, 4)}
	up := websocket.Upgrader{CheckOrigin: func(r *http.Request) bool {
		return r.Header.Get("Origin") == "https://api.slack.com" // what slack-go sends
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		f.opens.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+testAppToken {
			io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"ok": true, "url": "ws://" + r.Host + "/link/?ticket=t-" + strconv.Itoa(int(f.opens.Load())) + "&app_id=A0STREAMBOT",
		})
	})
	mux.HandleFunc("GET /link/", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return // the upgrader has answered
		}
		hello := `{"type":"hello","num_connections":1,"debug_info":{"host":"applink-test"},"connection_info":{"app_id":"A0STREAMBOT"}}`
		if err := c.WriteMessage(websocket.TextMessage, []byte(hello)); err != nil {
			c.Close()
			return
		}
		f.conns <- c
	})
	srv := httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fakeSocketSlack) apiURL() string { return f.url + "/api/" }

// accept waits for the bot to connect and returns Slack's end.
func (f *fakeSocketSlack) accept(t *testing.T) *slackEnd {
	t.Helper()
	select {
	case c := <-f.conns:
		t.Cleanup(func() { c.Close() })
		return &slackEnd{c: c}
	case <-time.After(hangGuard):
		t.Fatal("the bot did not open a Socket Mode connection")
		return nil
	}
}

// slackEnd is Slack's side of one Socket Mode connection.
type slackEnd struct {
	c *websocket.Conn
	n int
}

// socketAck is the bot's acknowledgement of one envelope.
type socketAck struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

// send delivers an envelope of type typ and returns its envelope_id.
func (s *slackEnd) send(t *testing.T, typ string, payload any) string {
	t.Helper()
	s.n++
	id := "env-" + typ + "-" + strconv.Itoa(s.n)
	err := s.c.WriteJSON(map[string]any{
		"envelope_id": id, "type": typ, "payload": payload, "accepts_response_payload": typ == "slash_commands",
	})
	if err != nil {
		t.Fatalf("send %s envelope: %v", typ, err)
	}
	return id
}

// ack reads the bot's next message, which must acknowledge envelopeID.
func (s *slackEnd) ack(t *testing.T, envelopeID string) socketAck {
	t.Helper()
	s.c.SetReadDeadline(time.Now().Add(hangGuard))
	_, msg, err := s.c.ReadMessage()
	if err != nil {
		t.Fatalf("reading the ack of %s: %v", envelopeID, err)
	}
	var a socketAck
	if err := json.Unmarshal(msg, &a); err != nil {
		t.Fatalf("ack %s is not JSON: %v", msg, err)
	}
	if a.EnvelopeID != envelopeID {
		t.Fatalf("ack is for envelope %q, want %q (message %s)", a.EnvelopeID, envelopeID, msg)
	}
	return a
}

// closed reports whether the bot closed the connection (rather than the
// read timing out).
func (s *slackEnd) closed(t *testing.T) bool {
	t.Helper()
	s.c.SetReadDeadline(time.Now().Add(hangGuard))
	for {
		_, msg, err := s.c.ReadMessage()
		if err == nil {
			t.Logf("message after shutdown: %s", msg)
			continue
		}
		var ne net.Error
		return !errors.As(err, &ne) || !ne.Timeout()
	}
}

// slashPayload is a slash_commands payload as Slack sends it over Socket
// Mode, is_enterprise_install as a string included.
func slashPayload(user, text, trigger string) map[string]any {
	return map[string]any{
		"token": "deprecated-verification-token", "team_id": "T0TEAM", "team_domain": "example",
		"channel_id": "C0PLATFORM", "channel_name": "platform", "user_id": user, "user_name": strings.ToLower(user),
		"command": "/stream", "text": text, "api_app_id": "A0STREAMBOT", "is_enterprise_install": "false",
		"response_url": "https://hooks.slack.com/commands/T0TEAM/1/" + trigger, "trigger_id": trigger,
	}
}

// recordingDispatcher records the Jobs it is given. When release is set,
// Dispatch signals entered and waits for release.
type recordingDispatcher struct {
	mu       sync.Mutex
	jobs     []provision.Job
	entered  chan struct{}
	release  chan struct{}
	returned atomic.Bool
}

func (d *recordingDispatcher) Dispatch(_ context.Context, job provision.Job) error {
	d.mu.Lock()
	d.jobs = append(d.jobs, job)
	d.mu.Unlock()
	if d.release != nil {
		d.entered <- struct{}{}
		<-d.release
	}
	d.returned.Store(true)
	return nil
}

func (d *recordingDispatcher) Jobs() []provision.Job {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]provision.Job(nil), d.jobs...)
}

func testEnv(k string) string {
	return map[string]string{"SLACK_SIGNING_SECRET": testSigningSecret}[k]
}

// newTestHandler is the Slack edge as serve builds it, with d as the worker.
func newTestHandler(t *testing.T, d slackbot.Dispatcher) *slackbot.Handler {
	t.Helper()
	p, err := access.Load([]byte(socketTestPolicy))
	if err != nil {
		t.Fatal(err)
	}
	h, err := slackbot.New(slackbot.Config{
		Secrets: secrets.NewStore(testEnv, nil), Policy: p, Dispatcher: d, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// httpAck is what the HTTP path answers to the same command, signed.
func httpAck(t *testing.T, user, text, trigger string) reply.Ack {
	t.Helper()
	h := newTestHandler(t, &recordingDispatcher{})
	req, err := newSignedRequest(t.Context(), "http://127.0.0.1/slack/commands", testSigningSecret, time.Now(), slashRequest{
		Command: "/stream", Text: text, TeamID: "T0TEAM", ChannelID: "C0PLATFORM", UserID: user,
		UserName: strings.ToLower(user), ResponseURL: "https://hooks.slack.com/commands/T0TEAM/1/" + trigger, TriggerID: trigger,
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var a reply.Ack
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &a) != nil {
		t.Fatalf("HTTP path answered %d %q", rec.Code, rec.Body)
	}
	return a
}

// startSocketMode runs runSocketMode against f until the returned cancel
// is called; done reports its result.
func startSocketMode(t *testing.T, f *fakeSocketSlack, token string, h commander, logs io.Writer) (cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ch := make(chan error, 1)
	go func() { ch <- runSocketMode(ctx, newSocketClient(token, f.apiURL(), log), h, log) }()
	return cancel, ch
}

func waitDone(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(hangGuard):
		t.Fatal("runSocketMode did not return")
		return nil
	}
}

// TestSocketMode plays Slack over a real websocket: slash commands come in
// as slash_commands envelopes and their acks go back with the HTTP path's
// text; other envelopes are acknowledged without a payload; cancelling
// stops the client and closes the connection.
func TestSocketMode(t *testing.T) {
	f := startFakeSocketSlack(t)
	d := &recordingDispatcher{}
	var logs testtools.Buffer
	cancel, done := startSocketMode(t, f, testAppToken, newTestHandler(t, d), &logs)
	slackSide := f.accept(t)

	tests := []struct {
		name, user, text string
		wantIn           string // in the ack text
		wantJob          bool
	}{
		{name: "create", user: "U0ALICE", text: "create orders-ws --region VIRGINIA_USA", wantIn: "Working on it: creating `orders-ws`", wantJob: true},
		{name: "denied caller", user: "U0MALLORY", text: "create orders-ws --region VIRGINIA_USA", wantIn: ":no_entry: Not allowed"},
		{name: "help", user: "U0MALLORY", text: "help", wantIn: "/stream create &lt;name&gt;"},
		{name: "usage error", user: "U0ALICE", text: "create orders-ws --teir SP30", wantIn: "--teir"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			trigger := "trig-" + strconv.Itoa(i)
			before := len(d.Jobs())
			id := slackSide.send(t, "slash_commands", slashPayload(tc.user, tc.text, trigger))
			a := slackSide.ack(t, id)

			var got reply.Ack
			if err := json.Unmarshal(a.Payload, &got); err != nil {
				t.Fatalf("ack payload %s: %v", a.Payload, err)
			}
			if diff := cmp.Diff(httpAck(t, tc.user, tc.text, trigger), got); diff != "" {
				t.Errorf("Socket Mode ack differs from the HTTP ack (-http +socket):\n%s", diff)
			}
			if got.ResponseType != reply.Ephemeral || !strings.Contains(got.Text, tc.wantIn) {
				t.Errorf("ack = %+v, want an ephemeral text containing %q", got, tc.wantIn)
			}

			jobs := d.Jobs()[before:]
			if !tc.wantJob {
				if len(jobs) != 0 {
					t.Errorf("dispatched %d Jobs, want none", len(jobs))
				}
				return
			}
			if len(jobs) != 1 {
				t.Fatalf("dispatched %d Jobs, want exactly 1", len(jobs))
			}
			j := jobs[0]
			if j.ID != trigger || j.Action != provision.ActionCreate || j.Name != "orders-ws" || j.GroupID != "6a1b2c3d4e5f6a7b8c9d0e1f" ||
				j.Slack == nil || j.Slack.UserID != tc.user || j.Slack.ChannelID != "C0PLATFORM" || !strings.HasSuffix(j.Slack.ResponseURL, trigger) {
				t.Errorf("Job = %+v, want the create from the envelope", j)
			}
		})
	}

	t.Run("other envelopes are acknowledged and ignored", func(t *testing.T) {
		before := len(d.Jobs())
		for typ, payload := range map[string]any{
			"events_api": map[string]any{
				"token": "x", "team_id": "T0TEAM", "api_app_id": "A0STREAMBOT", "type": "event_callback", "event_id": "Ev1", "event_time": 1,
				"event": map[string]any{"type": "app_mention", "user": "U0ALICE", "text": "<@U0BOT> create x", "ts": "1.2", "channel": "C0PLATFORM", "event_ts": "1.2"},
			},
			"interactive": map[string]any{"type": "block_actions", "user": map[string]any{"id": "U0ALICE"}, "actions": []any{}},
		} {
			id := slackSide.send(t, typ, payload)
			if a := slackSide.ack(t, id); len(a.Payload) != 0 {
				t.Errorf("%s ack carries a payload: %s", typ, a.Payload)
			}
		}
		if n := len(d.Jobs()) - before; n != 0 {
			t.Errorf("other envelopes dispatched %d Jobs", n)
		}
	})

	t.Run("a malformed envelope is logged and acknowledged", func(t *testing.T) {
		before := len(d.Jobs())
		bad := slashPayload("U0ALICE", "create orders-ws --region VIRGINIA_USA", "trig-bad")
		bad["user_id"] = 42 // slack-go cannot parse the command
		id := slackSide.send(t, "slash_commands", bad)
		if a := slackSide.ack(t, id); len(a.Payload) != 0 {
			t.Errorf("the malformed envelope's ack carries a payload: %s", a.Payload)
		}
		if !strings.Contains(logs.String(), `"msg":"socket mode message problem"`) {
			t.Errorf("the malformed envelope was not logged:\n%s", logs.String())
		}
		if n := len(d.Jobs()) - before; n != 0 {
			t.Errorf("the malformed envelope dispatched %d Jobs", n)
		}
	})

	cancel()
	if err := waitDone(t, done); err != nil {
		t.Errorf("runSocketMode after cancel = %v, want nil", err)
	}
	if !slackSide.closed(t) {
		t.Error("the bot kept the connection open after cancel")
	}
	if logs := logs.String(); strings.Contains(logs, testAppToken) || strings.Contains(logs, "hooks.slack.com") {
		t.Errorf("logs carry a credential:\n%s", logs)
	}
}

// TestSocketModeFinishesInFlight cancels while a command is being
// dispatched: runSocketMode returns only after that command is done.
func TestSocketModeFinishesInFlight(t *testing.T) {
	f := startFakeSocketSlack(t)
	d := &recordingDispatcher{entered: make(chan struct{}, 1), release: make(chan struct{})}
	var logs testtools.Buffer
	cancel, done := startSocketMode(t, f, testAppToken, newTestHandler(t, d), &logs)
	slackSide := f.accept(t)

	slackSide.send(t, "slash_commands", slashPayload("U0ALICE", "create orders-ws --region VIRGINIA_USA", "trig-inflight"))
	select {
	case <-d.entered:
	case <-time.After(hangGuard):
		t.Fatal("the command was not dispatched")
	}
	cancel()
	// Release the command only once runSocketMode is shutting down.
	for deadline := time.Now().Add(hangGuard); !strings.Contains(logs.String(), "socket mode stopping"); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("runSocketMode did not start stopping")
		}
	}
	close(d.release)
	if err := waitDone(t, done); err != nil {
		t.Errorf("runSocketMode = %v, want nil", err)
	}
	if !d.returned.Load() {
		t.Error("runSocketMode returned before the command in flight was dispatched")
	}
	if n := len(d.Jobs()); n != 1 {
		t.Errorf("dispatched %d Jobs, want 1", n)
	}
}

// TestSocketModeInvalidAuth: a token Slack refuses stops Socket Mode with
// an error that does not repeat the token.
func TestSocketModeInvalidAuth(t *testing.T) {
	f := startFakeSocketSlack(t)
	const wrong = "xapp-1-wrong-token"
	_, done := startSocketMode(t, f, wrong, newTestHandler(t, &recordingDispatcher{}), io.Discard)
	err := waitDone(t, done)
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("runSocketMode with a refused token = %v, want an invalid_auth error", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("error %q repeats the token", err)
	}
	if n := f.opens.Load(); n != 1 {
		t.Errorf("apps.connections.open called %d times, want 1 (no retry on invalid_auth)", n)
	}
}

// TestServeSocketMode runs `streambot serve` with SLACK_APP_TOKEN against
// the fake Slack: a create over Socket Mode is acknowledged, and Ctrl-C
// stops serve after the Job has answered in the thread.
func TestServeSocketMode(t *testing.T) {
	f := startFakeSocketSlack(t)
	env := map[string]string{
		"SLACK_SIGNING_SECRET": testSigningSecret,
		"SLACK_APP_TOKEN":      testAppToken,
		"SLACK_API_URL":        f.apiURL(),
		"ACCESS_POLICY":        socketTestPolicy,
	}
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	var out, logs testtools.Buffer
	served := make(chan error, 1)
	go func() {
		served <- run(ctx, []string{"serve", "--addr", freeAddr(t)}, func(k string) string { return env[k] }, &out, &logs)
	}()
	slackSide := f.accept(t)

	id := slackSide.send(t, "slash_commands", slashPayload("U0ALICE", "create orders-ws --region VIRGINIA_USA", "trig-serve"))
	var got reply.Ack
	if err := json.Unmarshal(slackSide.ack(t, id).Payload, &got); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.Text, "Working on it: creating `orders-ws`") {
		t.Errorf("ack text = %q, want the create acknowledgement", got.Text)
	}

	stop()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v\nlogs:\n%s", err, logs.String())
		}
	case <-time.After(hangGuard):
		t.Fatal("serve did not stop after the interrupt")
	}
	o := out.String()
	for _, want := range []string{"Socket Mode", "↳ reply in the thread:", "orders-ws"} {
		if !strings.Contains(o, want) {
			t.Errorf("serve output lacks %q:\n%s", want, o)
		}
	}
	if strings.Contains(logs.String(), testAppToken) {
		t.Errorf("logs carry the app token:\n%s", logs.String())
	}
}

func TestServeRejectsOtherTokensAsAppToken(t *testing.T) {
	for _, token := range []string{"xoxb-123-bot", "xoxp-123-user", "secret"} {
		t.Run(token, func(t *testing.T) {
			env := map[string]string{"SLACK_SIGNING_SECRET": testSigningSecret, "SLACK_APP_TOKEN": token}
			var out bytes.Buffer
			err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, &out, io.Discard)
			if !isUsage(err) || !strings.Contains(err.Error(), "SLACK_APP_TOKEN") {
				t.Fatalf("serve with SLACK_APP_TOKEN=%q = %v, want a usage error naming SLACK_APP_TOKEN", token, err)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error %q repeats the token", err)
			}
		})
	}
}

// noneCommander answers every command with reply.AckNone, as the handler
// does after opening the create form.
type noneCommander struct{}

func (noneCommander) Command(context.Context, slack.SlashCommand) reply.Ack { return reply.AckNone() }
func (noneCommander) Interaction(context.Context, *slack.InteractionCallback) []byte {
	return nil
}

// An empty acknowledgement (the form opened) goes back without a payload,
// as the HTTP path answers it with an empty 200.
func TestSocketModeEmptyAck(t *testing.T) {
	f := startFakeSocketSlack(t)
	var logs testtools.Buffer
	startSocketMode(t, f, testAppToken, noneCommander{}, &logs)
	slackSide := f.accept(t)
	id := slackSide.send(t, "slash_commands", slashPayload("U0ALICE", "create", "trig-form"))
	if a := slackSide.ack(t, id); len(a.Payload) != 0 {
		t.Errorf("ack payload = %s, want none", a.Payload)
	}
}
