package access

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

const (
	devID     = "6a1b2c3d4e5f6a7b8c9d0e1f"
	prodID    = "5f1a2b3c4d5e6f7a8b9c0d1e"
	stagingID = "0123456789abcdef01234567"
	noAliasID = "abcdefabcdefabcdefabcdef"
)

const (
	createRoles = "one of GROUP_OWNER, GROUP_DATA_ACCESS_ADMIN, GROUP_STREAM_PROCESSING_OWNER"
	noGrant     = ", and no grant gives you one"
)

func TestAuthorize(t *testing.T) {
	p := loadTestPolicy(t).WithLogger(discardLogger()).WithGroups(fakeGroups{
		"S0PLATFORM": {"U0PLATFORM"},
		"S0SRE":      {"U0SRE"},
	})
	tests := []struct {
		name string
		req  Request
		want Decision // RequiredRoles and AtlasRoleCheck are checked separately
	}{
		{
			name: "user grant, policy default project",
			req:  Request{UserID: "U012ABCDEF", ChannelID: "C0OTHER", Action: ActionCreate},
			want: Decision{Allowed: true, GroupID: devID, ProjectAlias: "dev", Role: "GROUP_STREAM_PROCESSING_OWNER",
				Reason: "grants[0] gives user:U012ABCDEF GROUP_STREAM_PROCESSING_OWNER on project dev"},
		},
		{
			name: "user grant, project by ID shows its alias",
			req:  Request{UserID: "U012ABCDEF", ChannelID: "C0OTHER", Action: ActionCreate, Project: devID},
			want: Decision{Allowed: true, GroupID: devID, ProjectAlias: "dev", Role: "GROUP_STREAM_PROCESSING_OWNER",
				Reason: "grants[0] gives user:U012ABCDEF GROUP_STREAM_PROCESSING_OWNER on project dev"},
		},
		{
			name: "alias is case-insensitive",
			req:  Request{UserID: "U0OWNER01", ChannelID: "C0OTHER", Action: ActionCreate, Project: "Prod"},
			want: Decision{Allowed: true, GroupID: prodID, ProjectAlias: "prod", Role: "GROUP_OWNER",
				Reason: "grants[2] gives user:U0OWNER01 GROUP_OWNER on project prod"},
		},
		{
			name: "channel default project",
			req:  Request{UserID: "U0OWNER01", ChannelID: "C0123ABCD", Action: ActionCreate},
			want: Decision{Allowed: true, GroupID: prodID, ProjectAlias: "prod", Role: "GROUP_OWNER",
				Reason: "grants[2] gives user:U0OWNER01 GROUP_OWNER on project prod"},
		},
		{
			name: "channel default project, no grant there",
			req:  Request{UserID: "U012ABCDEF", ChannelID: "C0123ABCD", Action: ActionCreate},
			want: Decision{GroupID: prodID, ProjectAlias: "prod",
				Reason: "create on project prod needs " + createRoles + noGrant + "; ask a policy admin"},
		},
		{
			name: "grant by project ID, requested by alias",
			req:  Request{UserID: "U0OWNER01", ChannelID: "C0OTHER", Action: ActionDescribe, Project: "staging"},
			want: Decision{Allowed: true, GroupID: stagingID, ProjectAlias: "staging", Role: "GROUP_OWNER",
				Reason: "grants[2] gives user:U0OWNER01 GROUP_OWNER on project staging"},
		},
		{
			name: "grant by ID with no alias, W user ID",
			req:  Request{UserID: "W0ENTERPRISE", ChannelID: "C0OTHER", Action: ActionCreate, Project: noAliasID},
			want: Decision{Allowed: true, GroupID: noAliasID, Role: "GROUP_OWNER",
				Reason: "grants[5] gives user:W0ENTERPRISE GROUP_OWNER on project " + noAliasID},
		},
		{
			name: "wrong role for create",
			req:  Request{UserID: "U0READER1", ChannelID: "C0OTHER", Action: ActionCreate, Project: "prod"},
			want: Decision{GroupID: prodID, ProjectAlias: "prod",
				Reason: "you have GROUP_READ_ONLY on project prod, but create needs " + createRoles + "; ask a policy admin"},
		},
		{
			name: "read-only role is enough for list",
			req:  Request{UserID: "U0READER1", ChannelID: "C0OTHER", Action: ActionList, Project: "prod"},
			want: Decision{Allowed: true, GroupID: prodID, ProjectAlias: "prod", Role: "GROUP_READ_ONLY",
				Reason: "grants[3] gives user:U0READER1 GROUP_READ_ONLY on project prod"},
		},
		{
			name: "action_roles narrows delete",
			req:  Request{UserID: "U012ABCDEF", ChannelID: "C0OTHER", Action: ActionDelete, Project: "dev"},
			want: Decision{GroupID: devID, ProjectAlias: "dev",
				Reason: "you have GROUP_STREAM_PROCESSING_OWNER on project dev, but delete needs one of GROUP_OWNER; ask a policy admin"},
		},
		{
			name: "delete by owner",
			req:  Request{UserID: "U0OWNER01", ChannelID: "C0OTHER", Action: ActionDelete, Project: "prod"},
			want: Decision{Allowed: true, GroupID: prodID, ProjectAlias: "prod", Role: "GROUP_OWNER",
				Reason: "grants[2] gives user:U0OWNER01 GROUP_OWNER on project prod"},
		},
		{
			name: "channel restriction met",
			req:  Request{UserID: "U0CHANNEL", ChannelID: "C0STAGING", Action: ActionCreate},
			want: Decision{Allowed: true, GroupID: stagingID, ProjectAlias: "staging", Role: "GROUP_DATA_ACCESS_ADMIN",
				Reason: "grants[4] gives user:U0CHANNEL GROUP_DATA_ACCESS_ADMIN on project staging"},
		},
		{
			name: "channel restriction not met",
			req:  Request{UserID: "U0CHANNEL", ChannelID: "C0OTHER", Action: ActionCreate, Project: "staging"},
			want: Decision{GroupID: stagingID, ProjectAlias: "staging",
				Reason: "you may create on project staging only from other channels; ask a policy admin"},
		},
		{
			name: "group grant",
			req:  Request{UserID: "U0PLATFORM", ChannelID: "C0OTHER", Action: ActionCreate, Project: "dev"},
			want: Decision{Allowed: true, GroupID: devID, ProjectAlias: "dev", Role: "GROUP_STREAM_PROCESSING_OWNER",
				Reason: "grants[0] gives group:S0PLATFORM GROUP_STREAM_PROCESSING_OWNER on project dev"},
		},
		{
			name: "wildcard group grant in its channel",
			req:  Request{UserID: "U0SRE", ChannelID: "C0123ABCD", Action: ActionList, Project: noAliasID},
			want: Decision{Allowed: true, GroupID: noAliasID, Role: "GROUP_READ_ONLY",
				Reason: "grants[1] gives group:S0SRE GROUP_READ_ONLY on project " + noAliasID},
		},
		{
			name: "wildcard group grant outside its channel",
			req:  Request{UserID: "U0SRE", ChannelID: "C0OTHER", Action: ActionList, Project: "dev"},
			want: Decision{GroupID: devID, ProjectAlias: "dev",
				Reason: "you may list on project dev only from other channels; ask a policy admin"},
		},
		{
			name: "wildcard read-only grant does not allow create",
			req:  Request{UserID: "U0SRE", ChannelID: "C0123ABCD", Action: ActionCreate},
			want: Decision{GroupID: prodID, ProjectAlias: "prod",
				Reason: "you have GROUP_READ_ONLY (through group:S0SRE) on project prod, but create needs " + createRoles + "; ask a policy admin"},
		},
		{
			name: "stranger",
			req:  Request{UserID: "U0NOBODY", ChannelID: "C0OTHER", Action: ActionList},
			want: Decision{GroupID: devID, ProjectAlias: "dev",
				Reason: "list on project dev needs a project role" + noGrant + "; ask a policy admin"},
		},
		{
			name: "unknown alias",
			req:  Request{UserID: "U012ABCDEF", ChannelID: "C0OTHER", Action: ActionCreate, Project: "qa"},
			want: Decision{Reason: "unknown project qa: use --project dev (where you may create), or ask a policy admin to add it"},
		},
		{
			name: "unknown project text is not echoed",
			req:  Request{UserID: "U012ABCDEF", ChannelID: "C0OTHER", Action: ActionCreate, Project: "<!channel>"},
			want: Decision{Reason: "unknown project: use --project dev (where you may create), or ask a policy admin to add it"},
		},
		{
			name: "creator on dev names prod by its ID",
			req:  Request{UserID: "U012ABCDEF", ChannelID: "C0OTHER", Action: ActionCreate, Project: prodID},
			want: Decision{GroupID: prodID, ProjectAlias: "prod",
				Reason: "create on project prod needs " + createRoles + noGrant + "; ask a policy admin"},
		},
		{
			name: "creator on dev names another team's alias",
			req:  Request{UserID: "U012ABCDEF", ChannelID: "C0STAGING", Action: ActionCreate, Project: "staging"},
			want: Decision{GroupID: stagingID, ProjectAlias: "staging",
				Reason: "create on project staging needs " + createRoles + noGrant + "; ask a policy admin"},
		},
		{
			name: "creator on dev names an unaliased project by ID",
			req:  Request{UserID: "U012ABCDEF", ChannelID: "C0OTHER", Action: ActionList, Project: noAliasID},
			want: Decision{GroupID: noAliasID,
				Reason: "list on project " + noAliasID + " needs a project role" + noGrant + "; ask a policy admin"},
		},
		{
			name: "channel-restricted grant from a DM",
			req:  Request{UserID: "U0CHANNEL", ChannelID: "D0DIRECT", Action: ActionCreate, Project: "staging"},
			want: Decision{GroupID: stagingID, ProjectAlias: "staging",
				Reason: "you may create on project staging only from other channels; ask a policy admin"},
		},
		{
			name: "channel-restricted group grant from a DM",
			req:  Request{UserID: "U0SRE", ChannelID: "D0DIRECT", Action: ActionList, Project: "prod"},
			want: Decision{GroupID: prodID, ProjectAlias: "prod",
				Reason: "you may list on project prod only from other channels; ask a policy admin"},
		},
		{
			name: "a user-group ID as the caller matches no user grant",
			req:  Request{UserID: "S0PLATFORM", ChannelID: "C0OTHER", Action: ActionCreate, Project: "dev"},
			want: Decision{GroupID: devID, ProjectAlias: "dev",
				Reason: "create on project dev needs " + createRoles + noGrant + "; ask a policy admin"},
		},
		{
			name: "a user ID in lower case is another user",
			req:  Request{UserID: "u012abcdef", ChannelID: "C0OTHER", Action: ActionCreate, Project: "dev"},
			want: Decision{GroupID: devID, ProjectAlias: "dev",
				Reason: "create on project dev needs " + createRoles + noGrant + "; ask a policy admin"},
		},
		{
			name: "project ID in upper case is the same project",
			req:  Request{UserID: "U0OWNER01", ChannelID: "C0OTHER", Action: ActionCreate, Project: strings.ToUpper(prodID)},
			want: Decision{Allowed: true, GroupID: prodID, ProjectAlias: "prod", Role: "GROUP_OWNER",
				Reason: "grants[2] gives user:U0OWNER01 GROUP_OWNER on project prod"},
		},
		{
			name: "unknown action",
			req:  Request{UserID: "U012ABCDEF", ChannelID: "C0OTHER", Action: "deploy"},
			want: Decision{Reason: "unknown action; ask a policy admin"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := p.Authorize(t.Context(), tc.req)
			if got.AtlasRoleCheck {
				t.Errorf("AtlasRoleCheck = true, want the policy's false")
			}
			if tc.req.Action != "deploy" && !slices.Equal(got.RequiredRoles, p.RequiredRoles(tc.req.Action)) {
				t.Errorf("RequiredRoles = %v, want %v", got.RequiredRoles, p.RequiredRoles(tc.req.Action))
			}
			got.AtlasRoleCheck, got.RequiredRoles = false, nil
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Authorize(%+v) mismatch (-want +got):\n%s", tc.req, diff)
			}
		})
	}
}

func TestAuthorizeNoDefaultProject(t *testing.T) {
	p, err := Load([]byte("projects: {dev: " + devID + "}\ngrants: [{subjects: [user:U1AB], projects: [dev], role: GROUP_OWNER}]\natlas_role_check: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := p.WithLogger(discardLogger()).Authorize(t.Context(), Request{UserID: "U1AB", ChannelID: "C1AB", Action: ActionCreate})
	want := Decision{Reason: "no project given and no default set: use --project dev (where you may create), or ask a policy admin", AtlasRoleCheck: true, RequiredRoles: writeRoles}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Authorize() mismatch (-want +got):\n%s", diff)
	}
}

func TestAuthorizeEmptyPolicy(t *testing.T) {
	p, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	p = p.WithLogger(discardLogger())
	got := p.Authorize(t.Context(), Request{UserID: "U1AB", ChannelID: "C1AB", Action: ActionList, Project: devID})
	if got.Allowed {
		t.Fatalf("empty policy allowed: %+v", got)
	}
	if want := "the access policy grants nothing yet, so nobody may list on project " + devID + "; ask a policy admin"; got.Reason != want {
		t.Errorf("Reason = %q, want %q", got.Reason, want)
	}
	got = p.Authorize(t.Context(), Request{UserID: "U1AB", ChannelID: "C1AB", Action: ActionList})
	if want := "no project given and no default set: use --project with a project alias or ID the policy knows, or ask a policy admin"; got.Allowed || got.Reason != want {
		t.Errorf("Authorize() = %+v, want a denial saying %q", got, want)
	}
}

// TestDenialsNeverRevealProjectIDs runs every combination of user, channel,
// action and project over the test policy, and checks that no denial names
// a project ID except one the caller typed.
func TestDenialsNeverRevealProjectIDs(t *testing.T) {
	p := loadTestPolicy(t).WithLogger(discardLogger())
	hex24 := regexp.MustCompile(`[a-f0-9]{24}`)
	users := []string{"U012ABCDEF", "U0OWNER01", "U0READER1", "U0CHANNEL", "W0ENTERPRISE", "U0PLATFORM", "U0SRE", "U0NOBODY"}
	channels := []string{"C0123ABCD", "C0STAGING", "C0OTHER", ""}
	projects := []string{"", "dev", "prod", "staging", "qa", "DEV", devID, prodID, stagingID, noAliasID, "ffffffffffffffffffffffff", "*", "6a1b2c3d4e5f6a7b8c9d0e1"}
	for _, groups := range []GroupLookup{nil, fakeGroups{"S0PLATFORM": {"U0PLATFORM"}}, failingGroups{}} {
		q := p.WithGroups(groups)
		n := 0
		for _, u := range users {
			for _, c := range channels {
				for _, a := range actions {
					for _, proj := range projects {
						d := q.Authorize(t.Context(), Request{UserID: u, ChannelID: c, Action: a, Project: proj})
						if d.Allowed {
							continue
						}
						n++
						for _, id := range hex24.FindAllString(d.Reason, -1) {
							if id != proj {
								t.Errorf("Authorize(%s, %s, %s, %q) denial reveals %s: %q", u, c, a, proj, id, d.Reason)
							}
						}
					}
				}
			}
		}
		if n == 0 {
			t.Fatal("no denials checked")
		}
	}
}

func TestAudit(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	p := loadTestPolicy(t).WithLogger(logger)
	reqs := []Request{
		{TeamID: "T1", UserID: "U012ABCDEF", ChannelID: "C0OTHER", Action: ActionCreate, Project: "dev"},
		{TeamID: "T1", UserID: "U0NOBODY", ChannelID: "C0123ABCD", Action: ActionList},
		{TeamID: "T1", UserID: "U012ABCDEF", ChannelID: "C0OTHER", Action: ActionCreate, Project: "qa"},
		{TeamID: "T1", UserID: "W0ENTERPRISE", ChannelID: "C0OTHER", Action: ActionDescribe, Project: noAliasID},
		{TeamID: "T1", EnterpriseID: "E1", UserID: "U0READER1", ChannelID: "C0OTHER", Action: ActionList, Resource: ResourceProcessor, Project: "prod"},
	}
	var want []map[string]any
	for _, r := range reqs {
		d := p.Authorize(t.Context(), r)
		project, decision := d.ProjectAlias, "deny"
		if project == "" {
			project = d.GroupID
		}
		if project == "" {
			project = r.Project
		}
		if d.Allowed {
			decision = "allow"
		}
		want = append(want, map[string]any{
			"level": "INFO", "msg": "access decision",
			"team_id": r.TeamID, "user_id": r.UserID, "channel_id": r.ChannelID, "action": string(r.Action),
			"project": project, "group_id": d.GroupID, "decision": decision, "reason": d.Reason, "role": d.Role,
		})
		if r.Resource != "" {
			want[len(want)-1]["resource"] = string(r.Resource)
		}
		if r.EnterpriseID != "" {
			want[len(want)-1]["enterprise_id"] = r.EnterpriseID
		}
	}
	var got []map[string]any
	dec := json.NewDecoder(&buf)
	for {
		var m map[string]any
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		delete(m, "time")
		got = append(got, m)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit events mismatch (-want +got):\n%s", diff)
	}
	// Spot-check the fields against known values, not only against Decision.
	if got[0]["decision"] != "allow" || got[0]["project"] != "dev" || got[0]["group_id"] != devID || got[0]["role"] != "GROUP_STREAM_PROCESSING_OWNER" {
		t.Errorf("first event = %v, want allow on dev by GROUP_STREAM_PROCESSING_OWNER", got[0])
	}
	if got[1]["decision"] != "deny" || got[1]["project"] != "prod" {
		t.Errorf("second event = %v, want deny on prod (the channel default)", got[1])
	}
	if got[4]["resource"] != "processor" || got[4]["enterprise_id"] != "E1" || got[4]["decision"] != "deny" {
		t.Errorf("fifth event = %v, want a denial on processors in enterprise E1", got[4])
	}
	if got[2]["project"] != "qa" || got[2]["group_id"] != "" {
		t.Errorf("third event = %v, want the unknown alias as project and no group_id", got[2])
	}
}

func TestAuditDefaultLogger(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	loadTestPolicy(t).Authorize(context.Background(), Request{UserID: "U0NOBODY", Action: ActionList})
	if got := strings.Count(buf.String(), "access decision"); got != 1 {
		t.Errorf("default logger got %d audit events, want 1:\n%s", got, buf.String())
	}
}

func TestWithGroupsTypedNil(t *testing.T) {
	var sg *SlackGroups
	p := loadTestPolicy(t).WithLogger(discardLogger()).WithGroups(sg)
	d := p.Authorize(t.Context(), Request{UserID: "U0PLATFORM", Action: ActionCreate})
	if d.Allowed || !strings.Contains(d.Reason, "your user groups could not be checked: no user-group lookup is configured") {
		t.Errorf("Authorize() = %+v, want a denial saying no lookup is configured", d)
	}
}

// BenchmarkAuthorize measures the ack path's common case: a user grant
// allows, so no group lookup runs. "json" includes encoding the audit event
// as the Lambda does; "discard" is the policy check alone.
func BenchmarkAuthorize(b *testing.B) {
	for _, bc := range []struct {
		name    string
		handler slog.Handler
	}{
		{"json", slog.NewJSONHandler(io.Discard, nil)},
		{"discard", slog.DiscardHandler},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := loadTestPolicy(b).WithLogger(slog.New(bc.handler))
			req := Request{TeamID: "T1", UserID: "U012ABCDEF", ChannelID: "C0OTHER", Action: ActionCreate, Project: "dev"}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if d := p.Authorize(ctx, req); !d.Allowed {
					b.Fatal(d.Reason)
				}
			}
		})
	}
}

func TestProjectIDs(t *testing.T) {
	const other = "0123456789abcdef01234567"
	p, err := Load([]byte("projects: {dev: " + devID + ", dev2: " + devID + "}\ngrants: [{subjects: [user:U1AB], projects: [dev, " + other + "], role: GROUP_OWNER}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{other, devID}, p.ProjectIDs()); diff != "" {
		t.Errorf("ProjectIDs() (-want +got):\n%s", diff)
	}
}

func TestAuthorizeTeams(t *testing.T) {
	p, err := Load([]byte("teams: [T0HOME]\nprojects: {dev: " + devID + "}\ngrants: [{subjects: [user:U1AB], projects: [dev], role: GROUP_OWNER}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	p = p.WithLogger(discardLogger())
	req := Request{TeamID: "T0HOME", UserID: "U1AB", ChannelID: "C1AB", Action: ActionCreate, Project: "dev"}
	if d := p.Authorize(t.Context(), req); !d.Allowed {
		t.Errorf("Authorize(listed team) = %+v, want allowed", d)
	}
	req.TeamID = "T0OTHER"
	d := p.Authorize(t.Context(), req)
	if d.Allowed || d.Reason != "this bot is not enabled for this Slack workspace; ask a policy admin" {
		t.Errorf("Authorize(other team) = %+v, want a denial naming the workspace", d)
	}
	if d.GroupID != "" {
		t.Errorf("Authorize(other team) resolved project %q; a foreign workspace learns nothing", d.GroupID)
	}
}
