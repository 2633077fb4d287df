package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/pkg/atlas"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// jobJSON is the part of the Job the Slack function hands to the worker
// that the suite checks (the wire names of provision.Job).
type jobJSON struct {
	ID           string    `json:"id"`
	Action       string    `json:"action"`
	GroupID      string    `json:"group_id"`
	ProjectAlias string    `json:"project_alias"`
	Name         string    `json:"name"`
	Provider     string    `json:"provider"`
	Region       string    `json:"region"`
	RegionInput  string    `json:"region_input"`
	Tier         string    `json:"tier"`
	MaxTier      string    `json:"max_tier"`
	SampleSolar  bool      `json:"sample_solar"`
	Slack        slackJSON `json:"slack"`
}

// slackJSON is the Job's Slack target (provision.SlackTarget).
type slackJSON struct {
	TeamID      string `json:"team_id"`
	ChannelID   string `json:"channel_id"`
	UserID      string `json:"user_id"`
	ResponseURL string `json:"response_url"`
	Command     string `json:"command"`
}

// TestCreate is the main path: a create command, exactly as API Gateway
// delivers it, is acknowledged with the right text, handed to the worker
// as one asynchronous invocation through the real Lambda SDK, sent to Atlas
// as the one request the spec allows with the body the command asked for,
// and answered once in the thread with every hostname.
func TestCreate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     stackConfig
		text    string
		ack     reply.Creating
		body    string // the create request Atlas must receive
		job     jobJSON
		wsName  string
		inThead []string // more text the thread reply must carry
	}{
		{
			name: "policy file",
			text: "create orders-ws --region VIRGINIA_USA --tier SP30",
			ack:  reply.Creating{Project: "dev", Name: "orders-ws", Provider: "AWS", Region: "VIRGINIA_USA", Tier: "SP30"},
			body: `{"name":"orders-ws","dataProcessRegion":{"cloudProvider":"AWS","region":"VIRGINIA_USA"},"streamConfig":{"tier":"SP30"}}`,
			job: jobJSON{Action: "create", GroupID: devGroupID, ProjectAlias: "dev", Name: "orders-ws",
				Provider: "AWS", Region: "VIRGINIA_USA", Tier: "SP30"},
			wsName: "orders-ws",
		},
		{
			// The inline policy, a cloud region code, a max tier and the
			// sample connection; the simulator shows no hostnames in the
			// create answer and the first GET, so the worker must poll.
			name: "inline policy, every option, late hostnames",
			cfg:  stackConfig{inlinePolicy: true, atlasOpts: []atlastest.Option{atlastest.WithHostnameDelay(1)}},
			text: "create clicks-ws --region us-east-1 --tier SP10 --max-tier SP50 --sample-solar --project dev",
			ack: reply.Creating{Project: "dev", Name: "clicks-ws", Provider: "AWS", Region: "VIRGINIA_USA", RegionInput: "us-east-1",
				Tier: "SP10", MaxTier: "SP50", SampleSolar: true},
			body: `{"name":"clicks-ws","dataProcessRegion":{"cloudProvider":"AWS","region":"VIRGINIA_USA"},
				"streamConfig":{"tier":"SP10","maxTierSize":"SP50"},"sampleConnections":{"solar":true}}`,
			job: jobJSON{Action: "create", GroupID: devGroupID, ProjectAlias: "dev", Name: "clicks-ws",
				Provider: "AWS", Region: "VIRGINIA_USA", RegionInput: "us-east-1", Tier: "SP10", MaxTier: "SP50", SampleSolar: true},
			wsName:  "clicks-ws",
			inThead: []string{"sample_stream_solar"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, tc.cfg)
			responseURL := s.slack.ResponseURL("create-" + randomHex(8))
			resp, jobID := s.command(slash{Text: tc.text, ResponseURL: responseURL})

			// The ack: exactly the text reply.AckCreate renders.
			if got, want := ackText(t, resp), reply.AckCreate(tc.ack).Text; got != want {
				t.Errorf("ack = %q, want %q", got, want)
			}
			s.settle()

			// One asynchronous invocation carrying the Job.
			results := s.relay.Results()
			if len(results) != 1 {
				t.Fatalf("the worker was invoked %d times, want 1", len(results))
			}
			r := results[0]
			if r.InvocationType != "Event" || r.FunctionName != createFunctionName || r.Err != nil {
				t.Errorf("invocation %s of %s: %v; want an Event invocation of %s without error", r.InvocationType, r.FunctionName, r.Err, createFunctionName)
			}
			var job jobJSON
			if err := json.Unmarshal(r.Payload, &job); err != nil {
				t.Fatalf("job %s: %v", r.Payload, err)
			}
			want := tc.job
			want.ID = jobID
			want.Slack = slackJSON{TeamID: teamID, ChannelID: channelID, UserID: creator, ResponseURL: responseURL, Command: "/stream"}
			if diff := cmp.Diff(want, job); diff != "" {
				t.Errorf("job (-want +got):\n%s", diff)
			}
			var outcome struct{ Outcome, Delivered string }
			if err := json.Unmarshal(r.Response, &outcome); err != nil || outcome.Outcome != "created" || outcome.Delivered != "thread" {
				t.Errorf("worker result %s, want outcome created, delivered thread", r.Response)
			}

			// Atlas: one create, with the body asked for and the client's
			// API version, valid per the spec (checked at cleanup), stored
			// as asked.
			creates := s.rec.Creates()
			if len(creates) != 1 || s.atlas.Calls(atlastest.OpCreateStream) != 1 {
				t.Fatalf("Atlas got %d create requests, want 1", len(creates))
			}
			if d := jsonDiff(t, creates[0].Body, tc.body); d != "" {
				t.Errorf("create body:\n%s", d)
			}
			// Any version date is valid per the spec; this is the one the
			// client is built for.
			if got, want := creates[0].Header.Get("Accept"), "application/vnd.atlas."+atlas.DefaultAPIVersion+"+json"; got != want {
				t.Errorf("create request Accept: %q, want %q", got, want)
			}
			ws, ok := s.atlas.Workspace(devGroupID, tc.wsName)
			if !ok || s.atlas.Workspaces(devGroupID) != 1 {
				t.Fatalf("Atlas holds %d workspaces, want %s", s.atlas.Workspaces(devGroupID), tc.wsName)
			}
			if ws.DataProcessRegion == nil || ws.DataProcessRegion.Region != tc.job.Region ||
				ws.StreamConfig == nil || string(ws.StreamConfig.Tier) != tc.job.Tier || len(ws.Hostnames) == 0 {
				t.Errorf("stored workspace %+v", ws)
			}
			if len(s.rec.Tokens()) == 0 {
				t.Error("no access token was issued: the log search would miss them")
			}

			// Slack: the parent, one reply in its thread with every
			// hostname, the parent updated to done.
			ans := s.oneAnswer()
			posts := s.slack.Delivered(slackrec.PostMessage)
			if len(posts) == 0 {
				t.Fatalf("no chat.postMessage was delivered; answer by %s", ans.Method)
			}
			parents := posts[0]
			if !isParent(parents) || ans.ThreadTS != parents.TS || ans.Channel != channelID {
				t.Errorf("answer in thread %q of channel %s, want the parent's %q in %s", ans.ThreadTS, ans.Channel, parents.TS, channelID)
			}
			for _, h := range append(ws.Hostnames, append(tc.inThead, tc.wsName)...) {
				if !strings.Contains(ans.Text, h) || !strings.Contains(string(ans.Blocks), h) {
					t.Errorf("the thread reply lacks %q:\n%s\n%s", h, ans.Text, ans.Blocks)
				}
			}
			updates := s.slack.Delivered(slackrec.Update)
			if len(updates) != 1 || updates[0].TS != parents.TS || !strings.Contains(updates[0].Text, "✅") {
				t.Errorf("parent updates %+v, want one marking it done", updates)
			}
		})
	}
}

// TestListAndDescribe covers the read commands: they are answered through
// the response_url, and the reader's right comes from a Slack user group,
// looked up through usergroups.users.list with the bot token.
func TestListAndDescribe(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	s.command(slash{Text: "create orders-ws --region VIRGINIA_USA"})
	s.settle()
	ws, ok := s.atlas.Workspace(devGroupID, "orders-ws")
	if !ok {
		t.Fatal("the create failed")
	}

	steps := []struct {
		name    string
		c       slash
		ack     string
		answer  []string // what the response_url post must carry
		respond string   // its response_type
	}{
		{
			name: "describe", c: slash{Text: "describe orders-ws"},
			ack:    reply.AckWorking(command.Lookup(command.Describe).Working, "dev", "orders-ws").Text,
			answer: append([]string{"orders-ws", "VIRGINIA_USA"}, ws.Hostnames...), respond: "ephemeral",
		},
		{
			name: "list", c: slash{Text: "list"},
			ack:    reply.AckWorking(command.Lookup(command.List).Working, "dev", "").Text,
			answer: []string{"orders-ws"}, respond: "ephemeral",
		},
		{
			name: "describe a missing workspace", c: slash{Text: "describe nothing-here"},
			ack:    reply.AckWorking(command.Lookup(command.Describe).Working, "dev", "nothing-here").Text,
			answer: []string{"nothing-here"}, respond: "ephemeral",
		},
		{
			name: "list through a user group", c: slash{Text: "list --project prod", UserID: reader},
			ack:    reply.AckWorking(command.Lookup(command.List).Working, "prod", "").Text,
			answer: []string{"prod"}, respond: "ephemeral",
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := len(s.slack.Delivered(slackrec.ResponseURL))
			resp, _ := s.command(st.c)
			if got := ackText(t, resp); got != st.ack {
				t.Errorf("ack = %q, want %q", got, st.ack)
			}
			s.settle()
			posts := s.slack.Delivered(slackrec.ResponseURL)
			if len(posts) != before+1 {
				t.Fatalf("%d response_url posts, want one more than %d", len(posts), before)
			}
			p := posts[len(posts)-1]
			if p.ResponseType != st.respond {
				t.Errorf("response_type %q, want %q", p.ResponseType, st.respond)
			}
			for _, w := range st.answer {
				if !strings.Contains(p.Text, w) {
					t.Errorf("answer %q lacks %q", p.Text, w)
				}
			}
		})
	}
	if got := s.slack.Delivered(slackrec.UsergroupsUsersList); len(got) == 0 || got[0].Usergroup != platformGroup {
		t.Errorf("user group lookups %+v, want %s looked up", got, platformGroup)
	}
	if n := s.atlas.Calls(atlastest.OpCreateStream); n != 1 {
		t.Errorf("Atlas got %d creates, want 1", n)
	}
}

// TestNeverReachTheWorker sends commands the Slack function must answer on
// its own: denials, usage errors, help, a dry run, Slack's certificate
// check, a body that is not a form and a GET. None may invoke the worker,
// call Atlas or post in Slack.
func TestNeverReachTheWorker(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	tests := []struct {
		name   string
		c      slash
		prefix string // of the ack text
	}{
		{"outsider creates", slash{Text: "create orders-ws --region VIRGINIA_USA", UserID: outsider}, ":no_entry: Not allowed: "},
		{"outsider lists", slash{Text: "list", UserID: outsider}, ":no_entry: Not allowed: "},
		{"reader creates", slash{Text: "create orders-ws --region VIRGINIA_USA --project prod", UserID: reader}, ":no_entry: Not allowed: "},
		{"creator creates in prod", slash{Text: "create orders-ws --region VIRGINIA_USA --project prod"}, ":no_entry: Not allowed: "},
		{"creator names an unknown project", slash{Text: "create orders-ws --region VIRGINIA_USA --project staging"}, ":no_entry: Not allowed: "},
		{"unknown subcommand", slash{Text: "frobnicate orders-ws"}, ""},
		{"no name", slash{Text: "create --region VIRGINIA_USA"}, ""},
		{"bad name", slash{Text: "create orders_ws! --region VIRGINIA_USA"}, ""},
		{"bad tier", slash{Text: "create orders-ws --region VIRGINIA_USA --tier SP999"}, ""},
		{"bad region", slash{Text: "create orders-ws --region MARS_BASE"}, ""},
		{"no region and no default", slash{Text: "create orders-ws"}, ""},
		{"provider and region disagree", slash{Text: "create orders-ws --provider GCP --region VIRGINIA_USA"}, ""},
		{"help", slash{Text: "help"}, ""},
		{"empty", slash{Text: ""}, ""},
		{"dry run", slash{Text: "create orders-ws --region VIRGINIA_USA --dry-run"}, "Dry run: nothing was sent."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := s.command(tc.c)
			text := ackText(t, resp)
			if !strings.HasPrefix(text, tc.prefix) || strings.HasPrefix(text, "Working on it") {
				t.Errorf("ack = %q, want it to start with %q", text, tc.prefix)
			}
		})
	}

	raw := []struct {
		name   string
		body   string
		method string
		status int
	}{
		{"ssl check", "ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO", http.MethodPost, http.StatusOK},
		{"not a form", "text=%zz&user_id=" + creator, http.MethodPost, http.StatusBadRequest},
		{"GET", s.form(slash{Text: "list"}), http.MethodGet, http.StatusMethodNotAllowed},
	}
	for _, tc := range raw {
		t.Run(tc.name, func(t *testing.T) {
			ev := apiEvent(tc.body, s.signingSecret, time.Now())
			ev.RequestContext.HTTP.Method = tc.method
			resp := s.invoke(ev)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d (%q), want %d", resp.StatusCode, resp.Body, tc.status)
			}
		})
	}

	s.settle()
	if n := s.relay.Invocations(); n != 0 {
		t.Errorf("the worker was invoked %d times, want 0", n)
	}
	if n := s.atlasCalls(); n != 0 {
		t.Errorf("Atlas got %d calls, want 0", n)
	}
	if got := s.slack.Calls(slackrec.PostMessage, slackrec.Update, slackrec.ResponseURL); len(got) != 0 {
		t.Errorf("Slack got posts:\n%s", describeCalls(got))
	}
}

// TestDryRunShowsTheRequest checks that --dry-run shows, byte for byte,
// the request a create sends, and sends nothing.
func TestDryRunShowsTheRequest(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	resp, _ := s.command(slash{Text: "create orders-ws --region VIRGINIA_USA --tier SP10 --dry-run"})
	text := ackText(t, resp)
	w := &atlas.StreamWorkspace{Name: "orders-ws",
		DataProcessRegion: &atlas.DataProcessRegion{CloudProvider: atlas.ProviderAWS, Region: "VIRGINIA_USA"},
		StreamConfig:      &atlas.StreamConfig{Tier: atlas.TierSP10}}
	method, path, body, err := atlas.PreviewCreate(devGroupID, w)
	if err != nil {
		t.Fatal(err)
	}
	if want := reply.AckDryRun("create", method, path, body).Text; text != want {
		t.Errorf("ack = %q, want %q", text, want)
	}
	s.settle()
	if s.relay.Invocations() != 0 || s.atlasCalls() != 0 {
		t.Errorf("a dry run reached the worker (%d) or Atlas (%d)", s.relay.Invocations(), s.atlasCalls())
	}
}
