package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/reply/slackrec"
)

// TestConsoleCall checks what the console prints for each kind of Slack
// call, chat.postEphemeral included: the worker's private fallback must
// show up locally, not vanish.
func TestConsoleCall(t *testing.T) {
	tests := []struct {
		name string
		call slackrec.Call
		want string
	}{
		{"parent", slackrec.Call{Method: slackrec.PostMessage, Channel: "C1", Text: "asked ⏳"},
			"💬 streambot in C1:\n   asked ⏳\n"},
		{"thread reply", slackrec.Call{Method: slackrec.PostMessage, Channel: "C1", ThreadTS: "1.2", Text: "✅ done"},
			"    ↳ reply in the thread:\n       ✅ done\n"},
		{"update", slackrec.Call{Method: slackrec.Update, Channel: "C1", TS: "1.2", Text: "asked ✅"},
			"✏️  streambot updated its message:\n   asked ✅\n"},
		{"ephemeral", slackrec.Call{Method: slackrec.PostEphemeral, Channel: "C1", User: "U1", Text: "1 stream workspace"},
			"💬 streambot in C1 (only visible to @U1):\n   1 stream workspace\n"},
		{"response_url", slackrec.Call{Method: slackrec.ResponseURL, ResponseType: "ephemeral", Text: "listed"},
			"💬 streambot (only visible to you):\n   listed\n"},
		{"response_url in channel", slackrec.Call{Method: slackrec.ResponseURL, ResponseType: "in_channel", Text: "created"},
			"💬 streambot (through the command's response_url):\n   created\n"},
		{"lookup", slackrec.Call{Method: slackrec.UsersInfo, User: "U1"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			(&console{out: &out}).call(tc.call)
			if diff := cmp.Diff(tc.want, out.String()); diff != "" {
				t.Errorf("console.call(%+v) (-want +got):\n%s", tc.call, diff)
			}
		})
	}
}

// TestToConsole checks that with the console Slack a response_url post,
// whatever host it names, is delivered to the console and nowhere else.
func TestToConsole(t *testing.T) {
	rec := slackrec.Start("xoxb-test")
	t.Cleanup(rec.Close)
	hc := &http.Client{Transport: toConsole{console: rec.ResponseURL("local")}}
	for _, target := range []string{
		"https://hooks.slack.com/commands/T0DEMO/1/none", // what `streambot slash` sends by default
		"https://example.invalid/elsewhere",              // not a response_url path at all
	} {
		resp, err := hc.Post(target, "application/json", strings.NewReader(`{"text":"hello","response_type":"ephemeral"}`))
		if err != nil {
			t.Fatalf("POST %s: %v", target, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("POST %s = %s, want 200 from the console", target, resp.Status)
		}
	}
	var ids []string
	for _, c := range rec.Delivered(slackrec.ResponseURL) {
		ids = append(ids, c.ResponseID+":"+c.Text)
	}
	if diff := cmp.Diff([]string{"1:hello", "local:hello"}, ids); diff != "" {
		t.Errorf("response_url posts the console received (-want +got):\n%s", diff)
	}
}

func TestPrintAnswer(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		raw    bool
		want   string
	}{
		{"ephemeral", 200, `{"response_type":"ephemeral","text":":no_entry: Not allowed: create &lt;x&gt;"}`, false,
			"HTTP 200, only visible to the caller:\n   ⛔ Not allowed: create <x>\n"},
		{"in channel", 200, `{"response_type":"in_channel","text":"*done*"}`, false,
			"HTTP 200, in the channel:\n   done\n"},
		{"raw", 200, `{"response_type":"ephemeral","text":"x"}`, true,
			"HTTP 200\n{\"response_type\":\"ephemeral\",\"text\":\"x\"}\n"},
		{"not a message", 401, "invalid signature\n", false, "HTTP 401\ninvalid signature\n"},
		{"empty", 200, "", false, "HTTP 200 with an empty body: nothing to show (e.g. the command opened a form)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			printAnswer(&out, tc.status, []byte(tc.body), tc.raw)
			if diff := cmp.Diff(tc.want, out.String()); diff != "" {
				t.Errorf("printAnswer(%d, %q, %v) (-want +got):\n%s", tc.status, tc.body, tc.raw, diff)
			}
		})
	}
}

func TestSlackAPIBase(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "https://slack.com/api/",
		"http://127.0.0.1:8081/api":  "http://127.0.0.1:8081/api/",
		"http://127.0.0.1:8081/api/": "http://127.0.0.1:8081/api/",
	} {
		if got := slackAPIBase(in); got != want {
			t.Errorf("slackAPIBase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestShownURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://cloud.mongodb.com":                       "https://cloud.mongodb.com",
		"http://127.0.0.1:8081/api/":                      "http://127.0.0.1:8081/api/",
		"https://user:s3cr3t@slack.example/api/?t=s3cr3t": "https://slack.example/api/",
		"slack.example/api":                               "(not an absolute URL)",
	} {
		if got := shownURL(in); got != want {
			t.Errorf("shownURL(%q) = %q, want %q", in, got, want)
		}
	}
}
