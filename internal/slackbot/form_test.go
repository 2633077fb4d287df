package slackbot

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseForm(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    slashCommand
		wantErr bool
	}{
		{
			name: "slack's documented example",
			body: docBody,
			want: slashCommand{TeamID: "T1DC2JH3J", ChannelID: "G8PSS9T3V", UserID: "U2CERLKJA", UserName: "roadrunner",
				Command: "/webhook-collect", ResponseURL: "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN",
				TriggerID: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"},
		},
		{
			name: "plus is a space, escapes decoded, first value wins",
			body: "text=create+orders-ws+%3C%21channel%3E&text=second&user_id=U1",
			want: slashCommand{Text: "create orders-ws <!channel>", UserID: "U1"},
		},
		{
			name: "enterprise grid",
			body: "team_id=T1&enterprise_id=E0ORG&enterprise_id=E0OTHER&enterprise_name=Org&user_id=U1",
			want: slashCommand{TeamID: "T1", EnterpriseID: "E0ORG", UserID: "U1"},
		},
		{name: "ssl check", body: "ssl_check=1&token=x", want: slashCommand{SSLCheck: true}},
		{name: "ssl check 0", body: "ssl_check=0", want: slashCommand{}},
		{name: "empty", body: "", want: slashCommand{}},
		{name: "keys without values", body: "text&user_id=&&=x", want: slashCommand{}},
		{name: "bad escape in a known field", body: "text=%zz", wantErr: true},
		{name: "bad escape in an unknown field is ignored", body: "token=%zz&user_id=U1", want: slashCommand{UserID: "U1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseForm(tc.body)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseForm(%q) error = %v, want error: %v", tc.body, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseForm(%q) mismatch (-want +got):\n%s", tc.body, diff)
			}
		})
	}
}

// FuzzParseForm: parseForm never panics and agrees with url.ParseQuery on
// every field it reads, whenever ParseQuery accepts the body and no key is
// escaped (Slack never escapes keys).
func FuzzParseForm(f *testing.F) {
	f.Add(docBody)
	f.Add("text=create+orders-ws+--region+us-east-1&user_id=U1&user_id=U2")
	f.Add("ssl_check=1")
	f.Add("text=%E2%80%9Corders%E2%80%9D&response_url=https%3A%2F%2Fx")
	f.Fuzz(func(t *testing.T, body string) {
		got, err := parseForm(body)
		want, qerr := url.ParseQuery(body)
		if qerr != nil {
			return
		}
		for _, pair := range strings.Split(body, "&") {
			if k, _, _ := strings.Cut(pair, "="); strings.ContainsAny(k, "%+") {
				return
			}
		}
		if err != nil {
			t.Fatalf("parseForm(%q) = %v, but url.ParseQuery accepts it", body, err)
		}
		fields := map[string]string{
			"team_id": got.TeamID, "channel_id": got.ChannelID, "user_id": got.UserID, "user_name": got.UserName,
			"command": got.Command, "text": got.Text, "response_url": got.ResponseURL, "trigger_id": got.TriggerID,
			"enterprise_id": got.EnterpriseID,
		}
		for k, v := range fields {
			if w := want.Get(k); v != w {
				t.Errorf("parseForm(%q)[%s] = %q, url.ParseQuery says %q", body, k, v, w)
			}
		}
		if got.SSLCheck != (want.Get("ssl_check") == "1") {
			t.Errorf("parseForm(%q).SSLCheck = %v, url.ParseQuery says %q", body, got.SSLCheck, want.Get("ssl_check"))
		}
	})
}
