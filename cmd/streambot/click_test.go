package main

import (
	"bytes"
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
	addr, getenv, serveOut, stopServe := startServe(t, `{"projects": {"dev": "6a1b2c3d4e5f6a7b8c9d0e1f"}, "default_project": "dev",
		"grants": [{"subjects": ["user:U0ALICE", "user:U0CAROL"], "projects": ["dev"], "role": "GROUP_OWNER"}]}`)
	slash := func(text ...string) {
		t.Helper()
		var out bytes.Buffer
		args := append([]string{"slash", "--url", "http://" + addr + "/slack/commands"}, text...)
		if err := run(t.Context(), args, getenv, &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("slash %v: %v\n%s", text, err, out.String())
		}
	}
	slash("create", "orders-ws", "--region", "VIRGINIA_USA")
	waitOutput(t, serveOut, regexp.MustCompile(`✅ Stream workspace .orders-ws. created`))
	slash("delete", "orders-ws")
	m := waitOutput(t, serveOut, regexp.MustCompile(`--message-ts (\S+)\):[\s\S]*\[Delete ⚠\]  \(streambot click '([^']+)'\)`))
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
	waitOutput(t, serveOut, regexp.MustCompile(`Only the person who asked can confirm this`))
	click("U0ALICE")
	waitOutput(t, serveOut, regexp.MustCompile(`🗑️ Deleted stream workspace .orders-ws.`))
	waitOutput(t, serveOut, regexp.MustCompile(`confirmed by @U0ALICE at .* ✅`))

	var out bytes.Buffer
	err := run(t.Context(), []string{"click", "--url", "http://" + addr + "/slack/interactions", "--secret", "wrong", value}, getenv, &out, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("click with a wrong secret = %v, want a 401 error", err)
	}
	if err := run(t.Context(), []string{"click", "not-a-value"}, getenv, &out, &bytes.Buffer{}); !isUsage(err) {
		t.Errorf("click with a value that does not parse and no --action-id = %v, want a usage error", err)
	}
	stopServe()
}
