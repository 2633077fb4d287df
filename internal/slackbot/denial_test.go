package slackbot

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/provision"
)

// mention is a Slack mention the access policy may put into a denial.
var mention = regexp.MustCompile(`<@U[A-Z0-9]+>|<!subteam\^S[A-Z0-9]+>|<#C[A-Z0-9]+>`)

// A denial shows what the caller has and through what, and whom to ask,
// as Slack mentions: the ack sends access.Decision.Mrkdwn as it is, so
// the mentions are not escaped into text, and nothing else in it is markup.
func TestDenialMentionsWhomToAsk(t *testing.T) {
	const readers = "  - subjects: [group:S0READERS]\n    projects: [dev]\n    role: GROUP_READ_ONLY\n" +
		"admin_contact: user:U0LEAD\n"
	groups := &fakeGroups{members: map[string][]string{"S0READERS": {"U0BOB"}}}
	tests := []struct {
		name, user, text string
		want             []string
	}{
		{"a read-only group member", "U0BOB", "create orders-ws --region us-east-1",
			[]string{"you have GROUP_READ_ONLY (through <!subteam^S0READERS>) on project dev, but create needs one of", "; ask <@U0LEAD>"}},
		{"a stranger", "U0STRANGER", "create orders-ws --region us-east-1",
			[]string{"create on project dev needs one of", "and no grant gives you one; ask <@U0LEAD>"}},
		{"an unknown project", "U0STRANGER", "list --project nope",
			[]string{"unknown project nope: use --project with a project alias or ID the policy knows, or ask <@U0LEAD> to add it"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, readers, groups)
			rec := env.serve(signedRequest(slashForm(tc.text, "user_id", tc.user), testSecret, time.Now()))
			a := decodeAck(t, rec)
			if !strings.HasPrefix(a.Text, ":no_entry: Not allowed: ") {
				t.Errorf("ack text = %q, want a denial", a.Text)
			}
			for _, w := range tc.want {
				if !strings.Contains(a.Text, w) {
					t.Errorf("ack text = %q, want it to contain %q", a.Text, w)
				}
			}
			if rest := mention.ReplaceAllString(a.Text, ""); strings.ContainsAny(rest, "<>") || strings.Contains(rest, "&lt;") {
				t.Errorf("ack text = %q: besides its mentions it holds markup or double escapes", a.Text)
			}
			if jobs := env.dispatch.Jobs(); len(jobs) != 0 {
				t.Errorf("jobs = %+v, want none", jobs)
			}
		})
	}
}

// A policy whose teams names an Enterprise Grid organization (E…) allows
// a request that carries that enterprise_id and denies one without it, for
// slash commands and for clicks alike.
func TestEnterprisePolicy(t *testing.T) {
	const org = "teams: [E0ORG]\n"
	tests := []struct {
		name       string
		enterprise string
		wantAllow  bool
	}{
		{"from the organization", "E0ORG", true},
		{"from another organization", "E0OTHER", false},
		{"without an organization", "", false},
	}
	for _, tc := range tests {
		t.Run("slash "+tc.name, func(t *testing.T) {
			env := newTestEnv(t, org, nil)
			a := decodeAck(t, env.serve(signedRequest(slashForm("list", "enterprise_id", tc.enterprise), testSecret, time.Now())))
			jobs := env.dispatch.Jobs()
			if allowed := len(jobs) == 1 && jobs[0].Action == provision.ActionList; allowed != tc.wantAllow {
				t.Errorf("list with enterprise_id %q: ack %q, jobs %+v; want allowed %v", tc.enterprise, a.Text, jobs, tc.wantAllow)
			}
			if !tc.wantAllow && !strings.Contains(a.Text, "not enabled for this Slack workspace") {
				t.Errorf("ack text = %q, want the workspace refusal", a.Text)
			}
		})
		t.Run("click "+tc.name, func(t *testing.T) {
			env := newTestEnv(t, org, nil)
			c := clickOn(deleteConfirm(), "U0CREATOR")
			c.EnterpriseID = tc.enterprise
			env.post(t, "/slack/interactions", ClickBody(c), time.Now())
			jobs := env.dispatch.Jobs()
			if len(jobs) != 1 {
				t.Fatalf("jobs = %+v, want one", jobs)
			}
			if allowed := jobs[0].Action == provision.ActionDelete; allowed != tc.wantAllow {
				t.Errorf("click with enterprise %q: job %+v; want allowed %v", tc.enterprise, jobs[0], tc.wantAllow)
			}
			if !tc.wantAllow && !strings.Contains(jobs[0].Denial, "not enabled for this Slack workspace") {
				t.Errorf("denial = %q, want the workspace refusal", jobs[0].Denial)
			}
		})
	}
}
