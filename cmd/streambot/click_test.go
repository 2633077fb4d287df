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

// TestServeAndClick deletes a workspace through serve the way a person
// does: /stream delete, then the Delete button the console shows, pressed
// with `streambot click`; a click by someone else is refused first.
func TestServeAndClick(t *testing.T) {
	addr := freeAddr(t)
	env := map[string]string{
		"SLACK_SIGNING_SECRET": "local-secret",
		"ACCESS_POLICY": `{"projects": {"dev": "6a1b2c3d4e5f6a7b8c9d0e1f"}, "default_project": "dev",
			"grants": [{"subjects": ["user:U0ALICE", "user:U0CAROL"], "projects": ["dev"], "role": "GROUP_OWNER"}]}`,
	}
	getenv := func(k string) string { return env[k] }
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	var serveOut testtools.Buffer
	served := make(chan error, 1)
	go func() { served <- run(ctx, []string{"serve", "--addr", addr}, getenv, &serveOut, &bytes.Buffer{}) }()
	waitListening(t, addr)
	// serve prints its addresses just after it starts listening
	waitOutput(t, &serveOut, regexp.MustCompile(regexp.QuoteMeta("POST http://"+addr+"/slack/interactions")))
	slash := func(text ...string) {
		t.Helper()
		var out bytes.Buffer
		args := append([]string{"slash", "--url", "http://" + addr + "/slack/commands"}, text...)
		if err := run(t.Context(), args, getenv, &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("slash %v: %v\n%s", text, err, out.String())
		}
	}
	slash("create", "orders-ws", "--region", "VIRGINIA_USA")
	waitOutput(t, &serveOut, regexp.MustCompile(`✅ Stream workspace .orders-ws. created`))
	slash("delete", "orders-ws")
	m := waitOutput(t, &serveOut, regexp.MustCompile(`--message-ts (\S+)\):[\s\S]*\[Delete ⚠\]  \(streambot click '([^']+)'\)`))
	ts, value := m[1], m[2]

	click := func(user string) {
		t.Helper()
		var out bytes.Buffer
		err := run(t.Context(), []string{"click", "--url", "http://" + addr + "/slack/interactions", "--user", user, "--message-ts", ts, value},
			getenv, &out, &bytes.Buffer{})
		if err != nil || !strings.Contains(out.String(), "HTTP 200") {
			t.Fatalf("click as %s: %v\n%s", user, err, out.String())
		}
	}
	click("U0CAROL")
	waitOutput(t, &serveOut, regexp.MustCompile(`Only the person who asked can confirm this`))
	click("U0ALICE")
	waitOutput(t, &serveOut, regexp.MustCompile(`🗑️ Deleted stream workspace .orders-ws.`))
	waitOutput(t, &serveOut, regexp.MustCompile(`confirmed by @U0ALICE at .* ✅`))

	var out bytes.Buffer
	err := run(t.Context(), []string{"click", "--url", "http://" + addr + "/slack/interactions", "--secret", "wrong", value}, getenv, &out, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("click with a wrong secret = %v, want a 401 error", err)
	}
	if err := run(t.Context(), []string{"click", "not-a-value"}, getenv, &out, &bytes.Buffer{}); !isUsage(err) {
		t.Errorf("click with a value that does not parse and no --action-id = %v, want a usage error", err)
	}
	stop()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestServeProcessors runs the processor commands through serve as a
// person does: a workspace created with the solar sample gets the embedded
// Atlas's two processors; `processors` lists them with Start and Stop…;
// `stop` asks first, and the Stop button pressed with `streambot click`
// (twice: a replay) stops it once; `start` starts it again; the list's own
// Start button starts the other one.
func TestServeProcessors(t *testing.T) {
	addr := freeAddr(t)
	env := map[string]string{
		"SLACK_SIGNING_SECRET": "local-secret",
		"ACCESS_POLICY": `{"projects": {"dev": "6a1b2c3d4e5f6a7b8c9d0e1f"}, "default_project": "dev",
			"grants": [{"subjects": ["user:U0ALICE"], "projects": ["dev"], "role": "GROUP_STREAM_PROCESSING_OWNER"}]}`,
	}
	getenv := func(k string) string { return env[k] }
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	var serveOut testtools.Buffer
	served := make(chan error, 1)
	go func() { served <- run(ctx, []string{"serve", "--addr", addr}, getenv, &serveOut, &bytes.Buffer{}) }()
	waitListening(t, addr)
	waitOutput(t, &serveOut, regexp.MustCompile(regexp.QuoteMeta("POST http://"+addr+"/slack/interactions")))
	slash := func(text ...string) {
		t.Helper()
		var out bytes.Buffer
		args := append([]string{"slash", "--url", "http://" + addr + "/slack/commands"}, text...)
		if err := run(t.Context(), args, getenv, &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("slash %v: %v\n%s", text, err, out.String())
		}
	}
	click := func(ts, value string) {
		t.Helper()
		var out bytes.Buffer
		args := []string{"click", "--url", "http://" + addr + "/slack/interactions", "--user", "U0ALICE", value}
		if ts != "" {
			args = append(args[:len(args)-1], "--message-ts", ts, value)
		}
		if err := run(t.Context(), args, getenv, &out, &bytes.Buffer{}); err != nil || !strings.Contains(out.String(), "HTTP 200") {
			t.Fatalf("click: %v\n%s", err, out.String())
		}
	}

	slash("create", "solar-ws", "--region", "VIRGINIA_USA", "--sample-solar")
	waitOutput(t, &serveOut, regexp.MustCompile(`✅ Stream workspace .solar-ws. created`))
	slash("processors", "solar-ws")
	m := waitOutput(t, &serveOut, regexp.MustCompile("2 stream processors in workspace `solar-ws`[\\s\\S]*?"+
		"STARTED `solarDemo`[\\s\\S]*?\\[Stop…\\]  \\(streambot click '[^']+'\\)[\\s\\S]*?"+
		"STOPPED `solarAlerts`[\\s\\S]*?\\[Start\\]  \\(streambot click '([^']+)'\\)"))
	startOther := m[1]

	slash("stop", "solar-ws", "solarDemo")
	m = waitOutput(t, &serveOut, regexp.MustCompile(`--message-ts (\S+)\):\n[^\n]*asks to stop stream processor .solarDemo.[\s\S]*?\[Stop ⚠\]  \(streambot click '([^']+)'\)`))
	ts, value := m[1], m[2]
	if strings.Contains(serveOut.String(), "stopped. Atlas now reports") {
		t.Fatal("the processor stopped before the click")
	}
	click(ts, value)
	waitOutput(t, &serveOut, regexp.MustCompile(`solarDemo. in workspace .solar-ws. stopped\. Atlas now reports ⏸️ STOPPED`))
	click(ts, value) // a replay
	waitOutput(t, &serveOut, regexp.MustCompile(`already decided`))
	if n := strings.Count(serveOut.String(), "stopped. Atlas now reports"); n != 1 {
		t.Errorf("%d 'stopped' answers, want exactly 1", n)
	}

	slash("start", "solar-ws", "solarDemo")
	waitOutput(t, &serveOut, regexp.MustCompile(`solarDemo. in workspace .solar-ws. started\. Atlas now reports 🟢 STARTED`))
	click("", startOther)
	waitOutput(t, &serveOut, regexp.MustCompile(`solarAlerts. in workspace .solar-ws. started\. Atlas now reports 🟢 STARTED`))

	stop()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}
