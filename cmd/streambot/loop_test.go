package main

import (
	"bytes"
	"net"
	"runtime"
	"strings"
	"testing"
)

// A slash command that reaches nothing says what to start, and where.
func TestSlashReachingNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	getenv := func(k string) string { return map[string]string{"SLACK_SIGNING_SECRET": "s"}[k] }
	err = run(t.Context(), []string{"slash", "--url", "http://" + addr + "/slack/commands", "list"}, getenv, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "is `streambot serve` running on "+addr+"?") {
		t.Errorf("slash to a closed port = %v, want it to ask whether streambot serve runs on %s", err, addr)
	}
}

// serve prints the one command that sends it a slash command.
func TestServePrintsTheCommandToSend(t *testing.T) {
	var out bytes.Buffer
	printSendHint(&out, "http://127.0.0.1:3000/slack/commands")
	want := `go run ./cmd/streambot slash --url http://127.0.0.1:3000/slack/commands "create orders-ws --region VIRGINIA_USA"`
	if !strings.Contains(out.String(), want) {
		t.Errorf("hint = %q, want it to contain %q", out.String(), want)
	}
}

func TestVersionFlag(t *testing.T) {
	for _, arg := range []string{"--version", "version", "-version"} {
		var out bytes.Buffer
		if err := run(t.Context(), []string{arg}, nil, &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("streambot %s: %v", arg, err)
		}
		if got := out.String(); !strings.HasPrefix(got, "streambot ") || !strings.Contains(got, runtime.Version()) {
			t.Errorf("streambot %s printed %q, want the version from the build info", arg, got)
		}
	}
}
