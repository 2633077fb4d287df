package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/testtools"

	"github.com/slack-go/slack"
)

func TestDemo(t *testing.T) {
	var out, logs bytes.Buffer
	if err := run(t.Context(), []string{"demo"}, nil, &out, &logs); err != nil {
		t.Fatalf("streambot demo: %v\n%s\nlogs:\n%s", err, out.String(), logs.String())
	}
	got := out.String()
	for _, want := range []string{
		"Every step behaved as expected.",
		"↳ reply in the thread:",
		".virginia-usa.a.query.mongodb.net",
		"NO_PAYMENT_INFORMATION_FOUND",
		"Not allowed",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("demo output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "✘") {
		t.Errorf("demo output reports a failed expectation:\n%s", got)
	}
}

// TestDemoFailsLoudly proves the demo's checks can fail: a step expecting
// what the bot does not say makes the run return errDemoFailed.
func TestDemoFailsLoudly(t *testing.T) {
	steps := []demoStep{{
		title: "help that says something else", user: alice, text: "help",
		check: func(d *demo, r stepResult) []string {
			return expect(strings.Contains(r.ack, "no such text"), "the help says no such text")
		},
	}}
	var out bytes.Buffer
	err := runScript(t.Context(), nil, steps, &out, &bytes.Buffer{})
	if !errors.Is(err, errDemoFailed) {
		t.Fatalf("runScript() = %v, want errDemoFailed", err)
	}
	if !strings.Contains(out.String(), "✘ expected: the help says no such text") {
		t.Errorf("output does not name the failed expectation:\n%s", out.String())
	}
}

// TestServeAndSlash runs `streambot serve` with an inline policy, sends a
// signed create with `streambot slash`, then stops the server the way
// Ctrl-C does and checks that the Job in flight was answered first.
func TestServeAndSlash(t *testing.T) {
	addr := freeAddr(t)
	env := map[string]string{
		"SLACK_SIGNING_SECRET": "local-secret",
		"ACCESS_POLICY": `{"projects": {"dev": "6a1b2c3d4e5f6a7b8c9d0e1f"}, "default_project": "dev",
			"grants": [{"subjects": ["user:U0ALICE"], "projects": ["dev"], "role": "GROUP_OWNER"}]}`,
	}
	getenv := func(k string) string { return env[k] }
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	var serveOut testtools.Buffer
	served := make(chan error, 1)
	go func() { served <- run(ctx, []string{"serve", "--addr", addr}, getenv, &serveOut, &bytes.Buffer{}) }()
	waitListening(t, addr)

	url := "http://" + addr + "/slack/commands"
	var out bytes.Buffer
	err := run(t.Context(), []string{"slash", "--url", url, "--user", "U0ALICE", "create", "orders-ws", "--region", "VIRGINIA_USA"}, getenv, &out, &bytes.Buffer{})
	if err != nil {
		t.Fatalf("slash: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "HTTP 200") || !strings.Contains(out.String(), "Working on it") {
		t.Errorf("slash printed %q, want an HTTP 200 ack that is working on it", out.String())
	}
	err = run(t.Context(), []string{"slash", "--url", url, "--secret", "wrong", "list"}, getenv, &out, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("slash with a wrong secret = %v, want a 401 error", err)
	}

	stop()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s of the interrupt")
	}
	if got := serveOut.String(); !strings.Contains(got, "↳ reply in the thread:") || !strings.Contains(got, "orders-ws") {
		t.Errorf("the console did not show the thread reply before serve stopped:\n%s", got)
	}
}

func TestSlashHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"slash", "--help"}, func(string) string { return "" }, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("slash --help: %v", err)
	}
	for _, flag := range []string{"-url", "-secret", "-user", "-channel", "-team", "-response-url"} {
		if !strings.Contains(out.String(), flag) {
			t.Errorf("slash --help does not list %s:\n%s", flag, out.String())
		}
	}
}

func TestServeNeedsSigningSecret(t *testing.T) {
	err := run(t.Context(), []string{"serve"}, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{})
	if !isUsage(err) || !strings.Contains(err.Error(), "SLACK_SIGNING_SECRET") {
		t.Errorf("serve without a signing secret = %v, want a usage error naming SLACK_SIGNING_SECRET", err)
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:3000"} {
		if _, _, err := listen(addr, http.NotFoundHandler()); !isUsage(err) {
			t.Errorf("listen(%q) = %v, want a usage error", addr, err)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"bogus"}, {"slash"}, {"demo", "extra"}} {
		err := run(t.Context(), args, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{})
		if !isUsage(err) {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
		}
	}
}

// TestSignVerifies checks the slash command's signature with slack-go's
// verifier, the one the Slack edge uses.
func TestSignVerifies(t *testing.T) {
	now := time.Now()
	body := slashRequest{Command: "/stream", Text: "list", TeamID: "T1", ChannelID: "C1", UserID: "U1"}.form()
	ts, sig := sign("s3cret", now, body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", sig)
	v, err := slack.NewSecretsVerifier(h, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	v.Write([]byte(body))
	if err := v.Ensure(); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
	v, _ = slack.NewSecretsVerifier(h, "other")
	v.Write([]byte(body))
	if err := v.Ensure(); err == nil {
		t.Error("signature verifies with another secret")
	}
}

func TestMrkdwn(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<@U0ALICE> asked", "@U0ALICE asked"},
		{"<https://x.example/a|Open in Atlas>", "Open in Atlas (https://x.example/a)"},
		{"*Tier*\nSP30", "Tier\nSP30"},
		{"typed &lt;!channel&gt; &amp; more", "typed <!channel> & more"},
		{"```code```", "code"},
		{"<!here>", "@here"},
	}
	for _, tc := range tests {
		if got := mrkdwn(tc.in); got != tc.want {
			t.Errorf("mrkdwn(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listening on %s after 10s", addr)
}
