package slackbot

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
)

// TestCommandMatchesServeHTTP runs each command twice: as a signed HTTP
// request through ServeHTTP, and as the slack.SlashCommand a Socket Mode
// client hands to Command (parsed from the same form by slack-go). Both
// must give the same ack and dispatch the same Jobs.
func TestCommandMatchesServeHTTP(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		form     []string
		wantIn   string // in the ack text
		wantJobs int
	}{
		{name: "create", text: "create orders-ws --region VIRGINIA_USA --tier SP30", wantIn: "Working on it: creating", wantJobs: 1},
		{name: "dry run", text: "create orders-ws --region VIRGINIA_USA --dry-run", wantIn: "Dry run"},
		{name: "list", text: "list --project prod", form: []string{"user_id", "U0READER"}, wantIn: "listing", wantJobs: 1},
		{name: "denied", text: "create orders-ws --region VIRGINIA_USA", form: []string{"user_id", "U0STRANGER"}, wantIn: "Not allowed"},
		{name: "help", text: "help", wantIn: "/stream create"},
		{name: "usage", text: "create orders-ws --teir SP30", wantIn: "--teir"},
		{name: "no trigger id", text: "describe orders-ws", form: []string{"trigger_id", ""}, wantIn: "looking up", wantJobs: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := slashForm(tc.text, tc.form...)

			viaHTTP := newTestEnv(t, "", nil)
			httpAck := decodeAck(t, viaHTTP.serve(signedRequest(body, testSecret, time.Now())))

			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			sc, err := slack.SlashCommandParse(r)
			if err != nil {
				t.Fatalf("SlashCommandParse: %v", err)
			}
			direct := newTestEnv(t, "", nil)
			ack := direct.h.Command(t.Context(), sc)

			if !strings.Contains(ack.Text, tc.wantIn) {
				t.Errorf("Command ack %q lacks %q", ack.Text, tc.wantIn)
			}
			if diff := cmp.Diff(httpAck, ack); diff != "" {
				t.Errorf("Command ack differs from ServeHTTP's (-http +command):\n%s", diff)
			}
			httpJobs, jobs := viaHTTP.dispatch.Jobs(), direct.dispatch.Jobs()
			if len(jobs) != tc.wantJobs {
				t.Errorf("Command dispatched %d Jobs, want %d", len(jobs), tc.wantJobs)
			}
			if tc.form != nil && tc.form[0] == "trigger_id" {
				// Without a trigger ID each path draws a random Job ID.
				for i := range min(len(jobs), len(httpJobs)) {
					if jobs[i].ID == "" || httpJobs[i].ID == "" {
						t.Errorf("Job %d has no ID", i)
					}
					jobs[i].ID, httpJobs[i].ID = "", ""
				}
			}
			if diff := cmp.Diff(httpJobs, jobs); diff != "" {
				t.Errorf("Command Jobs differ from ServeHTTP's (-http +command):\n%s", diff)
			}
		})
	}
}
