package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/testtools"
	"github.com/streambot/streambot/pkg/atlas/atlasspec"
	"github.com/streambot/streambot/pkg/atlas/atlastest"

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
		"🪟 streambot opens a form (views.open):",
		"[modal] Create workspace",
		"the form stays open, with:\n   • name: ",
		"(the form closes)",
		".ohio-usa.a.query.mongodb.net",
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
	addr, getenv, serveOut, stopServe := startServeParts(t, `{"projects": {"dev": "6a1b2c3d4e5f6a7b8c9d0e1f"}, "default_project": "dev",
			"grants": [{"subjects": ["user:U0ALICE"], "projects": ["dev"], "role": "GROUP_OWNER"}]}`)

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
	// With the default flags (the demo's alice, a made-up hooks.slack.com
	// response_url), a list is answered on serve's console.
	out.Reset()
	if err := run(t.Context(), []string{"slash", "--url", url, "list"}, getenv, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("slash list: %v\n%s", err, out.String())
	}

	stopServe()
	if got := serveOut.String(); !strings.Contains(got, "↳ reply in the thread:") || !strings.Contains(got, "orders-ws") {
		t.Errorf("the console did not show the thread reply before serve stopped:\n%s", got)
	}
	// The list may run before or after the create's Job: "No stream
	// workspaces in project dev." or "1 stream workspace in project dev".
	if got := serveOut.String(); !regexp.MustCompile(`💬 streambot \(only visible to you\):\n   .* in project dev`).MatchString(got) {
		t.Errorf("the console did not show the list answer posted to the response_url:\n%s", got)
	}
}

// TestSubcommandHelp checks that every subcommand answers -h and --help
// with its flags on stdout and exit status 0, and a stray argument or an
// unknown flag with a usage error that shows them.
func TestSubcommandHelp(t *testing.T) {
	noEnv := func(string) string { return "" }
	for cmd, flags := range map[string][]string{
		"serve":  {"-addr"},
		"demo":   {"-v"},
		"slash":  {"-url", "-secret", "-user", "-channel", "-team", "-response-url", "-json"},
		"click":  {"-url", "-secret", "-user", "-channel", "-team", "-message-ts", "-action-id", "-block-id", "-response-url"},
		"submit": {"-url", "-secret", "-user", "-team", "-metadata", "-view-id", "-callback-id"},
	} {
		t.Run(cmd, func(t *testing.T) {
			for _, h := range []string{"-h", "--help"} {
				var out bytes.Buffer
				if err := run(t.Context(), []string{cmd, h}, noEnv, &out, &bytes.Buffer{}); err != nil {
					t.Fatalf("%s %s: %v", cmd, h, err)
				}
				if !strings.HasPrefix(out.String(), "usage: streambot "+cmd) {
					t.Errorf("%s %s printed %q, want the usage line", cmd, h, out.String())
				}
				for _, f := range flags {
					if !strings.Contains(out.String(), f) {
						t.Errorf("%s %s does not list %s:\n%s", cmd, h, f, out.String())
					}
				}
			}
			err := run(t.Context(), []string{cmd, "--no-such-flag"}, noEnv, &bytes.Buffer{}, &bytes.Buffer{})
			if !isUsage(err) || !strings.Contains(err.Error(), "no-such-flag") || !strings.Contains(err.Error(), flags[0]) {
				t.Errorf("%s --no-such-flag = %v, want a usage error naming the flag and listing %s", cmd, err, flags[0])
			}
		})
	}
	for _, cmd := range []string{"serve", "demo"} {
		err := run(t.Context(), []string{cmd, "stray"}, noEnv, &bytes.Buffer{}, &bytes.Buffer{})
		if !isUsage(err) || !strings.Contains(err.Error(), `unexpected argument "stray"`) {
			t.Errorf("%s stray = %v, want a usage error about the argument", cmd, err)
		}
	}
}

// TestServeRefusesMalformedSecretARN checks that serve refuses a secret
// ARN variable holding something else (say the secret's JSON) at start-up,
// like the Lambda functions, without repeating it.
func TestServeRefusesMalformedSecretARN(t *testing.T) {
	const pasted = `{"signing_secret":"s3cr3t"}`
	env := map[string]string{"SLACK_SECRET_ARN": pasted}
	err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "SLACK_SECRET_ARN") {
		t.Fatalf("serve with a malformed SLACK_SECRET_ARN = %v, want an error naming it", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %q repeats the secret", err)
	}
}

// A policy that does not load stops serve with its error, naming the
// line, although it loads while the embedded Atlas and Slack start; the
// two are stopped again.
func TestServeRefusesABadPolicy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte("grants:\n  - subjects: [user:U1]\n    role: NOT_A_ROLE\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SLACK_SIGNING_SECRET": "s", "ACCESS_POLICY_FILE": path}
	before := runtime.NumGoroutine()
	err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "access policy") || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("serve with a bad policy = %v, want the policy's error with its line", err)
	}
	// The embedded servers' goroutines end once they are closed.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after serve returned, %d before: the embedded servers were left running", n, before)
	}
}

// When the stack fails for another reason while the policy loads, serve
// waits for the load and reports both: the policy's error is not hidden,
// and nothing the load logs comes after serve returned (-race checks the
// log buffer read below).
func TestServeReportsThePolicyWithAnotherError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte("grants:\n  - subjects: [user:U1]\n    role: NOT_A_ROLE\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SLACK_SECRET_ARN": "not an arn at all", "ACCESS_POLICY_FILE": path}
	var logs bytes.Buffer
	err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, &bytes.Buffer{}, &logs)
	if err == nil || !strings.Contains(err.Error(), "access policy") || !strings.Contains(err.Error(), "SLACK_SECRET_ARN") {
		t.Fatalf("serve = %v, want the policy's error and the secret ARN's", err)
	}
	_ = logs.String()
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
		{"through <!subteam^S0PLATFORM>; ask <#C0ADMINS>", "through @S0PLATFORM; ask #C0ADMINS"},
		{":no_entry: Not allowed", "⛔ Not allowed"},
		{"until <!date^1741775460^{date_short_pretty} {time}|2025-03-12 10:31 UTC>.", "until 2025-03-12 10:31 UTC."},
		{"by <!subteam^S0SRE> or <@U0LEAD>", "by @S0SRE or @U0LEAD"},
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

// TestServeRealServices checks that with credentials serve embeds nothing
// and says which Atlas and Slack it talks to, without printing secrets.
func TestServeRealServices(t *testing.T) {
	rec := slackrec.Start("xoxb-real-test")
	t.Cleanup(rec.Close)
	a := atlastest.NewServer(t, atlastest.WithChecker(atlasspec.Checker{}))
	env := map[string]string{
		"SLACK_SIGNING_SECRET":        "local-secret",
		"SLACK_BOT_TOKEN":             "xoxb-real-test",
		"SLACK_API_URL":               strings.TrimSuffix(rec.APIURL(), "/"), // serve adds the slash
		"MONGODB_ATLAS_CLIENT_ID":     "mdb_sa_id_real",
		"MONGODB_ATLAS_CLIENT_SECRET": "atlas-s3cr3t",
		"ATLAS_BASE_URL":              a.URL,
	}
	addr := freeAddr(t)
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	var out testtools.Buffer
	served := make(chan error, 1)
	go func() {
		served <- run(ctx, []string{"serve", "--addr", addr}, func(k string) string { return env[k] }, &out, &bytes.Buffer{})
	}()
	waitListening(t, addr)
	stop()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	got := out.String()
	for _, want := range []string{
		"  Atlas: " + a.URL + " (credentials from",
		"  Slack: the Web API at " + rec.APIURL() + " (bot token from",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("serve output lacks %q:\n%s", want, got)
		}
	}
	for _, secret := range []string{"xoxb-real-test", "atlas-s3cr3t", "local-secret", "embedded", "console"} {
		if strings.Contains(got, secret) {
			t.Errorf("serve output mentions %q:\n%s", secret, got)
		}
	}
}
