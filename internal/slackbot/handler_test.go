package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/testtools"
)

var fixedNow = time.Date(2025, 3, 12, 9, 30, 0, 0, time.UTC)

type testEnv struct {
	h        *Handler
	secrets  *fakeSecrets
	dispatch *fakeDispatcher
	logs     *testtools.Buffer // safe for the policy's concurrent group checks
}

func newTestEnv(t *testing.T, policyExtra string, groups access.GroupLookup) *testEnv {
	t.Helper()
	return newTestEnvConfig(t, Config{Policy: loadPolicy(t, policyExtra), Groups: groups})
}

// newTestEnvConfig builds a handler from cfg with the test's secrets,
// dispatcher, clock and logger filled in, and checks at the end that
// nothing it logged carries a credential.
func newTestEnvConfig(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	env := &testEnv{secrets: newFakeSecrets(testSecret), dispatch: &fakeDispatcher{}, logs: &testtools.Buffer{}}
	cfg.Secrets, cfg.Dispatcher = env.secrets, env.dispatch
	cfg.Now = func() time.Time { return fixedNow }
	cfg.Logger = slog.New(slog.NewJSONHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	env.h = h
	t.Cleanup(func() {
		// Nothing the handler logs may carry a credential.
		logs := env.logs.String()
		for _, secret := range []string{testSecret, "xoxb-test", "hooks.slack.com", "/secret-part"} {
			if strings.Contains(logs, secret) {
				t.Errorf("logs contain %q:\n%s", secret, logs)
			}
		}
	})
	return env
}

func (env *testEnv) serve(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	env.h.ServeHTTP(rec, r)
	return rec
}

func decodeAck(t *testing.T, rec *httptest.ResponseRecorder) reply.Ack {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var a reply.Ack
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("ack %q is not JSON: %v", rec.Body, err)
	}
	if a.ResponseType != reply.Ephemeral {
		t.Errorf("response_type = %q, want ephemeral", a.ResponseType)
	}
	return a
}

func slackTarget(userID, channelID string) *provision.SlackTarget {
	return &provision.SlackTarget{TeamID: "T1DC2JH3J", ChannelID: channelID, UserID: userID, UserName: "roadrunner",
		ResponseURL: testRespURL, Command: "/stream"}
}

func TestHandlerCommands(t *testing.T) {
	tests := []struct {
		name        string
		policyExtra string
		groups      access.GroupLookup
		text        string
		form        []string // overrides of the slash-command fields
		wantText    string   // the whole ack text, when set
		wantIn      []string // substrings of the ack text
		wantJobs    []provision.Job
		// wantDecision is the one audit event's decision ("allow" or
		// "deny"); empty when the command never reaches the policy.
		wantDecision string
	}{
		{
			name:         "create",
			wantDecision: "allow",
			text:         "create orders-ws --region VIRGINIA_USA --tier SP30",
			wantText:     "Working on it: creating `orders-ws` in AWS / VIRGINIA_USA (SP30)…\n• project: dev",
			wantJobs: []provision.Job{{ID: testTrigger, Action: provision.ActionCreate, GroupID: devGroupID, ProjectAlias: "dev",
				Name: "orders-ws", Provider: "AWS", Region: "VIRGINIA_USA", Tier: "SP30",
				Slack: slackTarget("U0CREATOR", "C0DEV"), RequestedAt: fixedNow, Offers: []string{"delete"}}},
		},
		{
			name:         "create with a cloud region code, max tier and sample",
			wantDecision: "allow",
			text:         "create orders-ws --region us-east-1 --tier sp10 --max-tier SP50 --sample-solar",
			wantText:     "Working on it: creating `orders-ws` in AWS / VIRGINIA_USA (SP10)…\n• project: dev\n• region: us-east-1 → VIRGINIA_USA\n• max tier: SP50\n• sample connection: sample_stream_solar",
			wantJobs: []provision.Job{{ID: testTrigger, Action: provision.ActionCreate, GroupID: devGroupID, ProjectAlias: "dev",
				Name: "orders-ws", Provider: "AWS", Region: "VIRGINIA_USA", RegionInput: "us-east-1", Tier: "SP10", MaxTier: "SP50",
				SampleSolar: true, Slack: slackTarget("U0CREATOR", "C0DEV"), RequestedAt: fixedNow, Offers: []string{"delete"}}},
		},
		{
			name:         "create with the policy's default region and an Atlas role check",
			wantDecision: "allow",
			policyExtra:  "default_region: EUROPE_WEST1\natlas_role_check: true\n",
			text:         "create orders-ws",
			wantText:     "Working on it: creating `orders-ws` in GCP / EUROPE_WEST1 (SP30)…\n• project: dev",
			wantJobs: []provision.Job{{ID: testTrigger, Action: provision.ActionCreate, GroupID: devGroupID, ProjectAlias: "dev",
				Name: "orders-ws", Provider: "GCP", Region: "EUROPE_WEST1", Tier: "SP30",
				RequiredRoles: []string{"GROUP_OWNER", "GROUP_DATA_ACCESS_ADMIN", "GROUP_STREAM_PROCESSING_OWNER"},
				Slack:         slackTarget("U0CREATOR", "C0DEV"), RequestedAt: fixedNow, Offers: []string{"delete"}}},
		},
		{
			name:         "create on a project named by ID",
			wantDecision: "allow",
			text:         "create orders-ws --region OREGON_USA --project " + noAliasGroup,
			wantText:     "Working on it: creating `orders-ws` in AWS / OREGON_USA (SP30)…\n• project: " + noAliasGroup,
			wantJobs: []provision.Job{{ID: testTrigger, Action: provision.ActionCreate, GroupID: noAliasGroup,
				Name: "orders-ws", Provider: "AWS", Region: "OREGON_USA", Tier: "SP30",
				Slack: slackTarget("U0CREATOR", "C0DEV"), RequestedAt: fixedNow, Offers: []string{"delete"}}},
		},
		{
			name:         "create through a user-group grant",
			wantDecision: "allow",
			groups:       &fakeGroups{members: map[string][]string{"S0PLATFORM": {"U0PLATFORM"}}},
			text:         "create orders-ws --region VIRGINIA_USA --project prod",
			form:         []string{"user_id", "U0PLATFORM"},
			wantText:     "Working on it: creating `orders-ws` in AWS / VIRGINIA_USA (SP30)…\n• project: prod",
			wantJobs: []provision.Job{{ID: testTrigger, Action: provision.ActionCreate, GroupID: prodGroupID, ProjectAlias: "prod",
				Name: "orders-ws", Provider: "AWS", Region: "VIRGINIA_USA", Tier: "SP30",
				Slack: slackTarget("U0PLATFORM", "C0DEV"), RequestedAt: fixedNow, Offers: []string{"delete"}}},
		},
		{
			name:         "list from a channel whose default is prod",
			wantDecision: "allow",
			text:         "list",
			form:         []string{"user_id", "U0READER", "channel_id", "C0PROD"},
			wantText:     "Working on it: listing the stream workspaces in project prod…",
			wantJobs: []provision.Job{{ID: testTrigger, Action: provision.ActionList, GroupID: prodGroupID, ProjectAlias: "prod",
				Slack: slackTarget("U0READER", "C0PROD"), RequestedAt: fixedNow, Offers: []string{"describe"}}},
		},
		{
			name:         "describe",
			wantDecision: "allow",
			text:         "describe orders-ws --project prod",
			form:         []string{"user_id", "U0READER"},
			wantText:     "Working on it: looking up `orders-ws` in project prod…",
			wantJobs: []provision.Job{{ID: testTrigger, Action: provision.ActionDescribe, GroupID: prodGroupID, ProjectAlias: "prod",
				Name: "orders-ws", Slack: slackTarget("U0READER", "C0DEV"), RequestedAt: fixedNow}},
		},
		{
			name:   "help",
			text:   "help",
			wantIn: []string{"/stream create &lt;name&gt;", "/stream list"},
		},
		{
			name:   "empty text is help",
			text:   "",
			wantIn: []string{"/stream create &lt;name&gt;"},
		},
		{
			name:   "usage error",
			text:   "create orders-ws --region VIRGINIA_USA --teir SP30",
			wantIn: []string{"--teir", "--tier", "usage: /stream create"},
		},
		{
			name:   "unknown subcommand",
			text:   "destroy orders-ws",
			wantIn: []string{"destroy"},
		},
		{
			name:   "no region and no default",
			text:   "create orders-ws",
			wantIn: []string{"--region"},
		},
		{
			name:         "denied: read-only caller creates",
			wantDecision: "deny",
			text:         "create orders-ws --region VIRGINIA_USA --project prod",
			form:         []string{"user_id", "U0READER"},
			wantIn:       []string{"Not allowed", "you have GROUP_READ_ONLY on project prod, but create needs one of"},
		},
		{
			name:         "denied: unknown caller",
			wantDecision: "deny",
			text:         "list",
			form:         []string{"user_id", "U0STRANGER"},
			wantIn:       []string{"Not allowed", "list on project dev needs"},
		},
		{
			name:         "denied: user groups cannot be checked",
			wantDecision: "deny",
			groups:       &fakeGroups{err: errors.New("boom")},
			text:         "create orders-ws --region VIRGINIA_USA --project prod",
			form:         []string{"user_id", "U0PLATFORM"},
			wantIn:       []string{"Not allowed", "user groups could not be checked"},
		},
		{
			name:         "denied dry run shows nothing of the request",
			wantDecision: "deny",
			text:         "create orders-ws --region VIRGINIA_USA --project prod --dry-run",
			form:         []string{"user_id", "U0READER"},
			wantIn:       []string{"Not allowed"},
		},
		{
			name:         "dry run",
			wantDecision: "allow",
			text:         "create orders-ws --region us-east-1 --tier SP10 --max-tier SP30 --dry-run",
			wantText: "Dry run: nothing was sent. The create would send this request to Atlas:\n```\n" +
				"POST /api/atlas/v2/groups/" + devGroupID + "/streams\n" +
				`{"name":"orders-ws","dataProcessRegion":{"cloudProvider":"AWS","region":"VIRGINIA_USA"},"streamConfig":{"tier":"SP10","maxTierSize":"SP30"}}` +
				"\n```",
		},
		{
			name:         "update: handed to the worker, which shows before → after",
			wantDecision: "allow",
			text:         "update orders-ws --tier SP50",
			wantText:     "Working on it: reading `orders-ws` in project dev to show the change; nothing changes before you click Apply…",
			wantJobs: []provision.Job{{ID: testTrigger, Action: provision.ActionUpdate, GroupID: devGroupID, ProjectAlias: "dev",
				Name: "orders-ws", Tier: "SP50", Slack: slackTarget("U0CREATOR", "C0DEV"), RequestedAt: fixedNow}},
		},
		{
			name:         "update dry run shows the exact PATCH",
			wantDecision: "allow",
			text:         "update orders-ws --region us-east-2 --max-tier SP50 --dry-run",
			wantText: "Dry run: nothing was sent. The update would send this request to Atlas:\n```\n" +
				"PATCH /api/atlas/v2/groups/" + devGroupID + "/streams/orders-ws\n" +
				`{"cloudProvider":"AWS","region":"OHIO_USA","streamConfig":{"maxTierSize":"SP50"}}` + "\n```",
		},
		{
			name:         "delete: handed to the worker, which asks for a confirmation",
			wantDecision: "allow",
			text:         "delete orders-ws",
			wantText:     "Working on it: looking up what deleting `orders-ws` in project dev would remove; nothing is deleted before you confirm…",
			wantJobs: []provision.Job{{ID: testTrigger, Action: provision.ActionDelete, GroupID: devGroupID, ProjectAlias: "dev",
				Name: "orders-ws", Slack: slackTarget("U0CREATOR", "C0DEV"), RequestedAt: fixedNow}},
		},
		{
			name:         "delete dry run shows the exact DELETE",
			wantDecision: "allow",
			text:         "delete orders-ws --dry-run",
			wantText: "Dry run: nothing was sent. The delete would send this request to Atlas:\n```\n" +
				"DELETE /api/atlas/v2/groups/" + devGroupID + "/streams/orders-ws\n```",
		},
		{
			name:         "denied: read-only caller deletes",
			wantDecision: "deny",
			text:         "delete orders-ws --project prod",
			form:         []string{"user_id", "U0READER"},
			wantIn:       []string{"Not allowed", "delete needs one of"},
		},
		{
			name:         "denied: read-only caller updates, dry run included",
			wantDecision: "deny",
			text:         "update orders-ws --tier SP50 --project prod --dry-run",
			form:         []string{"user_id", "U0READER"},
			wantIn:       []string{"Not allowed", "update needs one of"},
		},
		{
			name:   "update that changes nothing is a usage error",
			text:   "update orders-ws",
			wantIn: []string{"update changes nothing"},
		},
		{
			name:   "mentions in the text come back escaped",
			text:   "create <!channel> --region <@U0CREATOR>",
			wantIn: []string{"&lt;!channel&gt;"},
		},
		{
			name:   "a link as the project comes back escaped",
			text:   "list --project <http://evil.example|dev>",
			wantIn: []string{"&lt;http://evil.example|dev&gt;"},
		},
		{
			name:         "attack: creator on dev names prod by its project ID",
			groups:       &fakeGroups{}, // the caller is in no user group
			text:         "create orders-ws --region VIRGINIA_USA --project " + prodGroupID,
			wantText:     ":no_entry: Not allowed: create on project prod needs one of GROUP_OWNER, GROUP_DATA_ACCESS_ADMIN, GROUP_STREAM_PROCESSING_OWNER, and no grant gives you one; ask a policy admin",
			wantDecision: "deny",
		},
		{
			name:         "attack: creator on dev names prod by ID in a dry run",
			text:         "create orders-ws --region VIRGINIA_USA --dry-run --project " + prodGroupID,
			wantIn:       []string{"Not allowed"},
			wantDecision: "deny",
		},
		{
			name:         "attack: creator on dev names another team's alias",
			groups:       &fakeGroups{}, // the caller is in no user group
			text:         "list --project prod",
			wantText:     ":no_entry: Not allowed: list on project prod needs a project role, and no grant gives you one; ask a policy admin",
			wantDecision: "deny",
		},
		{
			name:         "attack: a channel-restricted grant used from a DM",
			policyExtra:  "  - subjects: [user:U0CHANNEL]\n    projects: [dev]\n    role: GROUP_OWNER\n    channels: [C0DEV]\n",
			text:         "create orders-ws --region VIRGINIA_USA",
			form:         []string{"user_id", "U0CHANNEL", "channel_id", "D0DIRECT"},
			wantText:     ":no_entry: Not allowed: you may create on project dev only from other channels; ask a policy admin",
			wantDecision: "deny",
		},
		{
			name:         "attack: a user-group ID as the caller",
			groups:       &fakeGroups{members: map[string][]string{"S0PLATFORM": {"U0PLATFORM"}}},
			text:         "list --project prod",
			form:         []string{"user_id", "S0PLATFORM"},
			wantIn:       []string{"Not allowed"},
			wantDecision: "deny",
		},
		{
			name:   "attack: an upper-case project ID is refused before the policy",
			text:   "list --project " + strings.ToUpper(prodGroupID),
			wantIn: []string{"did you mean " + prodGroupID + "?"},
		},
		{
			name:   "attack: an HTML-escaped mention as the name",
			text:   "create &lt;!here&gt; --region VIRGINIA_USA",
			wantIn: []string{"&lt;!here&gt;", "Slack special mention"},
		},
		{
			name:   "attack: a smart-quoted name with a space",
			text:   "create \u201corders ws\u201d --region VIRGINIA_USA",
			wantIn: []string{`"orders ws"`, "did you mean orders-ws?"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, tc.policyExtra, tc.groups)
			rec := env.serve(signedRequest(slashForm(tc.text, tc.form...), testSecret, time.Now()))
			a := decodeAck(t, rec)
			if tc.wantText != "" && a.Text != tc.wantText {
				t.Errorf("ack text = %q, want %q", a.Text, tc.wantText)
			}
			for _, want := range tc.wantIn {
				if !strings.Contains(a.Text, want) {
					t.Errorf("ack text = %q, want it to contain %q", a.Text, want)
				}
			}
			if strings.ContainsAny(a.Text, "<>") {
				t.Errorf("ack text = %q has a raw < or >: it could ping or link", a.Text)
			}
			if diff := cmp.Diff(tc.wantJobs, env.dispatch.Jobs()); diff != "" {
				t.Errorf("dispatched jobs mismatch (-want +got):\n%s", diff)
			}
			// One audit event per decision, and none without one.
			logs := env.logs.String()
			wantEvents := 0
			if tc.wantDecision != "" {
				wantEvents = 1
				if want := `"decision":"` + tc.wantDecision + `"`; !strings.Contains(logs, want) {
					t.Errorf("audit log lacks %s:\n%s", want, logs)
				}
			}
			if got := strings.Count(logs, `"msg":"access decision"`); got != wantEvents {
				t.Errorf("%d audit events, want %d:\n%s", got, wantEvents, logs)
			}
			for i, ok := range env.dispatch.deadlines {
				if !ok {
					t.Errorf("dispatch %d had no deadline", i)
				}
			}
		})
	}
}

func TestHandlerHTTP(t *testing.T) {
	body := slashForm("create orders-ws --region VIRGINIA_USA")
	now := time.Now()
	tests := []struct {
		name       string
		req        func() *http.Request
		wantStatus int
		wantBody   string // prefix
	}{
		{
			name:       "GET",
			req:        func() *http.Request { return httptest.NewRequest(http.MethodGet, "/slack/commands", nil) },
			wantStatus: http.StatusMethodNotAllowed,
		},
		{
			name: "body over 64 KiB",
			req: func() *http.Request {
				return signedRequest(body+"&pad="+strings.Repeat("x", MaxBodyBytes), testSecret, now)
			},
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name: "body over 64 KiB, length unknown",
			req: func() *http.Request {
				r := signedRequest(body+"&pad="+strings.Repeat("x", MaxBodyBytes), testSecret, now)
				r.ContentLength = -1
				return r
			},
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name: "ssl_check",
			req: func() *http.Request {
				return httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader("ssl_check=1&token=xyzz0WbapA4vBCDEFasx0q6G"))
			},
			wantStatus: http.StatusOK,
		},
		{
			name:       "wrong secret",
			req:        func() *http.Request { return signedRequest(body, "not-the-secret", now) },
			wantStatus: http.StatusUnauthorized,
		},
		{
			name: "tampered body",
			req: func() *http.Request {
				r := signedRequest(body, testSecret, now)
				r.Body = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Replace(body, "orders-ws", "orders-wz", 1))).Body
				return r
			},
			wantStatus: http.StatusUnauthorized,
		},
		{
			name:       "stale",
			req:        func() *http.Request { return signedRequest(body, testSecret, now.Add(-6*time.Minute)) },
			wantStatus: http.StatusUnauthorized,
		},
		{
			name:       "future",
			req:        func() *http.Request { return signedRequest(body, testSecret, now.Add(6*time.Minute)) },
			wantStatus: http.StatusUnauthorized,
		},
		{
			name: "missing headers",
			req: func() *http.Request {
				return httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
			},
			wantStatus: http.StatusUnauthorized,
		},
		{
			name: "malformed signature",
			req: func() *http.Request {
				r := signedRequest(body, testSecret, now)
				r.Header.Set("X-Slack-Signature", "v0=not-hex")
				return r
			},
			wantStatus: http.StatusUnauthorized,
		},
		{
			name:       "signed but malformed form",
			req:        func() *http.Request { return signedRequest("text=%zz&user_id=U0CREATOR", testSecret, now) },
			wantStatus: http.StatusBadRequest,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, "", nil)
			rec := env.serve(tc.req())
			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d (%q), want %d", rec.Code, rec.Body, tc.wantStatus)
			}
			if n := len(env.dispatch.Jobs()); n != 0 {
				t.Errorf("dispatched %d jobs, want none", n)
			}
			if tc.wantStatus == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q, want POST", rec.Header().Get("Allow"))
			}
			if tc.name == "ssl_check" && (env.secrets.slackCalls != 0 || rec.Body.Len() != 0) {
				t.Errorf("ssl_check: %d secret reads, body %q; want none and empty", env.secrets.slackCalls, rec.Body)
			}
			if tc.wantStatus == http.StatusUnauthorized && strings.Contains(rec.Body.String(), "ephemeral") {
				t.Errorf("401 body = %q, want no ack", rec.Body)
			}
		})
	}
}

func TestHandlerRotation(t *testing.T) {
	const rotated = "rotated-signing-secret"
	body := slashForm("list")
	tests := []struct {
		name         string
		old          bool // the cached secret is older than a minute
		stored       string
		refreshErr   error
		racedTo      string
		signWith     string
		wantStatus   int
		wantRefresh  int
		wantJobCount int
	}{
		{name: "current secret: no re-read", old: true, stored: rotated, signWith: testSecret, wantStatus: 200, wantRefresh: 0, wantJobCount: 1},
		{name: "rotated, cache old: re-read and accept", old: true, stored: rotated, signWith: rotated, wantStatus: 200, wantRefresh: 1, wantJobCount: 1},
		{name: "rotated, cache young: refuse", old: false, stored: rotated, signWith: rotated, wantStatus: 401, wantRefresh: 1},
		{name: "wrong secret, re-read finds the same", old: true, stored: testSecret, signWith: "forged", wantStatus: 401, wantRefresh: 1},
		{name: "wrong secret, re-read finds another", old: true, stored: rotated, signWith: "forged", wantStatus: 401, wantRefresh: 1},
		{name: "rotated, another request just re-read it: accept", old: true, racedTo: rotated, signWith: rotated, wantStatus: 200, wantRefresh: 1, wantJobCount: 1},
		{name: "re-read fails: refuse", old: true, refreshErr: errors.New("secrets manager down"), signWith: rotated, wantStatus: 401, wantRefresh: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, "", nil)
			env.secrets.old, env.secrets.refreshErr, env.secrets.racedTo = tc.old, tc.refreshErr, tc.racedTo
			env.secrets.stored.SigningSecret = tc.stored
			rec := env.serve(signedRequest(body, tc.signWith, time.Now()))
			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d (%q), want %d", rec.Code, rec.Body, tc.wantStatus)
			}
			if env.secrets.refreshCalls != tc.wantRefresh {
				t.Errorf("RefreshSlack called %d times, want %d", env.secrets.refreshCalls, tc.wantRefresh)
			}
			for _, minAge := range env.secrets.minAges {
				if minAge != time.Minute {
					t.Errorf("RefreshSlack(minAge = %v), want 1m", minAge)
				}
			}
			if n := len(env.dispatch.Jobs()); n != tc.wantJobCount {
				t.Errorf("dispatched %d jobs, want %d", n, tc.wantJobCount)
			}
		})
	}
	t.Run("a malformed signature does not re-read", func(t *testing.T) {
		env := newTestEnv(t, "", nil)
		env.secrets.old = true
		r := signedRequest(body, testSecret, time.Now().Add(-time.Hour))
		if rec := env.serve(r); rec.Code != http.StatusUnauthorized {
			t.Errorf("status = %d, want 401", rec.Code)
		}
		if env.secrets.refreshCalls != 0 {
			t.Errorf("RefreshSlack called %d times for a stale request, want 0", env.secrets.refreshCalls)
		}
	})
}

func TestHandlerSecretUnavailable(t *testing.T) {
	env := newTestEnv(t, "", nil)
	env.secrets.err = errors.New("secrets: arn:aws:secretsmanager:us-east-1:1:secret:x: could not be read")
	rec := env.serve(signedRequest(slashForm("list"), testSecret, time.Now()))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", rec.Code)
	}
	if !strings.Contains(env.logs.String(), "slack request failed") {
		t.Errorf("logs = %s, want the failure logged", env.logs)
	}
}

func TestHandlerDispatchFailure(t *testing.T) {
	env := newTestEnv(t, "", nil)
	env.dispatch.dispatchFn = func(ctx context.Context, job provision.Job) error {
		return errors.New("lambda: throttled")
	}
	a := decodeAck(t, env.serve(signedRequest(slashForm("list"), testSecret, time.Now())))
	// a throttle the SDK retried: Lambda may have queued an earlier try
	if !strings.Contains(a.Text, "outcome is unknown") || !strings.Contains(a.Text, testTrigger) {
		t.Errorf("ack text = %q, want an unknown hand-off naming %s", a.Text, testTrigger)
	}
	if !strings.Contains(env.logs.String(), "job dispatch failed") {
		t.Errorf("logs = %s, want the failure logged", env.logs)
	}
}

func TestHandlerDispatchTimeout(t *testing.T) {
	env := newTestEnv(t, "", nil)
	env.h.dispatchTimeout = 10 * time.Millisecond
	env.dispatch.dispatchFn = func(ctx context.Context, job provision.Job) error {
		<-ctx.Done() // a hung invoke
		return ctx.Err()
	}
	a := decodeAck(t, env.serve(signedRequest(slashForm("list"), testSecret, time.Now())))
	if !strings.Contains(a.Text, "outcome is unknown") || strings.Contains(a.Text, "nothing was done") {
		t.Errorf("ack text = %q, want an unknown outcome, not \"nothing was done\"", a.Text)
	}
}

func TestHandlerRandomIDWithoutTrigger(t *testing.T) {
	env := newTestEnv(t, "", nil)
	decodeAck(t, env.serve(signedRequest(slashForm("list", "trigger_id", ""), testSecret, time.Now())))
	jobs := env.dispatch.Jobs()
	if len(jobs) != 1 || len(jobs[0].ID) < 16 {
		t.Fatalf("jobs = %+v, want one with a random ID", jobs)
	}
}

func TestNewRequiresDependencies(t *testing.T) {
	_, err := New(Config{})
	if err == nil {
		t.Fatal("New(Config{}) = nil error, want one")
	}
	for _, want := range []string{"secret source", "access policy", "dispatcher"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("New(Config{}) error = %q, want it to mention %q", err, want)
		}
	}
}
