package access

import (
	"context"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/slack-go/slack"
)

// contactPolicy is the test policy with an admin contact added.
func contactPolicy(t *testing.T, contact string) *Policy {
	t.Helper()
	data, err := os.ReadFile("testdata/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Load(append(data, []byte("\nadmin_contact: "+contact+"\n")...))
	if err != nil {
		t.Fatal(err)
	}
	return p.WithLogger(discardLogger())
}

// TestDenialsSayWhatIsMissing checks the exact text of denials, plain and
// as Slack mrkdwn, for a caller with nothing, with a weaker role of their
// own, with a weaker role through a user group, and from the wrong
// channel, under each kind of admin contact.
func TestDenialsSayWhatIsMissing(t *testing.T) {
	groups := fakeGroups{"S0SRE": {"U0SRE", "U0READER1"}, "S0PLATFORM": {"U0PLATFORM"}}
	tests := []struct {
		name       string
		contact    string
		req        Request
		wantReason string
		wantMrkdwn string
	}{
		{
			name:       "a stranger, a user to ask",
			contact:    "user:U0LEAD",
			req:        Request{UserID: "U0NOBODY", ChannelID: "C0OTHER", Action: ActionCreate, Project: "prod"},
			wantReason: "create on project prod needs " + createRoles + noGrant + "; ask user:U0LEAD",
			wantMrkdwn: "create on project prod needs " + createRoles + noGrant + "; ask <@U0LEAD>",
		},
		{
			name:       "a read-only member of a group, a group to ask",
			contact:    "group:S0PLATFORM",
			req:        Request{UserID: "U0SRE", ChannelID: "C0123ABCD", Action: ActionCreate},
			wantReason: "you have GROUP_READ_ONLY (through group:S0SRE) on project prod, but create needs " + createRoles + "; ask group:S0PLATFORM",
			wantMrkdwn: "you have GROUP_READ_ONLY (through <!subteam^S0SRE>) on project prod, but create needs " + createRoles + "; ask <!subteam^S0PLATFORM>",
		},
		{
			name:       "a role of one's own and one through a group, a channel to ask",
			contact:    "channel:C0ADMINS",
			req:        Request{UserID: "U0READER1", ChannelID: "C0123ABCD", Action: ActionDelete, Project: "prod"},
			wantReason: "you have GROUP_READ_ONLY, GROUP_READ_ONLY (through group:S0SRE) on project prod, but delete needs one of GROUP_OWNER; ask channel:C0ADMINS",
			wantMrkdwn: "you have GROUP_READ_ONLY, GROUP_READ_ONLY (through <!subteam^S0SRE>) on project prod, but delete needs one of GROUP_OWNER; ask <#C0ADMINS>",
		},
		{
			name:       "the wrong channel",
			contact:    "user:U0LEAD",
			req:        Request{UserID: "U0CHANNEL", ChannelID: "C0OTHER", Action: ActionCreate, Project: "staging"},
			wantReason: "you may create on project staging only from other channels; ask user:U0LEAD",
			wantMrkdwn: "you may create on project staging only from other channels; ask <@U0LEAD>",
		},
		{
			name:       "an unknown project lists the caller's aliases",
			contact:    "user:U0LEAD",
			req:        Request{UserID: "U0SRE", ChannelID: "C0123ABCD", Action: ActionList, Project: "qa"},
			wantReason: "unknown project qa: use --project dev, prod or staging (where you may list), or ask user:U0LEAD to add it",
			wantMrkdwn: "unknown project qa: use --project dev, prod or staging (where you may list), or ask <@U0LEAD> to add it",
		},
		{
			name:       "an unknown project, nothing allowed",
			contact:    "user:U0LEAD",
			req:        Request{UserID: "U0NOBODY", ChannelID: "C0OTHER", Action: ActionList, Project: "qa"},
			wantReason: "unknown project qa: use --project with a project alias or ID the policy knows, or ask user:U0LEAD to add it",
			wantMrkdwn: "unknown project qa: use --project with a project alias or ID the policy knows, or ask <@U0LEAD> to add it",
		},
		{
			name:       "processors need more than a read-only role",
			contact:    "user:U0LEAD",
			req:        Request{UserID: "U0READER1", ChannelID: "C0OTHER", Action: ActionList, Resource: ResourceProcessor, Project: "prod"},
			wantReason: "you have GROUP_READ_ONLY on project prod, but list processors needs one of GROUP_OWNER, GROUP_STREAM_PROCESSING_OWNER; ask user:U0LEAD",
			wantMrkdwn: "you have GROUP_READ_ONLY on project prod, but list processors needs one of GROUP_OWNER, GROUP_STREAM_PROCESSING_OWNER; ask <@U0LEAD>",
		},
		{
			name:       "operate needs the stream processing role",
			contact:    "user:U0LEAD",
			req:        Request{UserID: "U0CHANNEL", ChannelID: "C0STAGING", Action: ActionOperate, Project: "staging"},
			wantReason: "you have GROUP_DATA_ACCESS_ADMIN on project staging, but operate needs one of GROUP_OWNER, GROUP_STREAM_PROCESSING_OWNER; ask user:U0LEAD",
			wantMrkdwn: "you have GROUP_DATA_ACCESS_ADMIN on project staging, but operate needs one of GROUP_OWNER, GROUP_STREAM_PROCESSING_OWNER; ask <@U0LEAD>",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := contactPolicy(t, tc.contact).WithGroups(groups)
			d := p.Authorize(t.Context(), tc.req)
			if d.Allowed {
				t.Fatalf("Authorize(%+v) allowed: %+v", tc.req, d)
			}
			if d.Reason != tc.wantReason {
				t.Errorf("Authorize(%+v).Reason =\n%q\nwant\n%q", tc.req, d.Reason, tc.wantReason)
			}
			if got := d.Mrkdwn(); got != tc.wantMrkdwn {
				t.Errorf("Authorize(%+v).Mrkdwn() =\n%q\nwant\n%q", tc.req, got, tc.wantMrkdwn)
			}
			if d.Contact.String() != tc.contact {
				t.Errorf("Decision.Contact = %v, want %s", d.Contact, tc.contact)
			}
		})
	}
}

func TestMrkdwnEscapes(t *testing.T) {
	d := Decision{Reason: "a <b> & c; ask user:U0LEAD, not user:u0lead or <@U0X>"}
	if got, want := d.Mrkdwn(), "a &lt;b&gt; &amp; c; ask <@U0LEAD>, not user:u0lead or &lt;@U0X&gt;"; got != want {
		t.Errorf("Mrkdwn() = %q, want %q", got, want)
	}
	for _, s := range []Subject{{}, {SubjectUser, "U1AB"}, {SubjectGroup, "S1AB"}, {SubjectChannel, "C1AB"}} {
		want := map[SubjectKind]string{"": "", SubjectUser: "<@U1AB>", SubjectGroup: "<!subteam^S1AB>", SubjectChannel: "<#C1AB>"}[s.Kind]
		if got := s.Mention(); got != want {
			t.Errorf("%#v.Mention() = %q, want %q", s, got, want)
		}
	}
}

func TestResourceRoles(t *testing.T) {
	p := loadTestPolicy(t).WithLogger(discardLogger())
	tests := []struct {
		user    string
		action  Action
		res     Resource
		project string
		want    bool
	}{
		{"U0READER1", ActionList, ResourceWorkspace, "prod", true},
		{"U0READER1", ActionList, ResourceProcessor, "prod", false},
		{"U0READER1", ActionDescribe, ResourceProcessor, "prod", false},
		{"U0READER1", ActionList, ResourceConnection, "prod", false},
		{"U0READER1", ActionDescribe, ResourceConnection, "prod", true},
		{"U0READER1", ActionOperate, ResourceProcessor, "prod", false},
		{"U012ABCDEF", ActionList, ResourceProcessor, "dev", true},
		{"U012ABCDEF", ActionOperate, ResourceProcessor, "dev", true},
		{"U012ABCDEF", ActionUpdate, ResourceWorkspace, "dev", true},
		{"U0OWNER01", ActionOperate, ResourceProcessor, "prod", true},
		{"U0CHANNEL", ActionList, ResourceConnection, "staging", true}, // data access admin, from its channel
		{"U0CHANNEL", ActionList, ResourceProcessor, "staging", false},
		{"U0CHANNEL", ActionUpdate, ResourceWorkspace, "staging", true},
		{"U0OWNER01", ActionCreate, ResourceProcessor, "prod", false}, // not an action on processors
		{"U0OWNER01", ActionList, "pipeline", "prod", false},
	}
	for _, tc := range tests {
		d := p.Authorize(t.Context(), Request{UserID: tc.user, ChannelID: "C0STAGING", Action: tc.action, Resource: tc.res, Project: tc.project})
		if d.Allowed != tc.want {
			t.Errorf("Authorize(%s %s %q on %s) = %v (%s), want %v", tc.user, tc.action, tc.res, tc.project, d.Allowed, d.Reason, tc.want)
		}
		if d.Allowed && !slices.Contains(DefaultRoles(tc.action, tc.res), d.Role) {
			t.Errorf("Authorize(%s %s %q) allowed by %s, which Atlas does not accept for it", tc.user, tc.action, tc.res, d.Role)
		}
	}
}

func TestDefaultRoles(t *testing.T) {
	tests := []struct {
		action Action
		res    Resource
		want   []string
	}{
		{ActionCreate, ResourceWorkspace, []string{"GROUP_OWNER", "GROUP_DATA_ACCESS_ADMIN", "GROUP_STREAM_PROCESSING_OWNER"}},
		{ActionUpdate, ResourceWorkspace, []string{"GROUP_OWNER", "GROUP_DATA_ACCESS_ADMIN", "GROUP_STREAM_PROCESSING_OWNER"}},
		{ActionDelete, ResourceWorkspace, []string{"GROUP_OWNER", "GROUP_DATA_ACCESS_ADMIN", "GROUP_STREAM_PROCESSING_OWNER"}},
		{ActionOperate, ResourceProcessor, []string{"GROUP_OWNER", "GROUP_STREAM_PROCESSING_OWNER"}},
		{ActionOperate, ResourceWorkspace, []string{"GROUP_OWNER", "GROUP_STREAM_PROCESSING_OWNER"}},
		{ActionList, ResourceWorkspace, projectRoles},
		{ActionDescribe, ResourceWorkspace, projectRoles},
		{ActionList, ResourceProcessor, []string{"GROUP_OWNER", "GROUP_STREAM_PROCESSING_OWNER"}},
		{ActionDescribe, ResourceProcessor, []string{"GROUP_OWNER", "GROUP_STREAM_PROCESSING_OWNER"}},
		{ActionList, ResourceConnection, []string{"GROUP_OWNER", "GROUP_DATA_ACCESS_ADMIN", "GROUP_DATA_ACCESS_READ_WRITE", "GROUP_DATA_ACCESS_READ_ONLY", "GROUP_STREAM_PROCESSING_OWNER"}},
		{ActionDescribe, ResourceConnection, projectRoles},
		{ActionCreate, ResourceProcessor, nil},
		{"deploy", ResourceWorkspace, nil},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, DefaultRoles(tc.action, tc.res)); diff != "" {
			t.Errorf("DefaultRoles(%s, %q) mismatch (-want +got):\n%s", tc.action, tc.res, diff)
		}
	}
}

// TestActionRolesNarrowPerResource checks that action_roles narrows every
// resource's set, and that a set narrowed to nothing says so.
func TestActionRolesNarrowPerResource(t *testing.T) {
	p, err := Load([]byte("projects: {dev: " + devID + "}\naction_roles:\n  list: [GROUP_READ_ONLY, GROUP_STREAM_PROCESSING_OWNER]\n  operate: [GROUP_OWNER]\n" +
		"grants:\n  - {subjects: [user:U0READER], projects: [dev], role: GROUP_READ_ONLY}\n  - {subjects: [user:U0SPO], projects: [dev], role: GROUP_STREAM_PROCESSING_OWNER}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p = p.WithLogger(discardLogger())
	if got, want := p.RequiredRolesFor(ActionList, ResourceProcessor), []string{"GROUP_STREAM_PROCESSING_OWNER"}; !slices.Equal(got, want) {
		t.Errorf("RequiredRolesFor(list, processor) = %v, want %v", got, want)
	}
	d := p.Authorize(t.Context(), Request{UserID: "U0SPO", Action: ActionOperate, Resource: ResourceProcessor, Project: "dev"})
	if want := "you have GROUP_STREAM_PROCESSING_OWNER on project dev, but operate needs one of GROUP_OWNER; ask a policy admin"; d.Allowed || d.Reason != want {
		t.Errorf("Authorize(operate) = %v %q, want a denial %q", d.Allowed, d.Reason, want)
	}
	q, err := Load([]byte("projects: {dev: " + devID + "}\naction_roles:\n  list: [GROUP_READ_ONLY]\ngrants:\n  - {subjects: [user:U0READER], projects: [dev], role: GROUP_READ_ONLY}\n"))
	if err != nil {
		t.Fatal(err)
	}
	d = q.WithLogger(discardLogger()).Authorize(t.Context(), Request{UserID: "U0READER", Action: ActionList, Resource: ResourceProcessor, Project: "dev"})
	want := "you have GROUP_READ_ONLY on project dev, but list processors needs one of GROUP_OWNER, GROUP_STREAM_PROCESSING_OWNER, which this policy's action_roles.list leaves out; ask a policy admin"
	if d.Allowed || d.Reason != want {
		t.Errorf("Authorize(list processors) = %v %q, want a denial %q", d.Allowed, d.Reason, want)
	}
}

func TestProjectsFor(t *testing.T) {
	p := loadTestPolicy(t).WithLogger(discardLogger())
	groups := fakeGroups{"S0PLATFORM": {"U0PLATFORM"}, "S0SRE": {"U0SRE"}}
	dev, prod, staging, bare := Project{"dev", devID}, Project{"prod", prodID}, Project{"staging", stagingID}, Project{"", noAliasID}
	tests := []struct {
		name    string
		groups  GroupLookup
		req     Request
		action  Action
		want    []Project
		lookups bool // whether a group grant was looked up: only one that could add a project
	}{
		{"a user grant", groups, Request{UserID: "U012ABCDEF", ChannelID: "C0OTHER"}, ActionCreate, []Project{dev}, false},
		{"a grant by alias and by ID", groups, Request{UserID: "U0OWNER01", ChannelID: "C0OTHER"}, ActionCreate, []Project{prod, staging}, true},
		{"a wildcard group grant in its channel", groups, Request{UserID: "U0SRE", ChannelID: "C0123ABCD"}, ActionList, []Project{dev, prod, staging, bare}, true},
		{"a wildcard group grant elsewhere", groups, Request{UserID: "U0SRE", ChannelID: "C0OTHER"}, ActionList, nil, true},
		{"a read-only grant cannot create", groups, Request{UserID: "U0SRE", ChannelID: "C0123ABCD"}, ActionCreate, nil, true},
		{"a channel grant from its channel", groups, Request{UserID: "U0CHANNEL", ChannelID: "C0STAGING"}, ActionCreate, []Project{staging}, true},
		{"a channel grant without a channel", groups, Request{UserID: "U0CHANNEL"}, ActionCreate, nil, true},
		{"a group grant", groups, Request{UserID: "U0PLATFORM", ChannelID: "C0OTHER"}, ActionCreate, []Project{dev}, true},
		{"a group lookup that fails", failingGroups{}, Request{UserID: "U0PLATFORM", ChannelID: "C0OTHER"}, ActionCreate, nil, true},
		{"a project without an alias comes last", groups, Request{UserID: "W0ENTERPRISE", ChannelID: "C0OTHER"}, ActionCreate, []Project{bare}, true},
		{"delete narrowed to owners", groups, Request{UserID: "U012ABCDEF", ChannelID: "C0OTHER"}, ActionDelete, nil, false},
		{"operate", groups, Request{UserID: "U0OWNER01", ChannelID: "C0OTHER"}, ActionOperate, []Project{prod, staging}, true},
		{"processors, read-only", groups, Request{UserID: "U0READER1", ChannelID: "C0OTHER", Resource: ResourceProcessor}, ActionList, nil, true},
		{"a stranger", groups, Request{UserID: "U0NOBODY", ChannelID: "C0OTHER"}, ActionList, nil, true},
		{"the request's project and action are ignored", groups, Request{UserID: "U012ABCDEF", ChannelID: "C0OTHER", Project: "prod", Action: ActionDelete}, ActionCreate, []Project{dev}, false},
		{"an unknown action", groups, Request{UserID: "U0OWNER01", ChannelID: "C0OTHER"}, "deploy", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			counter := &countingGroups{GroupLookup: tc.groups}
			got := p.WithGroups(counter).ProjectsFor(t.Context(), tc.req, tc.action)
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ProjectsFor(%+v, %s) mismatch (-want +got):\n%s", tc.req, tc.action, diff)
			}
			if (counter.n() > 0) != tc.lookups {
				t.Errorf("ProjectsFor(%+v, %s) made %d group lookups, want lookups: %v", tc.req, tc.action, counter.n(), tc.lookups)
			}
			// Every project offered is one Authorize allows.
			for _, pr := range got {
				req := tc.req
				req.Action, req.Project = tc.action, pr.GroupID
				if d := p.WithGroups(tc.groups).Authorize(t.Context(), req); !d.Allowed {
					t.Errorf("ProjectsFor offered %v, but Authorize(%+v) denies: %s", pr, req, d.Reason)
				}
			}
		})
	}
}

func TestProjectsForTeams(t *testing.T) {
	p, err := Load([]byte("teams: [T0HOME, E0ORG]\nprojects: {dev: " + devID + "}\ngrants: [{subjects: [user:U1AB], projects: [dev], role: GROUP_OWNER}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		team, enterprise string
		want             int
	}{{"T0HOME", "", 1}, {"T0BRANCH", "E0ORG", 1}, {"T0OTHER", "", 0}, {"T0OTHER", "E0OTHER", 0}, {"E0ORG", "", 0}} {
		got := p.ProjectsFor(t.Context(), Request{TeamID: tc.team, EnterpriseID: tc.enterprise, UserID: "U1AB"}, ActionCreate)
		if len(got) != tc.want {
			t.Errorf("ProjectsFor(team %s, enterprise %s) = %v, want %d projects", tc.team, tc.enterprise, got, tc.want)
		}
		d := p.WithLogger(discardLogger()).Authorize(t.Context(), Request{TeamID: tc.team, EnterpriseID: tc.enterprise, UserID: "U1AB", Action: ActionCreate, Project: "dev"})
		if d.Allowed != (tc.want == 1) {
			t.Errorf("Authorize(team %s, enterprise %s) = %+v, want allowed %v", tc.team, tc.enterprise, d, tc.want == 1)
		}
	}
}

// countingGroups counts the lookups it passes on.
type countingGroups struct {
	GroupLookup
	mu    sync.Mutex
	calls int
}

func (c *countingGroups) IsMember(ctx context.Context, groupID, userID string) (bool, error) {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	if c.GroupLookup == nil {
		return false, nil
	}
	return c.GroupLookup.IsMember(ctx, groupID, userID)
}

func (c *countingGroups) n() int { c.mu.Lock(); defer c.mu.Unlock(); return c.calls }

// TestTeamGroupLookup checks that group grants are looked up within the
// request's workspace, which Slack requires (team_id) with an org-level
// token on an Enterprise Grid org-wide install.
func TestTeamGroupLookup(t *testing.T) {
	var (
		mu    sync.Mutex
		teams []string
	)
	s, _ := newTestGroups(apiFunc(func(_ context.Context, group string, opts ...slack.GetUserGroupMembersOption) ([]string, error) {
		var params slack.GetUserGroupMembersParams
		for _, o := range opts {
			o(&params)
		}
		mu.Lock()
		teams = append(teams, params.TeamID)
		mu.Unlock()
		return map[string][]string{"T0A/S0PLATFORM": {"U0PLATFORM"}}[params.TeamID+"/"+group], nil
	}), time.Hour, time.Second)
	p := loadTestPolicy(t).WithLogger(discardLogger()).WithGroups(s)
	req := Request{TeamID: "T0A", EnterpriseID: "E0ORG", UserID: "U0PLATFORM", ChannelID: "C0OTHER", Action: ActionCreate, Project: "dev"}
	if d := p.Authorize(t.Context(), req); !d.Allowed {
		t.Errorf("Authorize(in T0A) = %+v, want allowed", d)
	}
	req.TeamID = "T0B" // another workspace: its own lookup, where the group holds nobody
	if d := p.Authorize(t.Context(), req); d.Allowed {
		t.Errorf("Authorize(in T0B) = %+v, want denied", d)
	}
	req.TeamID = "T0A" // cached
	if d := p.Authorize(t.Context(), req); !d.Allowed {
		t.Errorf("Authorize(in T0A again) = %+v, want allowed", d)
	}
	// A lookup without a team sends none.
	if _, err := s.IsMember(t.Context(), "S0OTHER", "U0PLATFORM"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"T0A", "T0B", ""}; !slices.Equal(teams, want) {
		t.Errorf("usergroups.users.list team_id per call = %q, want %q", teams, want)
	}
}

// apiFunc is a GroupMembersAPI from a function.
type apiFunc func(ctx context.Context, group string, opts ...slack.GetUserGroupMembersOption) ([]string, error)

func (f apiFunc) GetUserGroupMembersContext(ctx context.Context, group string, opts ...slack.GetUserGroupMembersOption) ([]string, error) {
	return f(ctx, group, opts...)
}
