package access

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestApprovalFor(t *testing.T) {
	p := loadTestPolicy(t)
	sre, lead := Subject{SubjectGroup, "S0SRE"}, Subject{SubjectUser, "U0LEAD"}
	tests := []struct {
		groupID string
		action  Action
		want    Approval
		wantOK  bool
	}{
		{prodID, ActionCreate, Approval{Approvers: []Subject{sre, lead}, Expires: time.Hour}, true},
		{prodID, ActionOperate, Approval{Approvers: []Subject{sre, lead}, Expires: time.Hour}, true},
		{prodID, ActionList, Approval{}, false}, // reading never waits
		{stagingID, ActionDelete, Approval{Approvers: []Subject{{SubjectUser, "U0OWNER01"}}, Expires: DefaultApprovalExpiry}, true},
		{stagingID, ActionCreate, Approval{}, false},
		{devID, ActionDelete, Approval{}, false},
		{"", ActionCreate, Approval{}, false},
	}
	for _, tc := range tests {
		got, ok := p.ApprovalFor(tc.groupID, tc.action)
		if ok != tc.wantOK {
			t.Errorf("ApprovalFor(%s, %s) ok = %v, want %v", tc.groupID, tc.action, ok, tc.wantOK)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ApprovalFor(%s, %s) mismatch (-want +got):\n%s", tc.groupID, tc.action, diff)
		}
	}
	// The result is a copy: changing it does not change the policy.
	a, _ := p.ApprovalFor(prodID, ActionCreate)
	a.Approvers[0] = Subject{SubjectUser, "U0EVIL"}
	if b, _ := p.ApprovalFor(prodID, ActionCreate); b.Approvers[0] != sre {
		t.Errorf("ApprovalFor() shares its approvers with the policy: %v", b.Approvers)
	}
}

func TestApprovalWildcardAndExpiry(t *testing.T) {
	p, err := Load([]byte("projects: {dev: " + devID + "}\napprovals:\n  - {projects: ['*'], actions: [delete], approvers: [user:U0LEAD], expires: 1h30m}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{devID, noAliasID} {
		got, ok := p.ApprovalFor(id, ActionDelete)
		if !ok || got.Expires != 90*time.Minute {
			t.Errorf("ApprovalFor(%s, delete) = %+v, %v; want 1h30m from the wildcard entry", id, got, ok)
		}
	}
	if _, ok := p.ApprovalFor(devID, ActionCreate); ok {
		t.Error("ApprovalFor(dev, create) = true; the entry names delete only")
	}
}

func TestCanApprove(t *testing.T) {
	p := loadTestPolicy(t).WithLogger(discardLogger())
	members := fakeGroups{"S0SRE": {"U0SRE", "U0LEAD"}}
	const (
		who     = "members of group:S0SRE or user:U0LEAD"
		whoText = "members of <!subteam^S0SRE> or <@U0LEAD>"
	)
	tests := []struct {
		name       string
		groups     GroupLookup
		req        ApproveRequest
		want       bool
		wantReason string
		wantMrkdwn string // "" when it equals wantReason
	}{
		{
			name:       "a member of an approver group",
			groups:     members,
			req:        ApproveRequest{UserID: "U0SRE", GroupID: prodID, Action: ActionCreate, RequesterID: "U0OWNER01"},
			want:       true,
			wantReason: "approvals[0] names group:S0SRE as an approver of create on project prod",
			wantMrkdwn: "approvals[0] names <!subteam^S0SRE> as an approver of create on project prod",
		},
		{
			name:       "an approver by name, the lookup failing",
			groups:     failingGroups{},
			req:        ApproveRequest{UserID: "U0LEAD", GroupID: prodID, Action: ActionDelete, RequesterID: "U0OWNER01"},
			want:       true,
			wantReason: "approvals[0] names user:U0LEAD as an approver of delete on project prod",
			wantMrkdwn: "approvals[0] names <@U0LEAD> as an approver of delete on project prod",
		},
		{
			name:   "the requester, though an approver",
			groups: members,
			req:    ApproveRequest{UserID: "U0LEAD", GroupID: prodID, Action: ActionCreate, RequesterID: "U0LEAD"},
			// The others: the requester cannot approve their own request.
			wantReason: "you asked for this create, so someone else must approve it: members of group:S0SRE",
			wantMrkdwn: "you asked for this create, so someone else must approve it: members of <!subteam^S0SRE>",
		},
		{
			name:       "the requester, through a group",
			groups:     members,
			req:        ApproveRequest{UserID: "U0SRE", GroupID: prodID, Action: ActionOperate, RequesterID: "U0SRE"},
			wantReason: "you asked for this operate, so someone else must approve it: " + who,
			wantMrkdwn: "you asked for this operate, so someone else must approve it: " + whoText,
		},
		{
			name:       "not an approver",
			groups:     members,
			req:        ApproveRequest{UserID: "U0OWNER01", GroupID: prodID, Action: ActionCreate, RequesterID: "U0READER1"},
			wantReason: "only " + who + " may approve create on project prod; ask a policy admin",
			wantMrkdwn: "only " + whoText + " may approve create on project prod; ask a policy admin",
		},
		{
			name:       "the group lookup fails",
			groups:     failingGroups{},
			req:        ApproveRequest{UserID: "U0SRE", GroupID: prodID, Action: ActionCreate, RequesterID: "U0OWNER01"},
			wantReason: "only " + who + " may approve create on project prod, and your user groups could not be checked: Slack said missing_scope, so try again or ask a policy admin",
			wantMrkdwn: "only " + whoText + " may approve create on project prod, and your user groups could not be checked: Slack said missing_scope, so try again or ask a policy admin",
		},
		{
			name:       "no lookup configured",
			req:        ApproveRequest{UserID: "U0SRE", GroupID: prodID, Action: ActionCreate, RequesterID: "U0OWNER01"},
			wantReason: "only " + who + " may approve create on project prod, and your user groups could not be checked: no user-group lookup is configured, so try again or ask a policy admin",
			wantMrkdwn: "only " + whoText + " may approve create on project prod, and your user groups could not be checked: no user-group lookup is configured, so try again or ask a policy admin",
		},
		{
			name:       "an entry with users only asks Slack nothing",
			groups:     failingGroups{},
			req:        ApproveRequest{UserID: "U0SRE", GroupID: stagingID, Action: ActionDelete, RequesterID: "U0CHANNEL"},
			wantReason: "only user:U0OWNER01 may approve delete on project staging; ask a policy admin",
			wantMrkdwn: "only <@U0OWNER01> may approve delete on project staging; ask a policy admin",
		},
		{
			name:       "nothing to approve",
			groups:     members,
			req:        ApproveRequest{UserID: "U0SRE", GroupID: devID, Action: ActionCreate, RequesterID: "U012ABCDEF"},
			wantReason: "the access policy asks no approval for create on project dev now, so there is nothing to approve; ask a policy admin",
		},
		{
			name:       "a project without an alias is named by its ID",
			groups:     members,
			req:        ApproveRequest{UserID: "U0SRE", GroupID: noAliasID, Action: ActionCreate, RequesterID: "W0ENTERPRISE"},
			wantReason: "the access policy asks no approval for create on project " + noAliasID + " now, so there is nothing to approve; ask a policy admin",
		},
		{
			name:       "no clicker",
			groups:     members,
			req:        ApproveRequest{GroupID: prodID, Action: ActionCreate},
			wantReason: "the person approving is unknown, so nothing can be approved; ask a policy admin",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := p.WithGroups(tc.groups).CanApprove(t.Context(), tc.req)
			if d.Allowed != tc.want || d.Reason != tc.wantReason {
				t.Errorf("CanApprove(%+v) = %v %q, want %v %q", tc.req, d.Allowed, d.Reason, tc.want, tc.wantReason)
			}
			wantMrkdwn := tc.wantMrkdwn
			if wantMrkdwn == "" {
				wantMrkdwn = tc.wantReason
			}
			if got := d.Mrkdwn(); got != wantMrkdwn {
				t.Errorf("CanApprove(%+v).Mrkdwn() = %q, want %q", tc.req, got, wantMrkdwn)
			}
			if d.GroupID != tc.req.GroupID || d.Role != "" {
				t.Errorf("CanApprove(%+v) GroupID, Role = %q, %q; want %q, none", tc.req, d.GroupID, d.Role, tc.req.GroupID)
			}
		})
	}
}

func TestCanApproveTeamsAndContact(t *testing.T) {
	p, err := Load([]byte(`teams: [T0HOME]
projects: {prod: ` + prodID + `}
admin_contact: channel:C0ADMINS
approvals:
  - {projects: [prod], actions: [delete], approvers: [user:U0LEAD]}
`))
	if err != nil {
		t.Fatal(err)
	}
	p = p.WithLogger(discardLogger())
	req := ApproveRequest{TeamID: "T0OTHER", UserID: "U0LEAD", GroupID: prodID, Action: ActionDelete, RequesterID: "U0ASKER"}
	d := p.CanApprove(t.Context(), req)
	if want := "this bot is not enabled for this Slack workspace; ask a policy admin"; d.Allowed || d.Reason != want || d.Contact != (Subject{}) {
		t.Errorf("CanApprove(other team) = %+v, want a denial %q without the contact", d, want)
	}
	req.TeamID = "T0HOME"
	if d := p.CanApprove(t.Context(), req); !d.Allowed {
		t.Errorf("CanApprove(home team) = %+v, want allowed", d)
	}
	req.UserID = "U0OTHER"
	d = p.CanApprove(t.Context(), req)
	if want := "only <@U0LEAD> may approve delete on project prod; ask <#C0ADMINS>"; d.Allowed || d.Mrkdwn() != want {
		t.Errorf("CanApprove(non-approver).Mrkdwn() = %q, want %q", d.Mrkdwn(), want)
	}
}

func TestCanApproveAudit(t *testing.T) {
	var buf bytes.Buffer
	p := loadTestPolicy(t).WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))).WithGroups(fakeGroups{"S0SRE": {"U0SRE"}})
	req := ApproveRequest{TeamID: "T1", UserID: "U0SRE", ChannelID: "C0123ABCD", GroupID: prodID, Action: ActionDelete, RequesterID: "U0OWNER01"}
	d := p.CanApprove(t.Context(), req)
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("audit event %q: %v", buf.String(), err)
	}
	delete(got, "time")
	want := map[string]any{
		"level": "INFO", "msg": "approval decision", "team_id": "T1", "user_id": "U0SRE", "channel_id": "C0123ABCD",
		"requester_id": "U0OWNER01", "action": "delete", "project": "prod", "group_id": prodID, "decision": "allow",
		"reason": "approvals[0] names group:S0SRE as an approver of delete on project prod",
	}
	if !d.Allowed {
		t.Fatalf("CanApprove() = %+v, want allowed", d)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit event mismatch (-want +got):\n%s", diff)
	}
}
