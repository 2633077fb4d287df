package provision_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/secrets"
	"github.com/streambot/streambot/pkg/atlas"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

func TestCreateSuccess(t *testing.T) {
	e := newEnv(t, func(s *setting) { s.atlasOpts = append(s.atlasOpts, atlastest.WithHostnameDelay(2)) })
	res, err := e.handle(e.job(func(j *provision.Job) { j.SampleSolar = true }))
	if err != nil {
		t.Fatalf("Handle() error = %v", err)
	}
	if res.Outcome != provision.OutcomeCreated || res.Route != reply.RouteThread {
		t.Errorf("Handle() = %s via %s, want created via thread", res.Outcome, res.Route)
	}
	stored, ok := e.atlas.Workspace(groupID, "orders-ws")
	if !ok || len(stored.Hostnames) == 0 {
		t.Fatalf("atlastest has no workspace orders-ws with hostnames: %+v", stored)
	}
	if got := e.atlas.Calls(atlastest.OpCreateStream); got != 1 {
		t.Errorf("create calls = %d, want 1", got)
	}
	// The body went through atlasspec's checks (see newEnv); it is also
	// exactly the seed's example request with our values.
	if len(e.creates) != 1 {
		t.Fatalf("create bodies seen by the checking transport = %d, want 1", len(e.creates))
	}
	var gotBody, wantBody any
	json.Unmarshal(e.creates[0], &gotBody)
	json.Unmarshal([]byte(`{"name":"orders-ws","dataProcessRegion":{"cloudProvider":"AWS","region":"VIRGINIA_USA"},
		"streamConfig":{"tier":"SP30","maxTierSize":"SP50"},"sampleConnections":{"solar":true}}`), &wantBody)
	if diff := cmp.Diff(wantBody, gotBody); diff != "" {
		t.Errorf("create body mismatch (-want +got):\n%s", diff)
	}

	posts, updates := e.parents()
	if len(posts) != 1 {
		t.Fatalf("parent posts = %d, want 1", len(posts))
	}
	if want := "<@U012ABCDEF> asked for stream workspace `orders-ws` · AWS / VIRGINIA_USA · SP30 (max SP50) · project dev ⏳"; posts[0].Text != want {
		t.Errorf("parent = %q, want %q", posts[0].Text, want)
	}
	if posts[0].Channel != "C0123ABCD" {
		t.Errorf("parent channel = %q, want C0123ABCD", posts[0].Channel)
	}
	final := e.final()
	if final.ThreadTS == "" || final.ThreadTS != updates[0].TS {
		t.Errorf("reply thread_ts = %q, parent ts = %q: want the reply in the parent's thread", final.ThreadTS, updates[0].TS)
	}
	contains(t, final, "orders-ws", "created", "AWS / VIRGINIA_USA", "SP30 (max SP50)", "sample_stream_solar",
		"https://cloud.mongodb.com/v2/"+groupID+"#/streamProcessing")
	for _, h := range stored.Hostnames {
		contains(t, final, "`"+h+"`")
	}
	if len(updates) != 1 || !strings.HasSuffix(updates[0].Text, "✅") {
		t.Errorf("parent updates = %+v, want one ending in ✅", updates)
	}
	if got := len(e.clock.Slept()); got == 0 {
		t.Errorf("the worker did not poll for hostnames (no sleeps)")
	}
}

// seedBody returns an example error body from the seed page, as
// pkg/atlas/testdata keeps it (one verbatim copy in the repository, so the
// test does not depend on files outside it).
func seedBody(t *testing.T, status string) string {
	t.Helper()
	raw, err := os.ReadFile("../../pkg/atlas/testdata/seed_error_" + status + ".json")
	if err != nil {
		t.Fatalf("read the seed's %s example: %v", status, err)
	}
	return string(raw)
}

func TestCreateFailures(t *testing.T) {
	tests := []struct {
		name        string
		faults      []atlastest.Fault
		wantOutcome provision.Outcome
		wantCreates int      // POSTs Atlas saw
		wantExists  bool     // the workspace exists afterwards
		want        []string // in the final answer
	}{
		{
			name:        "seed 400",
			faults:      []atlastest.Fault{{Status: 400, Body: "SEED400"}},
			wantOutcome: provision.OutcomeFailed, wantCreates: 1,
			want: []string{"Bad Request", "VALIDATION_ERROR", "No provider AWS exists.", "(This is just an example"},
		},
		{
			name:        "401 twice: the refresh does not help",
			faults:      []atlastest.Fault{{Status: 401, Times: 2, Body: "SEED401"}},
			wantOutcome: provision.OutcomeFailed, wantCreates: 2,
			want: []string{"Unauthorized", "NOT_ORG_GROUP_CREATOR", "API access list"},
		},
		{
			name:        "402",
			faults:      []atlastest.Fault{{Status: 402}},
			wantOutcome: provision.OutcomeFailed, wantCreates: 1,
			want: []string{"HTTP 402", "billing"},
		},
		{
			name:        "seed 403",
			faults:      []atlastest.Fault{{Status: 403, Body: "SEED403"}},
			wantOutcome: provision.OutcomeFailed, wantCreates: 1,
			want: []string{"Forbidden", "CANNOT_CHANGE_GROUP_NAME", "lacks a project role"},
		},
		{
			name:        "seed 404",
			faults:      []atlastest.Fault{{Status: 404, Body: "SEED404"}},
			wantOutcome: provision.OutcomeFailed, wantCreates: 1,
			want: []string{"Not Found", "RESOURCE_NOT_FOUND", "Cannot find resource AWS", "check the project ID"},
		},
		{
			name:        "409 and nothing there",
			faults:      []atlastest.Fault{{Status: 409}},
			wantOutcome: provision.OutcomeFailed, wantCreates: 1,
			want: []string{"HTTP 409", "name is taken"},
		},
		{
			name:        "429 then success",
			faults:      []atlastest.Fault{{Status: 429, RetryAfter: "2"}},
			wantOutcome: provision.OutcomeCreated, wantCreates: 2, wantExists: true,
			want: []string{"created", ".a.query.mongodb.net`"},
		},
		{
			name:        "429 until the worker gives up",
			faults:      []atlastest.Fault{{Status: 429, RetryAfter: "1", Times: 10}},
			wantOutcome: provision.OutcomeFailed, wantCreates: 3,
			want: []string{"HTTP 429", "rate limited the bot after 3 tries"},
		},
		{
			name:        "seed 500",
			faults:      []atlastest.Fault{{Status: 500, Body: "SEED500"}},
			wantOutcome: provision.OutcomeFailed, wantCreates: 1,
			want: []string{"Internal Server Error", "UNEXPECTED_ERROR", "safe to try again"},
		},
		{
			name:        "500 but created (response lost)",
			faults:      []atlastest.Fault{{Status: 500, AfterApply: true}},
			wantOutcome: provision.OutcomeCreated, wantCreates: 1, wantExists: true,
			want: []string{"created", ".a.query.mongodb.net`"},
		},
		{
			name:        "malformed body",
			faults:      []atlastest.Fault{{Malformed: true}},
			wantOutcome: provision.OutcomeFailed, wantCreates: 1,
			want: []string{"could not talk to Atlas", "safe to try again"},
		},
		{
			name:        "malformed body after the create",
			faults:      []atlastest.Fault{{Malformed: true, AfterApply: true}},
			wantOutcome: provision.OutcomeCreated, wantCreates: 1, wantExists: true,
			want: []string{"created"},
		},
		{
			name:        "dropped connection after the create",
			faults:      []atlastest.Fault{{DropConnection: true, AfterApply: true}},
			wantOutcome: provision.OutcomeCreated, wantCreates: 1, wantExists: true,
			want: []string{"created"},
		},
		{
			name:        "malformed error body",
			faults:      []atlastest.Fault{{Status: 502, Body: "<html>bad gateway</html>"}},
			wantOutcome: provision.OutcomeFailed, wantCreates: 1,
			want: []string{"HTTP 502", "&lt;html&gt;bad gateway&lt;/html&gt;"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			for _, f := range tc.faults {
				if s, ok := strings.CutPrefix(f.Body, "SEED"); ok {
					f.Body = seedBody(t, s)
				}
				e.atlas.Inject(atlastest.OpCreateStream, f)
			}
			res, err := e.handle(e.job())
			if err != nil {
				t.Fatalf("Handle() error = %v", err)
			}
			if res.Outcome != tc.wantOutcome {
				t.Errorf("Handle() outcome = %s, want %s", res.Outcome, tc.wantOutcome)
			}
			if got := e.atlas.Calls(atlastest.OpCreateStream); got != tc.wantCreates {
				t.Errorf("create calls = %d, want %d", got, tc.wantCreates)
			}
			wantN := 0
			if tc.wantExists {
				wantN = 1
			}
			if got := e.atlas.Workspaces(groupID); got != wantN {
				t.Errorf("workspaces in the project = %d, want %d", got, wantN)
			}
			final := e.final()
			if final.Method != slackrec.PostMessage || final.ThreadTS == "" {
				t.Errorf("final answer went by %s, want a thread reply", final.Method)
			}
			t.Logf("final answer: %s", final.Text)
			contains(t, final, tc.want...)
			_, updates := e.parents()
			mark := "✅"
			if tc.wantOutcome == provision.OutcomeFailed {
				mark = "❌"
			}
			if len(updates) != 1 || !strings.HasSuffix(updates[0].Text, mark) {
				t.Errorf("parent updates = %+v, want one ending in %s", updates, mark)
			}
		})
	}
}

func TestCreate429ClientRetriesFirst(t *testing.T) {
	// With the client's own retries on (the production setting), a 429
	// that clears is absorbed by the client: one workspace, two POSTs.
	e := newEnv(t, func(s *setting) { s.clientOpts = nil })
	e.atlas.Inject(atlastest.OpCreateStream, atlastest.Fault{Status: 429, RetryAfter: "1"})
	res, err := e.handle(e.job())
	if err != nil || res.Outcome != provision.OutcomeCreated {
		t.Fatalf("Handle() = %+v, %v; want created", res, err)
	}
	if got := e.atlas.Calls(atlastest.OpCreateStream); got != 2 {
		t.Errorf("create calls = %d, want 2", got)
	}
	if got := e.atlas.Workspaces(groupID); got != 1 {
		t.Errorf("workspaces = %d, want 1", got)
	}
}

func TestCreateTimeout(t *testing.T) {
	e := newEnv(t, func(s *setting) {
		s.deps = func(d *provision.Deps) { d.Reserve = 2 * time.Second }
	})
	e.atlas.Inject(atlastest.OpCreateStream, atlastest.Fault{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second+500*time.Millisecond)
	defer cancel()
	res, err := e.w.Handle(ctx, e.job())
	if err != nil {
		t.Fatalf("Handle() error = %v", err)
	}
	if res.Outcome != provision.OutcomeFailed {
		t.Errorf("Handle() outcome = %s, want failed", res.Outcome)
	}
	contains(t, e.final(), "did not answer in time", "/stream describe orders-ws")
	if got := e.atlas.Workspaces(groupID); got != 0 {
		t.Errorf("workspaces = %d, want 0", got)
	}
}

func TestDeliveredTwiceCreatesOnce(t *testing.T) {
	e := newEnv(t)
	j := e.job()
	first, err := e.handle(j)
	if err != nil || first.Outcome != provision.OutcomeCreated {
		t.Fatalf("first Handle() = %+v, %v; want created", first, err)
	}
	// The same Job again (Lambda delivered it twice): the state table's
	// claim refuses it, and it says nothing.
	second, err := e.handle(j)
	if err != nil || second.Outcome != provision.OutcomeDuplicate {
		t.Fatalf("second Handle() = %+v, %v; want duplicate", second, err)
	}
	if n := len(e.finals()); n != 1 {
		t.Fatalf("final answers = %d, want 1", n)
	}
	// Another request for the same name (a new command): Atlas's name
	// uniqueness still answers "already existed".
	third, err := e.handle(e.job(func(j *provision.Job) { j.ID = "another.trigger" }))
	if err != nil || third.Outcome != provision.OutcomeAlreadyExisted {
		t.Fatalf("third Handle() = %+v, %v; want already_existed", third, err)
	}
	if got := e.atlas.Calls(atlastest.OpCreateStream); got != 1 {
		t.Errorf("create calls = %d, want 1", got)
	}
	finals := e.finals()
	if len(finals) != 2 {
		t.Fatalf("final answers = %d, want 2", len(finals))
	}
	contains(t, finals[1], "already existed", ".a.query.mongodb.net`")
}

func TestCreateConflict(t *testing.T) {
	e := newEnv(t)
	if _, err := e.handle(e.job(func(j *provision.Job) { j.Region, j.Tier, j.MaxTier = "OHIO_USA", "SP10", "" })); err != nil {
		t.Fatal(err)
	}
	res, err := e.handle(e.job(func(j *provision.Job) { j.ID = "another.trigger" }))
	if err != nil || res.Outcome != provision.OutcomeFailed {
		t.Fatalf("Handle() = %+v, %v; want failed", res, err)
	}
	finals := e.finals()
	contains(t, finals[len(finals)-1], "different configuration", "OHIO_USA", "VIRGINIA_USA", "its tier is SP10")
	if got := e.atlas.Calls(atlastest.OpCreateStream); got != 1 {
		t.Errorf("create calls = %d, want 1", got)
	}
}

func TestCreate409ThenFoundIsAlreadyExisted(t *testing.T) {
	// The first GET hides the workspace (Atlas's read lagging), the POST
	// meets the taken name: the second GET tells the truth.
	e := newEnv(t)
	if _, err := e.handle(e.job(func(j *provision.Job) { j.Slack = nil })); err != nil {
		t.Fatal(err)
	}
	e.atlas.Inject(atlastest.OpGetStream, atlastest.Fault{Status: 404})
	res, err := e.handle(e.job())
	if err != nil || res.Outcome != provision.OutcomeAlreadyExisted {
		t.Fatalf("Handle() = %+v, %v; want already_existed", res, err)
	}
	contains(t, e.final(), "already existed")
	if got := e.atlas.Calls(atlastest.OpCreateStream); got != 2 {
		t.Errorf("create calls = %d, want 2 (the second answered 409)", got)
	}
}

func TestSlackFaults(t *testing.T) {
	tests := []struct {
		name       string
		faults     []slackrec.Fault // on chat.postMessage
		urlFault   *slackrec.Fault
		atlasFault *atlastest.Fault
		wantRoute  reply.Route
		wantType   string // response_type of the final answer, if by response_url
		wantErr    bool
		wantLost   bool
		wantSleep  time.Duration
	}{
		{name: "429 waited out", faults: []slackrec.Fault{{RetryAfter: "3"}}, wantRoute: reply.RouteThread, wantSleep: 3 * time.Second},
		{name: "not_in_channel", faults: []slackrec.Fault{{Times: 9, Error: "not_in_channel"}}, wantRoute: reply.RouteResponseInChannel, wantType: "in_channel"},
		{name: "channel_not_found", faults: []slackrec.Fault{{Times: 9, Error: "channel_not_found"}}, wantRoute: reply.RouteResponseInChannel, wantType: "in_channel"},
		{name: "other failure", faults: []slackrec.Fault{{Times: 9, Status: 500}}, wantRoute: reply.RouteResponseEphemeral, wantType: "ephemeral"},
		{
			name: "everything fails, workspace created: error for Lambda (the retry answers already existed)", faults: []slackrec.Fault{{Times: 9, Error: "account_inactive"}},
			urlFault: &slackrec.Fault{Status: 404}, wantRoute: reply.RouteLost, wantErr: true, wantLost: true,
		},
		{
			name: "everything fails, nothing created: error for Lambda", faults: []slackrec.Fault{{Times: 9, Error: "account_inactive"}},
			urlFault: &slackrec.Fault{Status: 404}, atlasFault: &atlastest.Fault{Status: 400},
			wantRoute: reply.RouteLost, wantErr: true, wantLost: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			for _, f := range tc.faults {
				e.slack.Inject(slackrec.PostMessage, f)
			}
			if tc.urlFault != nil {
				e.slack.Inject(slackrec.ResponseURL, *tc.urlFault)
			}
			if tc.atlasFault != nil {
				e.atlas.Inject(atlastest.OpCreateStream, *tc.atlasFault)
			}
			res, err := e.handle(e.job())
			if (err != nil) != tc.wantErr {
				t.Fatalf("Handle() error = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, reply.ErrUndelivered) {
				t.Errorf("Handle() error = %v, want it to wrap reply.ErrUndelivered", err)
			}
			if res.Route != tc.wantRoute {
				t.Errorf("Handle() route = %s, want %s", res.Route, tc.wantRoute)
			}
			if tc.wantType != "" {
				if f := e.final(); f.Method != slackrec.ResponseURL || f.ResponseType != tc.wantType {
					t.Errorf("final answer = %s/%s, want response_url/%s", f.Method, f.ResponseType, tc.wantType)
				} else {
					contains(t, f, "orders-ws")
				}
			}
			if tc.wantSleep != 0 {
				if diff := cmp.Diff(tc.wantSleep, e.clock.Slept()[0]); diff != "" {
					t.Errorf("first sleep (-want +got):\n%s", diff)
				}
				e.final()
			}
			lost := strings.Contains(e.logs.String(), `"msg":"job outcome lost"`) && strings.Contains(e.logs.String(), `"job_id":"3f1a.trigger"`)
			if lost != tc.wantLost {
				t.Errorf("lost outcome logged = %v, want %v; logs:\n%s", lost, tc.wantLost, e.logs)
			}
			if got := e.atlas.Calls(atlastest.OpCreateStream); got != 1 {
				t.Errorf("create calls = %d, want 1", got)
			}
		})
	}
}

func TestRoleCheck(t *testing.T) {
	roles := []string{"GROUP_OWNER", "GROUP_DATA_ACCESS_ADMIN", "GROUP_STREAM_PROCESSING_OWNER"}
	tests := []struct {
		name        string
		email       string   // in Slack; "" for none
		atlasRoles  []string // nil: no Atlas user
		status      string   // the Atlas user's orgMembershipStatus; "" is ACTIVE
		wantOutcome provision.Outcome
		want        []string
	}{
		{name: "holds a role", email: "ana@example.com", atlasRoles: []string{"GROUP_READ_ONLY", "GROUP_STREAM_PROCESSING_OWNER"}, wantOutcome: provision.OutcomeCreated, want: []string{"created"}},
		{name: "lacks the roles", email: "ana@example.com", atlasRoles: []string{"GROUP_READ_ONLY"}, wantOutcome: provision.OutcomeDenied,
			want: []string{"needs one of GROUP_OWNER, GROUP_DATA_ACCESS_ADMIN, GROUP_STREAM_PROCESSING_OWNER", "GROUP_READ_ONLY"}},
		{name: "no Atlas user", email: "ana@example.com", wantOutcome: provision.OutcomeDenied, want: []string{"No Atlas user with the email ana@example.com"}},
		{name: "no email", wantOutcome: provision.OutcomeDenied, want: []string{"no email address", "users:read.email"}},
		// Atlas lists invitees with the roles their invitation would give.
		{name: "invitation pending", email: "ana@example.com", atlasRoles: []string{"GROUP_OWNER"}, status: atlas.MembershipPending,
			wantOutcome: provision.OutcomeDenied, want: []string{"ana@example.com", "has not accepted", "invitation", "active member"}},
		{name: "invitation expired", email: "ana@example.com", atlasRoles: []string{"GROUP_OWNER"}, status: atlas.MembershipInvitationExpired,
			wantOutcome: provision.OutcomeDenied, want: []string{"ana@example.com", "invitation", "expired", "active member"}},
		{name: "invitation rejected", email: "ana@example.com", atlasRoles: []string{"GROUP_OWNER"}, status: atlas.MembershipInvitationRejected,
			wantOutcome: provision.OutcomeDenied, want: []string{"ana@example.com", "declined", "active member"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.slack.AddUser("U012ABCDEF", tc.email)
			e.atlas.AddProjectUser(groupID, "someone.else@example.com", "GROUP_OWNER")
			switch {
			case tc.atlasRoles != nil && tc.status != "":
				e.atlas.AddInvitedProjectUser(groupID, tc.email, tc.status, tc.atlasRoles...)
			case tc.atlasRoles != nil:
				e.atlas.AddProjectUser(groupID, tc.email, tc.atlasRoles...)
			}
			res, err := e.handle(e.job(func(j *provision.Job) { j.RequiredRoles = roles }))
			if err != nil || res.Outcome != tc.wantOutcome {
				t.Fatalf("Handle() = %+v, %v; want %s", res, err, tc.wantOutcome)
			}
			contains(t, e.final(), tc.want...)
			if tc.wantOutcome == provision.OutcomeDenied {
				if got := e.atlas.Calls(atlastest.OpCreateStream); got != 0 {
					t.Errorf("create calls = %d, want 0 after a denial", got)
				}
				if posts, _ := e.parents(); len(posts) != 0 {
					t.Errorf("parent posts = %d, want none after a denial", len(posts))
				}
				if f := e.final(); f.ResponseType != reply.Ephemeral {
					t.Errorf("denial response_type = %q, want ephemeral", f.ResponseType)
				}
			}
			if tc.email != "" && e.atlas.Calls(atlastest.OpListUsers) != 1 {
				t.Errorf("users calls = %d, want 1", e.atlas.Calls(atlastest.OpListUsers))
			}
		})
	}
}

func TestListAndDescribe(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"orders-ws", "clicks-ws"} {
		if _, err := e.handle(e.job(func(j *provision.Job) { j.Name, j.Slack = name, nil })); err != nil {
			t.Fatal(err)
		}
	}
	stored, _ := e.atlas.Workspace(groupID, "orders-ws")

	tests := []struct {
		name        string
		job         func(*provision.Job)
		wantOutcome provision.Outcome
		want        []string
	}{
		{"list", func(j *provision.Job) { j.Action, j.Name = provision.ActionList, "" }, provision.OutcomeListed,
			[]string{"2 stream workspaces in project dev", "orders-ws", "clicks-ws", "AWS/VIRGINIA_USA", stored.Hostnames[0]}},
		{"describe", func(j *provision.Job) { j.Action = provision.ActionDescribe }, provision.OutcomeDescribed,
			[]string{"orders-ws", stored.ID, "AWS / VIRGINIA_USA", "SP30", "SP50", "`" + stored.Hostnames[0] + "`"}},
		{"describe unknown", func(j *provision.Job) { j.Action, j.Name = provision.ActionDescribe, "nope-ws" }, provision.OutcomeNotFound,
			[]string{"No workspace named nope-ws in project dev"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.slack.Calls())
			res, err := e.handle(e.job(tc.job))
			if err != nil || res.Outcome != tc.wantOutcome {
				t.Fatalf("Handle() = %+v, %v; want %s", res, err, tc.wantOutcome)
			}
			calls := e.slack.Calls()[before:]
			if len(calls) != 1 || calls[0].Method != slackrec.ResponseURL || calls[0].ResponseType != reply.Ephemeral {
				t.Fatalf("calls = %+v, want one ephemeral response_url post", calls)
			}
			contains(t, calls[0], tc.want...)
		})
	}
}

func TestDirectInvocation(t *testing.T) {
	e := newEnv(t)
	// A direct create request, as `aws lambda invoke` sends it.
	var j provision.Job
	in := `{"group_id":"` + groupID + `","name":"direct-ws","provider":"AWS","region":"OREGON_USA","tier":"SP10","max_tier":"SP30","sample_solar":true}`
	if err := json.Unmarshal([]byte(in), &j); err != nil {
		t.Fatal(err)
	}
	res, err := e.handle(j)
	if err != nil {
		t.Fatalf("Handle() error = %v", err)
	}
	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var got atlas.StreamWorkspace
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("result is not workspace JSON: %v\n%s", err, out)
	}
	stored, _ := e.atlas.Workspace(groupID, "direct-ws")
	if got.ID != stored.ID || got.Name != "direct-ws" || len(got.Hostnames) == 0 || got.StreamConfig.Tier != "SP10" {
		t.Errorf("result = %s, want the stored workspace %+v", out, stored)
	}
	if !strings.Contains(string(out), `"outcome":"created"`) {
		t.Errorf("result = %s, want outcome created", out)
	}
	if len(e.slack.Calls()) != 0 {
		t.Errorf("slack calls = %d, want none for a direct invocation", len(e.slack.Calls()))
	}

	// Again: the same workspace, already there.
	res, err = e.handle(j)
	if err != nil || res.Outcome != provision.OutcomeAlreadyExisted || res.ID != stored.ID {
		t.Errorf("second Handle() = %+v, %v; want already_existed", res, err)
	}
}

func TestDirectInvocationErrors(t *testing.T) {
	e := newEnv(t)
	e.atlas.Inject(atlastest.OpCreateStream, atlastest.Fault{Status: 400, Body: seedBody(t, "400")})
	j := e.job(func(j *provision.Job) { j.Slack = nil })
	_, err := e.handle(j)
	var ce *provision.CreateError
	var ae *atlas.APIError
	if !errors.As(err, &ce) || !errors.As(err, &ae) || ae.ErrorCode != "VALIDATION_ERROR" {
		t.Fatalf("Handle() error = %v, want a *CreateError wrapping Atlas's 400", err)
	}
	for _, want := range []string{"400", "Bad Request", "VALIDATION_ERROR", "No provider AWS exists.", "orders-ws"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}

	_, err = e.handle(e.job(func(j *provision.Job) { j.Slack, j.Region = nil, "eastus" }))
	if !errors.Is(err, atlas.ErrInvalid) {
		t.Errorf("Handle(invalid region) error = %v, want atlas.ErrInvalid", err)
	}
	_, err = e.handle(e.job(func(j *provision.Job) { j.Slack, j.Action = nil, provision.ActionList }))
	if err == nil {
		t.Errorf("Handle(direct list) error = nil, want an error")
	}
	if got := e.atlas.Workspaces(groupID); got != 0 {
		t.Errorf("workspaces = %d, want 0", got)
	}
}

func TestAtlas401RefreshesCredentialsOnce(t *testing.T) {
	e := newEnv(t)
	e.atlas.Inject(atlastest.OpGetStream, atlastest.Fault{Status: 401})
	res, err := e.handle(e.job())
	if err != nil || res.Outcome != provision.OutcomeCreated {
		t.Fatalf("Handle() = %+v, %v; want created", res, err)
	}
	if e.secrets.refreshes != 1 {
		t.Errorf("secret refreshes = %d, want 1", e.secrets.refreshes)
	}
}

func TestAPIKeyCredentials(t *testing.T) {
	e := newEnv(t)
	e.secrets.atlasFn = func(context.Context) (secrets.Atlas, error) {
		return secrets.Atlas{PublicKey: publicKey, PrivateKey: privateKey}, nil
	}
	e.atlas.Inject(atlastest.OpCreateStream, atlastest.Fault{Status: 429, RetryAfter: "1"})
	res, err := e.handle(e.job())
	if err != nil || res.Outcome != provision.OutcomeCreated {
		t.Fatalf("Handle() = %+v, %v; want created", res, err)
	}
	if got := e.atlas.Workspaces(groupID); got != 1 {
		t.Errorf("workspaces = %d, want 1", got)
	}
}

func TestSlackTokenUnavailable(t *testing.T) {
	e := newEnv(t, func(s *setting) {
		s.slackSource = func(*env) provision.SlackSource {
			return slackSourceFn(func(context.Context) (provision.SlackAPI, error) {
				return nil, errors.New("secrets: SLACK_BOT_TOKEN: none set")
			})
		}
	})
	res, err := e.handle(e.job())
	if err != nil || res.Outcome != provision.OutcomeCreated || res.Route != reply.RouteResponseEphemeral {
		t.Fatalf("Handle() = %+v, %v; want created, answered by response_url", res, err)
	}
	contains(t, e.final(), "created")
}

type slackSourceFn func(context.Context) (provision.SlackAPI, error)

func (f slackSourceFn) Slack(ctx context.Context) (provision.SlackAPI, error) { return f(ctx) }

func TestNewWorkerNeedsAtlas(t *testing.T) {
	if _, err := provision.NewWorker(provision.Deps{}); err == nil {
		t.Error("NewWorker(Deps{}) error = nil, want one")
	}
}

func BenchmarkWorkerCreate(b *testing.B) {
	e := newEnv(b, func(s *setting) {
		s.quiet = true
		s.deps = func(d *provision.Deps) { d.Sleep = func(context.Context, time.Duration) error { return nil } }
	})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// A Job of its own each time: the state table runs a Job once.
		j := e.job(func(j *provision.Job) { j.ID, j.Name = "bench."+strconv.Itoa(i), "bench-"+strconv.Itoa(i) })
		res, err := e.w.Handle(ctx, j)
		if err != nil || res.Outcome != provision.OutcomeCreated {
			b.Fatalf("Handle() = %+v, %v", res, err)
		}
	}
}

func TestFirstReadFaults(t *testing.T) {
	tests := []struct {
		name        string
		fault       atlastest.Fault
		wantOutcome provision.Outcome
		wantCreates int
		want        string
	}{
		{"403 ends the job before any create", atlastest.Fault{Status: 403}, provision.OutcomeFailed, 0, "lacks a project role"},
		{"503 does not stop the create", atlastest.Fault{Status: 503}, provision.OutcomeCreated, 1, "created"},
		{"dropped connection does not stop the create", atlastest.Fault{DropConnection: true}, provision.OutcomeCreated, 1, "created"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.atlas.Inject(atlastest.OpGetStream, tc.fault)
			res, err := e.handle(e.job())
			if err != nil || res.Outcome != tc.wantOutcome {
				t.Fatalf("Handle() = %+v, %v; want %s", res, err, tc.wantOutcome)
			}
			if got := e.atlas.Calls(atlastest.OpCreateStream); got != tc.wantCreates {
				t.Errorf("create calls = %d, want %d", got, tc.wantCreates)
			}
			contains(t, e.final(), tc.want)
		})
	}
}

// After a 401, a failed re-read of the secret is told in Slack in general
// words; the secret's ARN (with the account ID) and the AWS error (which
// quotes the role's ARN) go to the log only.
func TestAtlas401AndTheSecretBreaks(t *testing.T) {
	const (
		secretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:atlas-AbCdEf"
		roleARN   = "arn:aws:sts::123456789012:assumed-role/streambot-create-role/streambot-create"
	)
	tests := []struct {
		name string
		err  error
		want []string // in Slack
	}{
		{"a key is missing", &secrets.Error{Source: secretARN, Key: "client_secret", Problem: secrets.ProblemMissingKey},
			[]string{"re-reading them failed", `"client_secret"`, "missing or empty"}},
		{"access denied", &secrets.Error{Source: secretARN, Problem: secrets.ProblemUnreadable,
			Err: errors.New("AccessDeniedException: User: " + roleARN + " is not authorized to perform: secretsmanager:GetSecretValue on resource: " + secretARN)},
			[]string{"re-reading them failed", "could not be read"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.secrets.refreshFn = func(context.Context) (secrets.Atlas, error) { return secrets.Atlas{}, tc.err }
			e.atlas.Inject(atlastest.OpGetStream, atlastest.Fault{Status: 401})
			res, err := e.handle(e.job())
			if err != nil || res.Outcome != provision.OutcomeFailed {
				t.Fatalf("Handle() = %+v, %v; want failed", res, err)
			}
			final := e.final()
			contains(t, final, append(tc.want, "3f1a.trigger" /* the job ID, for the operator */)...)
			noAWSDetails(t, final)
			if !strings.Contains(e.logs.String(), secretARN) {
				t.Errorf("the log lacks the secret's ARN:\n%s", e.logs)
			}
			if got := e.atlas.Calls(atlastest.OpCreateStream); got != 0 {
				t.Errorf("create calls = %d, want 0", got)
			}
		})
	}
}

// noAWSDetails fails the test if a Slack message shows an ARN or an AWS
// account ID.
func noAWSDetails(t *testing.T, c slackrec.Call) {
	t.Helper()
	all := c.Text + "\n" + string(c.Blocks)
	for _, v := range []string{"arn:", "123456789012"} {
		if strings.Contains(all, v) {
			t.Errorf("the answer shows %q:\ntext: %s\nblocks: %s", v, c.Text, c.Blocks)
		}
	}
}

func TestWrongServiceAccount(t *testing.T) {
	e := newEnv(t)
	e.secrets.atlasFn = func(context.Context) (secrets.Atlas, error) {
		return secrets.Atlas{ClientID: clientID, ClientSecret: "mdb_sa_sk_wrong"}, nil
	}
	res, err := e.handle(e.job())
	if err != nil || res.Outcome != provision.OutcomeFailed {
		t.Fatalf("Handle() = %+v, %v; want failed", res, err)
	}
	contains(t, e.final(), "refused the bot's service account credentials", "HTTP 401")
	if e.secrets.refreshes != 1 {
		t.Errorf("refreshes = %d, want 1", e.secrets.refreshes)
	}
}

// A workspace Atlas reports without a max tier (or with none set) is the
// same configuration as a request whose max tier equals its tier: the
// repeated command answers "already existed", not "different configuration".
func TestAlreadyExistedWithoutMaxTier(t *testing.T) {
	e := newEnv(t)
	if _, err := e.handle(e.job(func(j *provision.Job) { j.MaxTier, j.Slack = "", nil })); err != nil {
		t.Fatal(err)
	}
	res, err := e.handle(e.job(func(j *provision.Job) { j.MaxTier = j.Tier }))
	if err != nil || res.Outcome != provision.OutcomeAlreadyExisted {
		t.Fatalf("Handle() = %+v, %v; want already_existed", res, err)
	}
	contains(t, e.final(), "already existed")
	if got := e.atlas.Calls(atlastest.OpCreateStream); got != 1 {
		t.Errorf("create calls = %d, want 1", got)
	}
}

// Without a deadline (a local run), the Job gets Budget and still keeps
// the Reserve for its answer.
func TestNoDeadlineUsesBudget(t *testing.T) {
	e := newEnv(t)
	res, err := e.w.Handle(context.Background(), e.job())
	if err != nil || res.Outcome != provision.OutcomeCreated {
		t.Fatalf("Handle() = %+v, %v; want created", res, err)
	}
	e.final()
}

func TestDescribeFailures(t *testing.T) {
	tests := []struct {
		name  string
		job   func(*provision.Job)
		fault *atlastest.Fault
		want  []string
	}{
		{name: "invalid name", job: func(j *provision.Job) { j.Name = "no spaces" },
			want: []string{"Could not describe", "Nothing was sent to Atlas"}},
		{name: "Atlas 500", fault: &atlastest.Fault{Status: 500},
			want: []string{"Could not describe", "HTTP 500", "safe to try again"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			if tc.fault != nil {
				e.atlas.Inject(atlastest.OpGetStream, *tc.fault)
			}
			j := e.job(func(j *provision.Job) { j.Action, j.ProjectAlias = provision.ActionDescribe, "" })
			if tc.job != nil {
				tc.job(&j)
			}
			res, err := e.handle(j)
			if err != nil || res.Outcome != provision.OutcomeFailed {
				t.Fatalf("Handle() = %+v, %v; want failed", res, err)
			}
			f := e.final()
			if f.ResponseType != reply.Ephemeral {
				t.Errorf("answer response_type = %q, want ephemeral", f.ResponseType)
			}
			contains(t, f, append(tc.want, groupID)...)
		})
	}
}

// TestTokenEndpointDownEndsTheJob: when the token exchange fails, no API
// request can go out, so the Job answers once without trying to create.
func TestTokenEndpointDownEndsTheJob(t *testing.T) {
	e := newEnv(t)
	e.atlas.Inject(atlastest.OpToken, atlastest.Fault{Times: 100, Status: 503})
	if _, err := e.handle(e.job()); err != nil {
		t.Fatalf("Handle() error = %v, want an answer in Slack and nil", err)
	}
	contains(t, e.final(), "HTTP 503")
	if got := e.atlas.Calls(atlastest.OpToken); got != 1 {
		t.Errorf("token requests = %d, want 1 (the GET's; nothing after it)", got)
	}
	if got := e.atlas.Calls(atlastest.OpCreateStream); got != 0 {
		t.Errorf("create requests = %d, want 0", got)
	}
}
