package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/testtools"
)

// TestServeForm runs the create form through serve the way a person does:
// `/stream create` with no arguments opens it (the console shows it, with
// the submit command), a submission with a wrong field comes back with the
// error on that field, the corrected one creates the workspace and the
// thread answers in the command's channel; a second form with the same
// name is answered in the thread by the worker, as the slash command is.
func TestServeForm(t *testing.T) {
	addr, getenv, serveOut, stopServe := startServeParts(t, `{"projects": {"dev": "6a1b2c3d4e5f6a7b8c9d0e1f"}, "default_project": "dev",
		"grants": [{"subjects": ["user:U0ALICE"], "projects": ["dev"], "role": "GROUP_OWNER"}]}`)

	openForm := func(n int) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(t.Context(), []string{"slash", "--url", "http://" + addr + "/slack/commands", "create"}, getenv, &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("slash create: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "HTTP 200 with an empty body") {
			t.Fatalf("slash create answered %q, want an empty 200 (the form opened)", out.String())
		}
		ms := regexp.MustCompile(`submit --metadata '([^']+)'`).FindAllStringSubmatch(
			waitOutputN(t, serveOut, regexp.MustCompile(`submit --metadata '([^']+)'`), n), -1)
		return ms[n-1][1]
	}
	submit := func(metadata string, fields ...string) string {
		t.Helper()
		var out bytes.Buffer
		args := append([]string{"submit", "--url", "http://" + addr + "/slack/interactions", "--metadata", metadata}, fields...)
		if err := run(t.Context(), args, getenv, &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("submit %v: %v\n%s", fields, err, out.String())
		}
		return out.String()
	}

	md := openForm(1)
	waitOutput(t, serveOut, regexp.MustCompile(`\[modal\] Create workspace[\s\S]*• Project \[project\]: one of dev \(selected\)`))
	fields := []string{"project=6a1b2c3d4e5f6a7b8c9d0e1f", "region=VIRGINIA_USA", "tier=SP30"}
	if got := submit(md, append(fields, "name=orders ws")...); !strings.Contains(got, "the form stays open") || !strings.Contains(got, "• name: ") {
		t.Errorf("submit with a bad name printed %q, want the error on the name", got)
	}
	if got := submit(md, append(fields, "name=orders-ws", "region=MARS")...); !strings.Contains(got, "• region: ") {
		t.Errorf("submit with a forged region printed %q, want the error on the region", got)
	}
	if got := submit(md, append(fields, "name=orders-ws")...); !strings.Contains(got, "(the form closes)") {
		t.Errorf("submit printed %q, want the form closed", got)
	}
	waitOutput(t, serveOut, regexp.MustCompile(`💬 streambot in C0PLATFORM:\n.*orders-ws[\s\S]*✅ Stream workspace .orders-ws. created`))

	// The same name again: the edge cannot know it is taken (it holds no
	// Atlas credentials); the worker says so in the thread.
	md2 := openForm(2)
	if got := submit(md2, append(fields, "name=orders-ws")...); !strings.Contains(got, "(the form closes)") {
		t.Errorf("second submit printed %q", got)
	}
	waitOutput(t, serveOut, regexp.MustCompile(`↳ reply in the thread:\n.*orders-ws. already exist`))

	// Someone else's form, and a form that is not ours, are refused whole.
	var out bytes.Buffer
	err := run(t.Context(), []string{"submit", "--url", "http://" + addr + "/slack/interactions", "--user", "U0MALLORY", "--metadata", md,
		"name=evil-ws", "project=6a1b2c3d4e5f6a7b8c9d0e1f", "region=VIRGINIA_USA"}, getenv, &out, &bytes.Buffer{})
	if err != nil || !strings.Contains(out.String(), "opened for someone else") {
		t.Errorf("submit as another user = %v %q, want the refusal", err, out.String())
	}
	if err := run(t.Context(), []string{"submit", "--metadata", md, "colour=red"}, getenv, &out, &bytes.Buffer{}); !isUsage(err) {
		t.Errorf("submit with an unknown field = %v, want a usage error", err)
	}
	stopServe()
}

// waitOutputN polls out until re matches n times (for at most 30 s) and
// returns the output.
func waitOutputN(t *testing.T, out *testtools.Buffer, re *regexp.Regexp, n int) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if s := out.String(); len(re.FindAllString(s, -1)) >= n {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the console never showed %s %d times:\n%s", re, n, out.String())
	return ""
}

// startServeParts is startServe for tests that want its parts: the
// address, the environment to run other subcommands with, serve's console
// output, and a function that stops serve as Ctrl-C does.
func startServeParts(t *testing.T, policy string) (string, func(string) string, *testtools.Buffer, func()) {
	t.Helper()
	s := startServe(t, policy)
	return s.addr, s.getenv, &s.out, s.shutdown
}
