package reply

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Approvers reach the worker inside a Job, which whoever may invoke it
// writes: only user and user-group mentions pass as mentions, anything
// else is escaped (no <!channel>, no link) in the request, the
// requester's note and the ack.
func TestApproversOnlyMention(t *testing.T) {
	as := []string{"<@U0LEAD>", "<!subteam^S0SRE>", "<!channel>", "<https://evil.example|click>", "<@U0X|x>"}
	a := Approval{Requester: "U012ABCDEF", Op: "delete", Target: "orders-ws", Project: "prod", Approvers: as,
		ExpiresAt: time.Unix(1765065600, 0), Status: "pending_approval"}
	for name, text := range map[string]string{
		"request": string(mustJSON(t, ApprovalMessage(a).Blocks)),
		"note":    string(mustJSON(t, ApprovalNote(a, Button{Label: "Cancel", ActionID: "x", Value: "v"}).Blocks)),
		"ack":     AckApproval("delete", "prod", "orders-ws", as, a.ExpiresAt).Text,
	} {
		for _, want := range []string{"<@U0LEAD>", "<!subteam^S0SRE>", "&lt;!channel&gt;", "&lt;https://evil.example|click&gt;", "&lt;@U0X|x&gt;"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q: %s", name, want, text)
			}
		}
		for _, bad := range []string{"<!channel>", "<https://evil"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s holds %q: %s", name, bad, text)
			}
		}
	}
}

// A permalink is built only from a channel ID and a message ts: what the
// state table holds goes into a <link|thread> of /stream history.
func TestPermalinkOnlyFromSlackShapes(t *testing.T) {
	for _, tc := range []struct{ channel, ts, want string }{
		{"C0123ABCD", "1700000000.000100", "https://slack.com/archives/C0123ABCD/p1700000000000100"},
		{"D0DM", "1700000000.000100", "https://slack.com/archives/D0DM/p1700000000000100"},
		{"", "1700000000.000100", ""},
		{"C0123ABCD", "", ""},
		{"C1|<!channel>", "1700000000.000100", ""},
		{"C0123ABCD", "1.2>|x", ""},
	} {
		if got := Permalink(tc.channel, tc.ts); got != tc.want {
			t.Errorf("Permalink(%q, %q) = %q, want %q", tc.channel, tc.ts, got, tc.want)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // the text as Slack reads it
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
