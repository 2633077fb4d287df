package access

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.yaml.in/yaml/v3"
)

// loadTestPolicy loads testdata/policy.yaml, the full example.
func loadTestPolicy(t testing.TB) *Policy {
	t.Helper()
	data, err := os.ReadFile("testdata/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load(data)
	if err != nil {
		t.Fatalf("Load(testdata/policy.yaml) = %v", err)
	}
	return p
}

// policyCmp compares loaded policies; an approval's line is where its
// entry starts, which differs between the YAML and JSON spellings.
var policyCmp = cmp.Options{cmp.AllowUnexported(Policy{}, grant{}, approval{}), cmpopts.IgnoreFields(approval{}, "line")}

func TestLoadExample(t *testing.T) {
	p := loadTestPolicy(t)
	if got, want := p.DefaultRegion(), "VIRGINIA_USA"; got != want {
		t.Errorf("DefaultRegion() = %q, want %q", got, want)
	}
	if p.Empty() {
		t.Error("Empty() = true, want false")
	}
	if p.AtlasRoleCheck() {
		t.Error("AtlasRoleCheck() = true, want false")
	}
	for id, want := range map[string]string{
		"6a1b2c3d4e5f6a7b8c9d0e1f": "dev",
		"5f1a2b3c4d5e6f7a8b9c0d1e": "prod",
		"abcdefabcdefabcdefabcdef": "",
		"nonsense":                 "",
	} {
		if got := p.AliasFor(id); got != want {
			t.Errorf("AliasFor(%q) = %q, want %q", id, got, want)
		}
	}
	if diff := cmp.Diff([]string{"GROUP_OWNER"}, p.RequiredRoles(ActionDelete)); diff != "" {
		t.Errorf("RequiredRoles(delete) mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(writeRoles, p.RequiredRoles(ActionCreate)); diff != "" {
		t.Errorf("RequiredRoles(create) mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(ProjectRoles(), p.RequiredRoles(ActionList)); diff != "" {
		t.Errorf("RequiredRoles(list) mismatch (-want +got):\n%s", diff)
	}
	if got := len(p.grants); got != 6 {
		t.Errorf("len(grants) = %d, want 6", got)
	}
	if got := len(p.approvals); got != 2 {
		t.Errorf("len(approvals) = %d, want 2", got)
	}
	if got := p.AdminContact(); got != (Subject{}) {
		t.Errorf("AdminContact() = %v, want none", got)
	}
}

// TestLoadJSON checks that the JSON spelling of the example (tab-indented,
// as json.MarshalIndent writes it) loads to the same policy.
func TestLoadJSON(t *testing.T) {
	data, err := os.ReadFile("testdata/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load(js)
	if err != nil {
		t.Fatalf("Load(JSON) = %v", err)
	}
	if diff := cmp.Diff(loadTestPolicy(t), got, policyCmp); diff != "" {
		t.Errorf("Load(JSON) mismatch (-yaml +json):\n%s", diff)
	}
}

func TestLoadEmpty(t *testing.T) {
	for _, doc := range []string{"", "  \n\n", "# nothing yet\n", "~\n", "null", "---\n", "grants:\n", "grants: []\nprojects: {}\n"} {
		p, err := Load([]byte(doc))
		if err != nil {
			t.Errorf("Load(%q) = %v, want a deny-all policy", doc, err)
			continue
		}
		if !p.Empty() {
			t.Errorf("Load(%q).Empty() = false, want true", doc)
		}
		d := p.WithLogger(discardLogger()).Authorize(t.Context(), Request{UserID: "U012ABCDEF", ChannelID: "C1", Action: ActionList, Project: "6a1b2c3d4e5f6a7b8c9d0e1f"})
		if d.Allowed {
			t.Errorf("Load(%q).Authorize() allowed, want deny", doc)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	const okHead = "projects:\n  dev: 6a1b2c3d4e5f6a7b8c9d0e1f\n" // lines 1-2
	tests := []struct {
		name string
		doc  string
		want []Problem
	}{
		{
			name: "unknown top-level key",
			doc:  okHead + "grant: []\n",
			want: []Problem{{Line: 3, Message: `unknown key "grant" (known keys: teams, projects, default_project, channels, grants, atlas_role_check, default_region, action_roles, admin_contact, approvals)`}},
		},
		{
			name: "team IDs",
			doc:  okHead + "teams: [T0DEMO, t0lower, C0CHANNEL]\n",
			want: []Problem{
				{Line: 3, Path: "teams[1]", Message: `"t0lower" must be a Slack workspace ID (T…) or Enterprise Grid organization ID (E…), upper case`},
				{Line: 3, Path: "teams[2]", Message: `"C0CHANNEL" must be a Slack workspace ID (T…) or Enterprise Grid organization ID (E…), upper case`},
			},
		},
		{
			name: "empty team list",
			doc:  okHead + "teams: []\n",
			want: []Problem{{Line: 3, Path: "teams", Message: "must list at least one of Slack team IDs (leave the key out to allow any workspace the app is installed in)"}},
		},
		{
			name: "enterprise IDs are accepted",
			doc:  okHead + "teams: [T0HOME, E0ORG, e0org]\n",
			want: []Problem{{Line: 3, Path: "teams[2]", Message: `"e0org" must be a Slack workspace ID (T…) or Enterprise Grid organization ID (E…), upper case`}},
		},
		{
			name: "admin_contact without a kind",
			doc:  okHead + "admin_contact: U0LEAD\n",
			want: []Problem{{Line: 3, Path: "admin_contact", Message: `"U0LEAD" must be user:<ID>, group:<ID> or channel:<ID>`}},
		},
		{
			name: "admin_contact a direct message",
			doc:  okHead + "admin_contact: channel:D0DM\n",
			want: []Problem{{Line: 3, Path: "admin_contact", Message: `"channel:D0DM": a Slack channel ID is C or G followed by capital letters and digits`}},
		},
		{
			name: "admin_contact a group under user",
			doc:  okHead + "admin_contact: user:S0PLATFORM\n",
			want: []Problem{{Line: 3, Path: "admin_contact", Message: `"user:S0PLATFORM": a Slack user ID is U or W followed by capital letters and digits; S0PLATFORM is a user group, so write group:S0PLATFORM`}},
		},
		{
			name: "admin_contact a list",
			doc:  okHead + "admin_contact: [user:U0LEAD]\n",
			want: []Problem{{Line: 3, Path: "admin_contact", Message: "must be a non-empty string"}},
		},
		{
			name: "approvals entries",
			doc: okHead + `approvals:
  - projects: [dev, qa, '*']
    actions: [create, list, deploy]
    approvers: [group:S0SRE, channel:C0X, U0LEAD, user:s0sre]
    expires: 90
    when: always
  - projects: [dev]
    actions: [delete]
    approvers: [user:U0LEAD]
    expires: 25h
  - {projects: [dev], actions: [delete], approvers: [user:U0LEAD], expires: 30s}
  - {actions: [], approvers: []}
  - {projects: [dev], actions: [operate], approvers: [user:U0LEAD], expires: 1 day}
`,
			want: []Problem{
				{Line: 4, Path: "approvals[0].projects[1]", Message: `unknown alias "qa" (not under projects)`},
				{Line: 5, Path: "approvals[0].actions[1]", Message: "list changes nothing, so it needs no approval (approvals apply to create, update, delete, operate)"},
				{Line: 5, Path: "approvals[0].actions[2]", Message: `unknown action "deploy" (one of create, update, delete, operate)`},
				{Line: 6, Path: "approvals[0].approvers[1]", Message: `"channel:C0X" must be user:<ID> or group:<ID>`},
				{Line: 6, Path: "approvals[0].approvers[2]", Message: `"U0LEAD" must be user:<ID> or group:<ID>`},
				{Line: 6, Path: "approvals[0].approvers[3]", Message: `"user:s0sre": a Slack user ID is U or W followed by capital letters and digits; Slack IDs are upper case: group:S0SRE`},
				{Line: 7, Path: "approvals[0].expires", Message: `"90" must be a duration such as 30m, 1h or 1h30m`},
				{Line: 8, Path: "approvals[0]", Message: `unknown key "when" (known keys: projects, actions, approvers, expires)`},
				{Line: 12, Path: "approvals[1].expires", Message: `"25h" is too long: at most 24h`},
				{Line: 13, Path: "approvals[2].expires", Message: `"30s" is too short: give approvers at least 1m`},
				{Line: 14, Path: "approvals[3]", Message: `missing "projects"`},
				{Line: 14, Path: "approvals[3].actions", Message: "must list at least one of actions (create, update, delete, operate)"},
				{Line: 14, Path: "approvals[3].approvers", Message: "must list at least one of approvers (user:<ID> or group:<ID>)"},
				{Line: 15, Path: "approvals[4].expires", Message: `"1 day" must be a duration such as 30m, 1h or 1h30m`},
			},
		},
		{
			name: "approvals overlap",
			doc: "projects: {dev: 6a1b2c3d4e5f6a7b8c9d0e1f, prod: 5f1a2b3c4d5e6f7a8b9c0d1e}\n" + `approvals:
  - projects: [dev]
    actions: [create, delete]
    approvers: [user:U0LEAD]
  - projects: [prod]
    actions: [create, delete]
    approvers: [user:U0LEAD]
  - projects: ["*"]
    actions: [delete, operate]
    approvers: [group:S0SRE]
  - projects: [5f1a2b3c4d5e6f7a8b9c0d1e]
    actions: [update, create]
    approvers: [group:S0SRE]
`,
			want: []Problem{
				{Line: 9, Path: "approvals[2]", Message: "covers delete on dev, as approvals[0] (line 3) does: give each project and action one entry"},
				{Line: 12, Path: "approvals[3]", Message: "covers create on prod, as approvals[1] (line 6) does: give each project and action one entry"},
			},
		},
		{
			name: "approvals not a list",
			doc:  okHead + "approvals: {projects: [dev]}\n",
			want: []Problem{{Line: 3, Path: "approvals", Message: "must be a list of approval rules (keys projects, actions, approvers, expires)"}},
		},
		{
			name: "unknown grant key",
			doc:  okHead + "grants:\n  - subjects: [user:U1AB]\n    projects: [dev]\n    role: GROUP_OWNER\n    channel: [C1AB]\n",
			want: []Problem{{Line: 7, Path: "grants[0]", Message: `unknown key "channel" (known keys: subjects, projects, role, channels)`}},
		},
		{
			name: "subject without a colon",
			doc:  okHead + "grants:\n  - subjects: [user:U1AB]\n    projects: [dev]\n    role: GROUP_OWNER\n  - subjects:\n      - U123\n    projects: [dev]\n    role: GROUP_OWNER\n",
			want: []Problem{{Line: 8, Path: "grants[1].subjects[0]", Message: `"U123" must be user:<ID> or group:<ID>`}},
		},
		{
			name: "subject kinds and IDs",
			doc:  okHead + "grants:\n  - subjects: [team:T1AB, user:C1AB, group:U1AB, 'user:', ':']\n    projects: [dev]\n    role: GROUP_OWNER\n",
			want: []Problem{
				{Line: 4, Path: "grants[0].subjects[0]", Message: `"team:T1AB" must be user:<ID> or group:<ID>`},
				{Line: 4, Path: "grants[0].subjects[1]", Message: `"user:C1AB": a Slack user ID is U or W followed by capital letters and digits`},
				{Line: 4, Path: "grants[0].subjects[2]", Message: `"group:U1AB": a Slack user-group ID is S followed by capital letters and digits; U1AB is a user, so write user:U1AB`},
				{Line: 4, Path: "grants[0].subjects[3]", Message: `"user:": a Slack user ID is U or W followed by capital letters and digits`},
				{Line: 4, Path: "grants[0].subjects[4]", Message: `":" must be user:<ID> or group:<ID>`},
			},
		},
		{
			name: "delete roles may narrow, not widen",
			doc:  "action_roles:\n  delete: [GROUP_OWNER, GROUP_CLUSTER_MANAGER]\n",
			want: []Problem{{Line: 2, Path: "action_roles.delete[1]", Message: `"GROUP_CLUSTER_MANAGER" cannot allow delete: Atlas lets only GROUP_OWNER, GROUP_DATA_ACCESS_ADMIN, GROUP_STREAM_PROCESSING_OWNER do that`}},
		},
		{
			name: "user and group IDs mixed up or in lower case",
			doc:  okHead + "grants:\n  - subjects: [user:S0PLATFORM, group:U012ABCDEF, group:W012ABCDEF, user:u012abcdef, group:s0sre]\n    projects: [dev]\n    role: GROUP_OWNER\n",
			want: []Problem{
				{Line: 4, Path: "grants[0].subjects[0]", Message: `"user:S0PLATFORM": a Slack user ID is U or W followed by capital letters and digits; S0PLATFORM is a user group, so write group:S0PLATFORM`},
				{Line: 4, Path: "grants[0].subjects[1]", Message: `"group:U012ABCDEF": a Slack user-group ID is S followed by capital letters and digits; U012ABCDEF is a user, so write user:U012ABCDEF`},
				{Line: 4, Path: "grants[0].subjects[2]", Message: `"group:W012ABCDEF": a Slack user-group ID is S followed by capital letters and digits; W012ABCDEF is a user, so write user:W012ABCDEF`},
				{Line: 4, Path: "grants[0].subjects[3]", Message: `"user:u012abcdef": a Slack user ID is U or W followed by capital letters and digits; Slack IDs are upper case: user:U012ABCDEF`},
				{Line: 4, Path: "grants[0].subjects[4]", Message: `"group:s0sre": a Slack user-group ID is S followed by capital letters and digits; Slack IDs are upper case: group:S0SRE`},
			},
		},
		{
			name: "lower-case channel IDs",
			doc:  okHead + "channels:\n  c0123abcd: dev\ngrants:\n  - subjects: [user:U1AB]\n    projects: [dev]\n    role: GROUP_OWNER\n    channels: [d0dm]\n",
			want: []Problem{
				{Line: 4, Path: "channels.c0123abcd", Message: `"c0123abcd" must be a Slack channel ID (C…, G… or D…)`},
				{Line: 9, Path: "grants[0].channels[0]", Message: `"d0dm" must be a Slack channel ID (C…, G… or D…)`},
			},
		},
		{
			name: "bad alias and bad ID",
			doc:  "projects:\n  Dev: 6a1b2c3d4e5f6a7b8c9d0e1f\n  prod: 6A1B2C3D4E5F6A7B8C9D0E1F\n  6a1b2c3d4e5f6a7b8c9d0e1f: 6a1b2c3d4e5f6a7b8c9d0e1f\n  qa:\n",
			want: []Problem{
				{Line: 2, Path: "projects.Dev", Message: `an alias is up to 64 lowercase letters, digits, "_" or "-"`},
				{Line: 3, Path: "projects.prod", Message: `"6A1B2C3D4E5F6A7B8C9D0E1F" must be a project ID (24 lowercase hexadecimal characters)`},
				{Line: 4, Path: "projects.6a1b2c3d4e5f6a7b8c9d0e1f", Message: `an alias must not look like a project ID`},
				{Line: 5, Path: "projects.qa", Message: `must be a non-empty string`},
			},
		},
		{
			name: "duplicate alias",
			doc:  okHead + "  dev: 5f1a2b3c4d5e6f7a8b9c0d1e\n",
			want: []Problem{{Line: 3, Path: "projects.dev", Message: "duplicate key (first on line 2)"}},
		},
		{
			name: "duplicate top-level key",
			doc:  okHead + "grants: []\ngrants: []\n",
			want: []Problem{{Line: 4, Path: "grants", Message: "duplicate key (first on line 3)"}},
		},
		{
			name: "unknown default and channel aliases",
			doc:  okHead + "default_project: qa\nchannels:\n  C0123ABCD: prod\n  X0123: dev\n",
			want: []Problem{
				{Line: 3, Path: "default_project", Message: `unknown alias "qa" (not under projects)`},
				{Line: 5, Path: "channels.C0123ABCD", Message: `unknown alias "prod" (not under projects)`},
				{Line: 6, Path: "channels.X0123", Message: `"X0123" must be a Slack channel ID (C…, G… or D…)`},
			},
		},
		{
			name: "malformed alias is reported once",
			doc:  "projects:\n  Dev: 6a1b2c3d4e5f6a7b8c9d0e1f\ndefault_project: Dev\ngrants:\n  - {subjects: [user:U1AB], projects: [Dev], role: GROUP_OWNER}\n",
			want: []Problem{{Line: 2, Path: "projects.Dev", Message: `an alias is up to 64 lowercase letters, digits, "_" or "-"`}},
		},
		{
			name: "grant projects",
			doc:  okHead + "grants:\n  - subjects: [user:U1AB]\n    projects: [dev, qa, '*', 5f1a2b3c4d5e6f7a8b9c0d1e, Prod!, 5F1A]\n    role: GROUP_OWNER\n",
			want: []Problem{
				{Line: 5, Path: "grants[0].projects[1]", Message: `unknown alias "qa" (not under projects)`},
				{Line: 5, Path: "grants[0].projects[4]", Message: `"Prod!" must be a project alias, a project ID (24 lowercase hexadecimal characters) or "*"`},
				{Line: 5, Path: "grants[0].projects[5]", Message: `"5F1A" must be a project alias, a project ID (24 lowercase hexadecimal characters) or "*"`},
			},
		},
		{
			name: "unknown role",
			doc:  okHead + "grants:\n  - subjects: [user:U1AB]\n    projects: [dev]\n    role: ORG_OWNER\n",
			want: []Problem{{Line: 6, Path: "grants[0].role", Message: `"ORG_OWNER" is not an Atlas project role (one of ` + strings.Join(projectRoles, ", ") + `)`}},
		},
		{
			name: "empty lists and missing keys",
			doc:  okHead + "grants:\n  - subjects: []\n    projects: []\n    channels: []\n  - role: GROUP_OWNER\n  - {}\n",
			want: []Problem{
				{Line: 4, Path: "grants[0]", Message: `missing "role"`},
				{Line: 4, Path: "grants[0].subjects", Message: "must list at least one of subjects (user:<ID> or group:<ID>)"},
				{Line: 5, Path: "grants[0].projects", Message: `must list at least one of project aliases, project IDs or "*"`},
				{Line: 6, Path: "grants[0].channels", Message: "must list at least one of channel IDs (leave the key out to allow every channel)"},
				{Line: 7, Path: "grants[1]", Message: `missing "subjects"`},
				{Line: 7, Path: "grants[1]", Message: `missing "projects"`},
				{Line: 8, Path: "grants[2]", Message: `missing "subjects"`},
				{Line: 8, Path: "grants[2]", Message: `missing "projects"`},
				{Line: 8, Path: "grants[2]", Message: `missing "role"`},
			},
		},
		{
			name: "grant channel IDs",
			doc:  okHead + "grants:\n  - subjects: [user:U1AB]\n    projects: [dev]\n    role: GROUP_OWNER\n    channels: [C1AB, G1AB, D1AB, general, '#general']\n",
			want: []Problem{
				{Line: 7, Path: "grants[0].channels[3]", Message: `"general" must be a Slack channel ID (C…, G… or D…)`},
				{Line: 7, Path: "grants[0].channels[4]", Message: `"#general" must be a Slack channel ID (C…, G… or D…)`},
			},
		},
		{
			name: "wrong shapes",
			doc:  "projects: [dev]\nchannels: C1AB\ngrants: {role: GROUP_OWNER}\natlas_role_check: yes\ndefault_region: us-east-1\naction_roles: []\n",
			want: []Problem{
				{Line: 1, Path: "projects", Message: "must be a mapping of alias to project ID"},
				{Line: 2, Path: "channels", Message: "must be a mapping of channel ID to project alias"},
				{Line: 3, Path: "grants", Message: "must be a list of grants"},
				{Line: 4, Path: "atlas_role_check", Message: "must be true or false"},
				{Line: 5, Path: "default_region", Message: `"us-east-1" is not an Atlas Stream Processing region (e.g. VIRGINIA_USA, eastus, US_CENTRAL1)`},
				{Line: 6, Path: "action_roles", Message: "must be a mapping of action to a list of roles"},
			},
		},
		{
			name: "action roles",
			doc:  "action_roles:\n  create: [GROUP_OWNER, GROUP_READ_ONLY]\n  deploy: [GROUP_OWNER]\n  list: []\n  describe: [group_owner]\n",
			want: []Problem{
				{Line: 2, Path: "action_roles.create[1]", Message: `"GROUP_READ_ONLY" cannot allow create: Atlas lets only GROUP_OWNER, GROUP_DATA_ACCESS_ADMIN, GROUP_STREAM_PROCESSING_OWNER do that`},
				{Line: 3, Path: "action_roles", Message: `unknown action "deploy" (one of create, list, describe, update, delete, operate)`},
				{Line: 4, Path: "action_roles.list", Message: "must list at least one of Atlas project roles"},
				{Line: 5, Path: "action_roles.describe[0]", Message: `"group_owner" is not an Atlas project role (one of ` + strings.Join(projectRoles, ", ") + `)`},
			},
		},
		{
			name: "top level not a mapping",
			doc:  "- projects\n",
			want: []Problem{{Line: 1, Message: "must be a mapping with keys teams, projects, default_project, channels, grants, atlas_role_check, default_region, action_roles, admin_contact, approvals"}},
		},
		{
			name: "YAML aliases refused",
			doc:  okHead + "grants:\n  - subjects: &who [user:U1AB]\n    projects: [dev]\n    role: GROUP_OWNER\n  - subjects: *who\n    projects: [dev]\n    role: GROUP_READ_ONLY\n",
			want: []Problem{{Line: 7, Path: "grants[1].subjects", Message: "YAML aliases (*who) are not supported; write the value out"}},
		},
		{
			name: "syntax error",
			doc:  okHead + "grants: 2\n  role: x\n",
			want: []Problem{{Line: 4, Message: "mapping values are not allowed in this context"}},
		},
		{
			name: "two documents",
			doc:  okHead + "---\ngrants: []\n",
			want: []Problem{{Line: 3, Message: "a policy is one YAML document; remove the second one"}},
		},
		{
			name: "JSON with an unknown key",
			doc:  "{\n  \"projects\": {\"dev\": \"6a1b2c3d4e5f6a7b8c9d0e1f\"},\n  \"grants\": [\n    {\"subjects\": [\"user:U1AB\"], \"projects\": [\"dev\"], \"role\": \"GROUP_OWNER\", \"until\": \"2027\"}\n  ]\n}\n",
			want: []Problem{{Line: 4, Path: "grants[0]", Message: `unknown key "until" (known keys: subjects, projects, role, channels)`}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := Load([]byte(tc.doc))
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Load() = %v, %v; want a *PolicyError", p, err)
			}
			if p != nil {
				t.Errorf("Load() returned a policy with an error")
			}
			if diff := cmp.Diff(tc.want, pe.Problems); diff != "" {
				t.Errorf("Load() problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadAllProblemsAtOnce checks that one document with many faults
// reports every one, in line order, in one error.
func TestLoadAllProblemsAtOnce(t *testing.T) {
	doc := `grants:
  - subjects: [U123]
    projects: [nope]
    role: GROUP_OWNER
projects:
  DEV: 6a1b2c3d4e5f6a7b8c9d0e1f
  prod: not-an-id
default_project: staging
extra: true
`
	_, err := Load([]byte(doc))
	var pe *PolicyError
	if !errors.As(err, &pe) {
		t.Fatalf("Load() = %v, want a *PolicyError", err)
	}
	want := `invalid access policy: 6 problems:
line 2: grants[0].subjects[0]: "U123" must be user:<ID> or group:<ID>
line 3: grants[0].projects[0]: unknown alias "nope" (not under projects)
line 6: projects.DEV: an alias is up to 64 lowercase letters, digits, "_" or "-"
line 7: projects.prod: "not-an-id" must be a project ID (24 lowercase hexadecimal characters)
line 8: default_project: unknown alias "staging" (not under projects)
line 9: unknown key "extra" (known keys: teams, projects, default_project, channels, grants, atlas_role_check, default_region, action_roles, admin_contact, approvals)`
	if got := err.Error(); got != want {
		t.Errorf("Load() error =\n%s\nwant\n%s", got, want)
	}
}

func TestPolicyErrorSingle(t *testing.T) {
	err := &PolicyError{Problems: []Problem{{Line: 7, Path: "grants[1].subjects[0]", Message: `"U123" must be user:<ID> or group:<ID>`}}}
	want := `invalid access policy: line 7: grants[1].subjects[0]: "U123" must be user:<ID> or group:<ID>`
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestFromEnv(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "policy.yaml")
	data, err := os.ReadFile("testdata/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, data, 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("grants: [{role: X}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		env       map[string]string
		wantEmpty bool
		check     func(t *testing.T, err error)
	}{
		{name: "neither: deny all", env: nil, wantEmpty: true},
		{name: "file", env: map[string]string{EnvPolicyFile: good}},
		{name: "inline YAML", env: map[string]string{EnvPolicy: string(data)}},
		{name: "inline JSON", env: map[string]string{EnvPolicy: `{"projects":{"dev":"6a1b2c3d4e5f6a7b8c9d0e1f"},"grants":[{"subjects":["user:U1AB"],"projects":["dev"],"role":"GROUP_OWNER"}]}`}},
		{
			name: "both",
			env:  map[string]string{EnvPolicyFile: good, EnvPolicy: string(data)},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "not both") {
					t.Errorf("FromEnv() error = %v, want one saying not both", err)
				}
			},
		},
		{
			name: "missing file",
			env:  map[string]string{EnvPolicyFile: filepath.Join(dir, "absent.yaml")},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("FromEnv() error = %v, want fs.ErrNotExist", err)
				}
			},
		},
		{
			name: "malformed file",
			env:  map[string]string{EnvPolicyFile: bad},
			check: func(t *testing.T, err error) {
				var pe *PolicyError
				if !errors.As(err, &pe) || len(pe.Problems) != 3 {
					t.Errorf("FromEnv() error = %v, want a *PolicyError with 3 problems", err)
				}
			},
		},
		{
			name: "malformed inline",
			env:  map[string]string{EnvPolicy: "grants: 3"},
			check: func(t *testing.T, err error) {
				var pe *PolicyError
				if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), EnvPolicy+": ") {
					t.Errorf("FromEnv() error = %v, want a *PolicyError naming %s", err, EnvPolicy)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := FromEnv(func(k string) string { return tc.env[k] })
			if tc.check != nil {
				if p != nil {
					t.Errorf("FromEnv() returned a policy with an error")
				}
				tc.check(t, err)
				return
			}
			if err != nil {
				t.Fatalf("FromEnv() = %v", err)
			}
			if got := p.Empty(); got != tc.wantEmpty {
				t.Errorf("FromEnv().Empty() = %v, want %v", got, tc.wantEmpty)
			}
		})
	}
}

// FuzzLoad feeds arbitrary documents to Load and asks the loaded policy
// about the fuzzer's caller and about a stranger no document names. Load
// either succeeds or explains itself in a *PolicyError; an allowed request
// names a well-formed project and a role that allows the action, and comes
// from a user the document grants something to (subjects are only
// user:<ID> and group:<ID>, and no group lookup is attached here); a
// denial gives a reason and shows no project ID the caller did not type
// (in any case, with any spaces), and its Mrkdwn holds no Slack markup but
// mentions of subjects the document names. Every project ProjectsFor
// offers is one Authorize allows, and only an approver the document names
// who is not the requester may approve.
func FuzzLoad(f *testing.F) {
	data, err := os.ReadFile("testdata/policy.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data), "U012ABCDEF", "C0123ABCD", "")
	f.Add(string(data), "U012ABCDEF", "C0DEV", "dev")    // allowed
	f.Add(string(data), "U0OWNER01", "C0DEV", "staging") // allowed through an ID in projects
	f.Add(string(data), "U0READER1", "C0DEV", "")        // denied on dev, which the caller did not type
	f.Add("grants: [{subjects: [user:U1AB], projects: ['*'], role: GROUP_OWNER}]", "U1AB", "C1", "6a1b2c3d4e5f6a7b8c9d0e1f")
	f.Add("projects: {a: b}\ngrants: [{subjects: [':'], projects: [], role: 1}]", "", "", "a")
	f.Add("a: &x [*x]", "U1", "C1", "dev")
	f.Add("projects: {dev: 6a1b2c3d4e5f6a7b8c9d0e1f}\nadmin_contact: group:S0ADMIN\ngrants: [{subjects: [user:U1AB], projects: [dev], role: GROUP_READ_ONLY}]\n"+
		"approvals: [{projects: ['*'], actions: [create], approvers: [user:U1AB, group:S0SRE], expires: 2h}]", "U1AB", "C1", "dev")
	const stranger = "W0FUZZSTRANGER"
	f.Fuzz(func(t *testing.T, doc, user, channel, project string) {
		p, err := Load([]byte(doc))
		if err != nil {
			var pe *PolicyError
			if !errors.As(err, &pe) || len(pe.Problems) == 0 {
				t.Fatalf("Load() error = %v, want a *PolicyError with problems", err)
			}
			return
		}
		p = p.WithLogger(discardLogger())
		for _, action := range actions {
			for _, caller := range []string{user, stranger} {
				for _, r := range []Resource{ResourceWorkspace, ResourceProcessor} {
					req := Request{UserID: caller, ChannelID: channel, Action: action, Resource: r}
					for _, pr := range p.ProjectsFor(t.Context(), req, action) {
						req.Project = pr.GroupID
						if d := p.Authorize(t.Context(), req); !d.Allowed {
							t.Fatalf("ProjectsFor offered %v, but Authorize(%+v) denies: %s", pr, req, d.Reason)
						}
					}
				}
				req := Request{UserID: caller, ChannelID: channel, Action: action, Project: project}
				d := p.Authorize(t.Context(), req)
				checkMrkdwn(t, doc, d)
				if !d.Allowed {
					if d.Reason == "" {
						t.Fatalf("Authorize(%+v) denied without a reason", req)
					}
					if d.GroupID != "" && !strings.Contains(strings.ToLower(project), d.GroupID) && !strings.Contains(d.ProjectAlias, d.GroupID) &&
						strings.Contains(d.Reason, d.GroupID) {
						t.Fatalf("Authorize(%+v) denial %q shows the project ID %s", req, d.Reason, d.GroupID)
					}
					continue
				}
				switch {
				case p.Empty():
					t.Fatalf("an empty policy allowed %+v: %+v", req, d)
				case !projectID.MatchString(d.GroupID):
					t.Fatalf("Authorize(%+v) allowed on project %q", req, d.GroupID)
				case d.Role == "" || !slices.Contains(d.RequiredRoles, d.Role):
					t.Fatalf("Authorize(%+v) allowed with role %q, not one of %q", req, d.Role, d.RequiredRoles)
				case caller == "" || !strings.Contains(doc, caller):
					t.Fatalf("Authorize(%+v) allowed a user the policy does not name: %+v", req, d)
				}
			}
			if d, ok := p.ApprovalFor(projectOf(p, project), action); ok {
				if !slices.Contains(changes, action) || d.Expires < time.Minute || d.Expires > MaxApprovalExpiry || len(d.Approvers) == 0 {
					t.Fatalf("ApprovalFor(%q, %s) = %+v", project, action, d)
				}
			}
			for _, requester := range []string{user, stranger} {
				req := ApproveRequest{UserID: user, GroupID: projectOf(p, project), Action: action, RequesterID: requester}
				d := p.CanApprove(t.Context(), req)
				checkMrkdwn(t, doc, d)
				switch {
				case d.Reason == "":
					t.Fatalf("CanApprove(%+v) gave no reason", req)
				case d.Allowed && (user == requester || user == "" || !strings.Contains(doc, "user:"+user)):
					t.Fatalf("CanApprove(%+v) allowed: %s", req, d.Reason)
				}
			}
		}
	})
}

// projectOf resolves an alias the way a caller's request would, for the
// approval checks; anything else is used as typed.
func projectOf(p *Policy, project string) string {
	if id, ok := p.projects[strings.ToLower(project)]; ok {
		return id
	}
	return project
}

// slackMarkup is a Slack mention or link in mrkdwn.
var slackMarkup = regexp.MustCompile(`<[^<>]*>`)

// checkMrkdwn fails unless every piece of Slack markup in d.Mrkdwn() is a
// mention of a subject that doc names.
func checkMrkdwn(t *testing.T, doc string, d Decision) {
	t.Helper()
	m := d.Mrkdwn()
	for _, tag := range slackMarkup.FindAllString(m, -1) {
		var subject string
		switch {
		case strings.HasPrefix(tag, "<@"):
			subject = "user:" + strings.Trim(tag, "<@>")
		case strings.HasPrefix(tag, "<!subteam^"):
			subject = "group:" + strings.TrimSuffix(strings.TrimPrefix(tag, "<!subteam^"), ">")
		case strings.HasPrefix(tag, "<#"):
			subject = "channel:" + strings.Trim(tag, "<#>")
		}
		if subject == "" || !strings.Contains(doc, subject) {
			t.Fatalf("Mrkdwn() of %q holds markup %q that is no subject of the policy", d.Reason, tag)
		}
	}
	if rest := slackMarkup.ReplaceAllString(m, ""); strings.ContainsAny(rest, "<>") {
		t.Fatalf("Mrkdwn() = %q holds a stray < or >", m)
	}
}

// projectID is the shape of an Atlas project ID.
var projectID = regexp.MustCompile(`^[0-9a-f]{24}$`)
