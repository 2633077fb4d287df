package slashload_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/bench/slashload"
)

const secret = "test-signing-secret"

// TestMain runs a tiny slash-command server instead of the tests when the
// test binary is re-executed by child.
func TestMain(m *testing.M) {
	switch os.Getenv("SLASHLOAD_CHILD") {
	case "":
		os.Exit(m.Run())
	case "exit":
		os.Exit(3)
	default:
		delay, _ := time.ParseDuration(os.Getenv("SLASHLOAD_DELAY"))
		time.Sleep(delay)
		status := http.StatusOK
		if os.Getenv("SLASHLOAD_CHILD") == "deny" {
			status = http.StatusUnauthorized
		}
		http.ListenAndServe(os.Getenv("SLASHLOAD_ADDR"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			w.Write([]byte(`{"response_type":"ephemeral","text":"ok"}`))
		}))
	}
}

func child(t *testing.T, mode, addr string, delay time.Duration) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SLASHLOAD_CHILD="+mode, "SLASHLOAD_ADDR="+addr, "SLASHLOAD_DELAY="+delay.String())
	return cmd
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Slack's own verifier (slack-go) accepts what Sign produces.
func TestSignVerifiesWithSlackGo(t *testing.T) {
	body := slashload.NewCommand("U0ALICE", slashload.DefaultText).Form()
	ts, sig := slashload.Sign(secret, body, time.Now())
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", sig)
	v, err := slack.NewSecretsVerifier(h, secret)
	if err != nil {
		t.Fatal(err)
	}
	v.Write(body)
	if err := v.Ensure(); err != nil {
		t.Errorf("slack-go rejects the signature: %v", err)
	}
	v, _ = slack.NewSecretsVerifier(h, "another-secret")
	v.Write(body)
	if v.Ensure() == nil {
		t.Error("slack-go accepts the signature with another secret")
	}
}

func TestForm(t *testing.T) {
	got, err := url.ParseQuery(string(slashload.NewCommand("U0ALICE", "list").Form()))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"command": "/stream", "text": "list", "user_id": "U0ALICE", "team_id": "T0BENCH"} {
		if got.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, got.Get(k), want)
		}
	}
}

func TestEvent(t *testing.T) {
	c := slashload.NewCommand("U0ALICE", slashload.DefaultText)
	at := time.Now()
	data, err := c.Event(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	body, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil || !ev.IsBase64Encoded {
		t.Fatalf("body: base64 %v, %v", ev.IsBase64Encoded, err)
	}
	if diff := cmp.Diff(c.Form(), body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	ts, sig := slashload.Sign(secret, body, at)
	if ev.Headers["x-slack-request-timestamp"] != ts || ev.Headers["x-slack-signature"] != sig {
		t.Errorf("headers %v do not carry the signature %s %s", ev.Headers, ts, sig)
	}
	if ev.RequestContext.HTTP.Method != http.MethodPost || ev.RawPath != "/slack/commands" {
		t.Errorf("method %q path %q", ev.RequestContext.HTTP.Method, ev.RawPath)
	}
}

func TestCheckAck(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		ok     bool
	}{
		{"ack", 200, `{"response_type":"ephemeral","text":"Working on it"}`, true},
		{"401", 401, `{"response_type":"ephemeral","text":"x"}`, false},
		{"in channel", 200, `{"response_type":"in_channel","text":"x"}`, false},
		{"no text", 200, `{"response_type":"ephemeral"}`, false},
		{"not JSON", 200, `ok`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := slashload.CheckAck(tt.status, []byte(tt.body)); (err == nil) != tt.ok {
				t.Errorf("CheckAck = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	got := slashload.Summarize(d)
	want := slashload.Summary{N: 100, Min: time.Millisecond, P50: 50 * time.Millisecond, P90: 90 * time.Millisecond,
		P99: 99 * time.Millisecond, Max: 100 * time.Millisecond, Mean: 50500 * time.Microsecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summarize (-want +got):\n%s", diff)
	}
	if d[0] != 100*time.Millisecond {
		t.Error("Summarize sorted its input")
	}
	if got := slashload.Summarize(nil); got != (slashload.Summary{}) {
		t.Errorf("Summarize(nil) = %+v", got)
	}
	if got := slashload.Percentile([]time.Duration{1, 2, 3}, 50); got != 2 {
		t.Errorf("Percentile([1 2 3], 50) = %v, want 2", got)
	}
	if got := slashload.Percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("Percentile([7], 99) = %v, want 7", got)
	}
	if s := slashload.Summarize([]time.Duration{1500 * time.Microsecond}).String(); !strings.Contains(s, "p50=1.50ms") {
		t.Errorf("String() = %q", s)
	}
}

func TestSendRefusesNonLoopback(t *testing.T) {
	tg := &slashload.Target{URL: "http://192.0.2.1/slack/commands", Secret: secret}
	if _, err := tg.Send(t.Context(), slashload.NewClient()); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("Send to a non-loopback address: %v, want a refusal", err)
	}
}

// Send signs each request: a server checking with slack-go accepts it.
func TestSendAndWarm(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := slack.NewSecretsVerifier(r.Header, secret)
		if err == nil {
			_, err = v.Write(mustRead(r))
		}
		if err == nil {
			err = v.Ensure()
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"response_type":"ephemeral","text":"ok"}`))
	}))
	defer srv.Close()
	tg := &slashload.Target{URL: srv.URL, Secret: secret, Body: slashload.NewCommand("U0ALICE", "list").Form()}
	d, err := slashload.Warm(t.Context(), tg, 5)
	if err != nil || len(d) != 5 {
		t.Fatalf("Warm = %v, %v; want 5 latencies", d, err)
	}
	bad := *tg
	bad.Secret = "wrong"
	if _, err := bad.Send(t.Context(), slashload.NewClient()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("Send with the wrong secret = %v, want the 401", err)
	}
}

func mustRead(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}

// FirstAck waits for a server that starts listening late, and times from
// the process start.
func TestFirstAck(t *testing.T) {
	addr := freeAddr(t)
	srv, err := slashload.Start(child(t, "serve", addr, 50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	tg := &slashload.Target{URL: "http://" + addr + "/slack/commands", Secret: secret, Body: []byte("text=x")}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	d, err := srv.FirstAck(ctx, tg)
	if err != nil {
		t.Fatalf("FirstAck: %v", err)
	}
	if d < 50*time.Millisecond {
		t.Errorf("FirstAck = %v, shorter than the child's 50ms delay", d)
	}
	if rss, err := srv.PeakRSS(); err != nil || rss <= 0 {
		t.Errorf("PeakRSS = %d, %v", rss, err)
	}
	pid := srv.PID()
	srv.Stop()
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("process %d still runs after Stop", pid)
	}
}

func TestFirstAckFailures(t *testing.T) {
	tests := []struct {
		mode string
		want string
	}{
		{"exit", "exited before acknowledging"},
		{"deny", "status 401"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			addr := freeAddr(t)
			srv, err := slashload.Start(child(t, tt.mode, addr, 0))
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Stop()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			tg := &slashload.Target{URL: "http://" + addr + "/", Secret: secret, Body: []byte("text=x")}
			_, err = srv.FirstAck(ctx, tg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("FirstAck = %v, want an error containing %q", err, tt.want)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("FirstAck waited for the deadline: %v", err)
			}
		})
	}
}
