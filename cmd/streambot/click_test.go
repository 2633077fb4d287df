package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/testtools"
)

// waitOutput polls out until re matches, for at most 30 s (the Jobs run in
// the background), and returns the first match's groups.
func waitOutput(t *testing.T, out *testtools.Buffer, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the console never showed %s:\n%s", re, out.String())
	return nil
}

// served is `streambot serve` running for a test on a free loopback
// address, with its console output.
type served struct {
	t      *testing.T
	addr   string
	getenv func(string) string
	out    testtools.Buffer
	stop   context.CancelFunc
	done   chan error
}

// startServe runs serve with a signing secret and the inline policy, and
// waits until it prints its routes.
func startServe(t *testing.T, policy string) *served {
	t.Helper()
	env := map[string]string{"SLACK_SIGNING_SECRET": "local-secret", "ACCESS_POLICY": policy}
	ctx, stop := context.WithCancel(t.Context())
	t.Cleanup(stop)
	s := &served{t: t, addr: freeAddr(t), getenv: func(k string) string { return env[k] }, stop: stop, done: make(chan error, 1)}
	go func() { s.done <- run(ctx, []string{"serve", "--addr", s.addr}, s.getenv, &s.out, &bytes.Buffer{}) }()
	waitListening(t, s.addr)
	// serve prints its addresses just after it starts listening
	waitOutput(t, &s.out, regexp.MustCompile(regexp.QuoteMeta("POST http://"+s.addr+"/slack/interactions")))
	return s
}

// slash sends a signed slash command with `streambot slash`.
func (s *served) slash(text ...string) {
	s.t.Helper()
	var out bytes.Buffer
	args := append([]string{"slash", "--url", "http://" + s.addr + "/slack/commands"}, text...)
	if err := run(s.t.Context(), args, s.getenv, &out, &bytes.Buffer{}); err != nil {
		s.t.Fatalf("slash %v: %v\n%s", text, err, out.String())
	}
}

// click presses a button with `streambot click` as user; ts is the
// message's timestamp ("" for a private message).
func (s *served) click(user, ts, value string) {
	s.t.Helper()
	var out bytes.Buffer
	args := []string{"click", "--url", "http://" + s.addr + "/slack/interactions", "--user", user}
	if ts != "" {
		args = append(args, "--message-ts", ts)
	}
	if err := run(s.t.Context(), append(args, value), s.getenv, &out, &bytes.Buffer{}); err != nil || !strings.Contains(out.String(), "HTTP 200") {
		s.t.Fatalf("click as %s: %v\n%s", user, err, out.String())
	}
}

// shutdown stops serve the way Ctrl-C does and waits for it.
func (s *served) shutdown() {
	s.t.Helper()
	s.stop()
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		s.t.Fatal("serve did not stop within 30s of the interrupt")
	}
}

// TestServeAndClick updates and deletes a workspace through serve the way
// a person does: /stream update, then the Apply button the console shows,
// pressed with `streambot click`; /stream delete, then its Delete button,
// where a click by someone else is refused first.
func TestServeAndClick(t *testing.T) {
	s := startServe(t, `{"projects": {"dev": "6a1b2c3d4e5f6a7b8c9d0e1f"}, "default_project": "dev",
		"grants": [{"subjects": ["user:U0ALICE", "user:U0CAROL"], "projects": ["dev"], "role": "GROUP_OWNER"}]}`)
	s.slash("create", "orders-ws", "--region", "VIRGINIA_USA")
	waitOutput(t, &s.out, regexp.MustCompile(`✅ Stream workspace .orders-ws. created`))
	s.slash("update", "orders-ws", "--tier", "SP50")
	m := waitOutput(t, &s.out, regexp.MustCompile(`--message-ts (\S+)\):\n[^\n]*asks to update stream workspace .orders-ws.[\s\S]*?\[Apply\]  \(streambot click '([^']+)'\)`))
	s.click("U0ALICE", m[1], m[2])
	waitOutput(t, &s.out, regexp.MustCompile(`✅ Updated stream workspace .orders-ws. in project dev:\n\s*• tier: SP30 → SP50`))

	s.slash("delete", "orders-ws")
	m = waitOutput(t, &s.out, regexp.MustCompile(`--message-ts (\S+)\):\n[^\n]*asks to delete stream workspace .orders-ws.[\s\S]*?\[Delete ⚠\]  \(streambot click '([^']+)'\)`))
	ts, value := m[1], m[2]

	s.click("U0CAROL", ts, value)
	waitOutput(t, &s.out, regexp.MustCompile(`Only the person who asked can confirm this`))
	s.click("U0ALICE", ts, value)
	waitOutput(t, &s.out, regexp.MustCompile(`🗑️ Deleted stream workspace .orders-ws.`))
	waitOutput(t, &s.out, regexp.MustCompile(`confirmed by @U0ALICE at .* ✅`))

	var out bytes.Buffer
	err := run(t.Context(), []string{"click", "--url", "http://" + s.addr + "/slack/interactions", "--secret", "wrong", value}, s.getenv, &out, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("click with a wrong secret = %v, want a 401 error", err)
	}
	if err := run(t.Context(), []string{"click", "not-a-value"}, s.getenv, &out, &bytes.Buffer{}); !isUsage(err) {
		t.Errorf("click with a value that does not parse and no --action-id = %v, want a usage error", err)
	}
	s.shutdown()
}

// TestServeProcessors runs the processor commands through serve as a
// person does: a workspace created with the solar sample gets the embedded
// Atlas's two processors; `processors` lists them with Start and Stop…;
// `stop` asks first, and the Stop button pressed with `streambot click`
// (twice: a replay) stops it once; `start` starts it again; the list's own
// Start button starts the other one.
func TestServeProcessors(t *testing.T) {
	s := startServe(t, `{"projects": {"dev": "6a1b2c3d4e5f6a7b8c9d0e1f"}, "default_project": "dev",
		"grants": [{"subjects": ["user:U0ALICE"], "projects": ["dev"], "role": "GROUP_STREAM_PROCESSING_OWNER"}]}`)
	s.slash("create", "solar-ws", "--region", "VIRGINIA_USA", "--sample-solar")
	waitOutput(t, &s.out, regexp.MustCompile(`✅ Stream workspace .solar-ws. created`))
	s.slash("processors", "solar-ws")
	m := waitOutput(t, &s.out, regexp.MustCompile("2 stream processors in workspace `solar-ws`[\\s\\S]*?"+
		"STARTED `solarDemo`[\\s\\S]*?\\[Stop…\\]  \\(streambot click '[^']+'\\)[\\s\\S]*?"+
		"STOPPED `solarAlerts`[\\s\\S]*?\\[Start\\]  \\(streambot click '([^']+)'\\)"))
	startOther := m[1]
	s.slash("processor", "solar-ws", "solarDemo")
	waitOutput(t, &s.out, regexp.MustCompile("Stream processor `solarDemo` in workspace `solar-ws`[\\s\\S]*?Pipeline"))
	s.slash("connections", "solar-ws")
	waitOutput(t, &s.out, regexp.MustCompile("1 connection in workspace `solar-ws`[\\s\\S]*?sample_stream_solar"))

	s.slash("stop", "solar-ws", "solarDemo")
	m = waitOutput(t, &s.out, regexp.MustCompile(`--message-ts (\S+)\):\n[^\n]*asks to stop stream processor .solarDemo.[\s\S]*?\[Stop ⚠\]  \(streambot click '([^']+)'\)`))
	ts, value := m[1], m[2]
	if strings.Contains(s.out.String(), "stopped. Atlas now reports") {
		t.Fatal("the processor stopped before the click")
	}
	s.click("U0ALICE", ts, value)
	waitOutput(t, &s.out, regexp.MustCompile(`solarDemo. in workspace .solar-ws. stopped\. Atlas now reports ⏸️ STOPPED`))
	s.click("U0ALICE", ts, value) // a replay
	waitOutput(t, &s.out, regexp.MustCompile(`already decided`))
	if n := strings.Count(s.out.String(), "stopped. Atlas now reports"); n != 1 {
		t.Errorf("%d 'stopped' answers, want exactly 1", n)
	}

	s.slash("start", "solar-ws", "solarDemo")
	waitOutput(t, &s.out, regexp.MustCompile(`solarDemo. in workspace .solar-ws. started\. Atlas now reports 🟢 STARTED`))
	s.click("U0ALICE", "", startOther)
	waitOutput(t, &s.out, regexp.MustCompile(`solarAlerts. in workspace .solar-ws. started\. Atlas now reports 🟢 STARTED`))
	s.shutdown()
}
