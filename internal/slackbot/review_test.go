package slackbot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/button"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/form"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/internal/testtools"
)

// Tests from the adversarial review of the interactive paths after the
// merge of issues 10-14.

// On Enterprise Grid, with a policy whose teams names the organization
// (E…) only, an approver's click is decided on the enterprise_id the
// click carries (issue 14 item 7): CanApprove was asked without it, so
// every approval on such an install was refused as "not enabled for this
// Slack workspace". The click names the organization in "enterprise" and
// in its team, or, as Slack sends it for an app installed on a workspace
// of an organization, in its team only ("enterprise": null): the edge's
// decoder dropped team.enterprise_id (slack-go has read it since
// v0.27.0), and such a click was refused the same way.
func TestApproval_enterprisePolicyApproves(t *testing.T) {
	for name, body := range map[string]func(*testing.T, string) string{
		"enterprise and team": func(_ *testing.T, b string) string { return b },
		"team only":           withoutEnterpriseObject,
	} {
		t.Run(name, func(t *testing.T) {
			c := &clock{t: fixedNow}
			st := state.NewMemory(state.WithClock(c.Now))
			env := &testEnv{secrets: newFakeSecrets(testSecret), dispatch: &fakeDispatcher{}, logs: &testtools.Buffer{}}
			h, err := New(Config{Secrets: env.secrets, Policy: loadPolicy(t, approvalPolicy+"teams: [E0ORG]\n"), Dispatcher: env.dispatch,
				Now: c.Now, State: st, Logger: slog.New(slog.NewJSONHandler(env.logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			env.h = h
			w := env.serve(signedRequest(slashForm("create billing-ws --region VIRGINIA_USA --project prod",
				"user_id", requester, "trigger_id", prodTrigger, "enterprise_id", "E0ORG"), testSecret, time.Now()))
			if a := decodeAck(t, w).Text; !strings.Contains(a, "asks for an approval") {
				t.Fatalf("ack %q, want the approval asked", a)
			}
			n := len(env.dispatch.Jobs())
			click := clickOn(approvalButton(button.StepApprove), approver)
			click.EnterpriseID, click.TriggerID = "E0ORG", "click.enterprise"
			env.post(t, "/slack/interactions", body(t, ClickBody(click)), time.Now())
			jobs := env.jobsSince(n)
			if len(jobs) != 1 || jobs[0].Approval == nil || jobs[0].Approval.Step != provision.ApprovalApproved {
				t.Fatalf("jobs %+v, want the approved create", jobs)
			}
			wantStatus(t, st, state.StatusApproved)
		})
	}
}

// withoutEnterpriseObject returns the click body with "enterprise": null,
// the organization left in team.enterprise_id only.
func withoutEnterpriseObject(t *testing.T, body string) string {
	t.Helper()
	form, err := url.ParseQuery(body)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(form.Get("payload")), &p); err != nil {
		t.Fatal(err)
	}
	if p["team"].(map[string]any)["enterprise_id"] != "E0ORG" {
		t.Fatalf("payload team %v, want enterprise_id E0ORG", p["team"])
	}
	p["enterprise"] = nil
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	form.Set("payload", string(b))
	return form.Encode()
}

// An approval button whose value names another processor than the record
// it points at is refused like one naming another workspace: the record,
// not the button, is what an approver approves.
func TestApproval_buttonNamingAnotherProcessorIsRefused(t *testing.T) {
	env, _, st := approvalEnv(t, nil)
	rec := state.Operation{ID: "op.stop.1", Kind: string(command.Stop), GroupID: prodGroupID, Workspace: "billing-ws",
		Processor: "orders-enrich", Requester: requester, Status: state.StatusPendingApproval, ExpiresAt: fixedNow.Add(time.Hour),
		Request: json.RawMessage(`{}`)}
	if _, err := st.Begin(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	v := button.Value{Op: command.Stop, Step: button.StepApprove, GroupID: prodGroupID, Workspace: "billing-ws",
		Processor: "payments", Requester: requester, OpID: rec.ID, IssuedAt: fixedNow}
	env.click(t, v, approver)
	wantNotice(t, env.dispatch.Jobs(), "another request")
	if op, _ := st.Get(t.Context(), rec.ID); op.Status != state.StatusPendingApproval {
		t.Errorf("record %s, want still pending", op.Status)
	}
}

// The create form on Enterprise Grid: a policy whose teams names the
// organization opens the form from the shortcut and accepts its
// submission when the payloads carry the enterprise (issue 14 item 7);
// before, both asked the policy without it and refused everyone.
func TestForm_enterprisePolicy(t *testing.T) {
	env := newFormEnv(t, "teams: [E0ORG]\n")
	p, _ := json.Marshal(map[string]any{
		"type": "shortcut", "token": "legacy", "action_ts": "1765099800.000100",
		"team":        map[string]any{"id": "T1DC2JH3J", "domain": "testteamnow", "enterprise_id": "E0ORG"},
		"enterprise":  map[string]any{"id": "E0ORG"},
		"user":        map[string]any{"id": "U0CREATOR", "username": "roadrunner", "team_id": "T1DC2JH3J"},
		"callback_id": form.CallbackID, "trigger_id": "trig-grid",
	})
	env.post(t, "/slack/interactions", url.Values{"payload": {string(p)}}.Encode(), time.Now())
	views := env.opened(t)
	if len(views) != 1 || decodeModal(t, views[0].View).CallbackID != form.CallbackID {
		t.Fatalf("views opened = %+v, want the create form", views)
	}
	payload := submissionWith(t, env.rec, views[0], "U0CREATOR",
		map[string]string{form.BlockName: "grid-ws", form.BlockProject: devGroupID, form.BlockRegion: "OHIO_USA"},
		func(m map[string]any) { m["enterprise"] = map[string]any{"id": "E0ORG"} })
	if code, body := env.submit(t, payload); code != http.StatusOK || body != "" {
		t.Fatalf("submission = %d %q, want an empty 200", code, body)
	}
	if jobs := env.dispatch.Jobs(); len(jobs) != 1 || jobs[0].Name != "grid-ws" {
		t.Errorf("jobs = %+v, want the create", jobs)
	}
}

// A confirmation shown before the policy began to ask approvals for the
// operation on its project (the policy was edited within the 15 minutes)
// is refused when clicked, instead of running without an approval.
func TestConfirmRefusedWhenThePolicyNowAsksAnApproval(t *testing.T) {
	env := newTestEnv(t, "approvals:\n  - projects: [dev]\n    actions: [delete]\n    approvers: [user:U0LEAD]\n", nil)
	env.post(t, "/slack/interactions", ClickBody(clickOn(deleteConfirm(), "U0CREATOR")), time.Now())
	wantNotice(t, env.dispatch.Jobs(), "now asks for an approval", "/stream delete orders-ws")
}

// The shortcut's refusal names whom to ask as a mention, like every other
// denial (issue 14 item 12), not in the policy's notation.
func TestForm_shortcutDenialMentionsTheAdminContact(t *testing.T) {
	env := newFormEnv(t, "admin_contact: user:U0LEAD\n")
	env.post(t, "/slack/interactions", shortcutBody(form.CallbackID, "U0NOBODY", "trig-no"), time.Now())
	views := env.opened(t)
	if len(views) != 1 {
		t.Fatalf("views opened = %d, want the notice", len(views))
	}
	m := decodeModal(t, views[0].View)
	if len(m.Blocks) != 1 || m.Blocks[0].Text == nil || !strings.Contains(m.Blocks[0].Text.Text, "ask <@U0LEAD>") {
		t.Errorf("view = %s, want the refusal with ask <@U0LEAD>", views[0].View)
	}
}

// `/stream create` alone, by a person allowed nowhere: the refusal names
// whom to ask as a mention (issue 14 item 12).
func TestForm_slashDenialMentionsTheAdminContact(t *testing.T) {
	env := newFormEnv(t, "admin_contact: user:U0LEAD\n")
	_, body := env.slash(t, "create", "U0NOBODY", "trig-nobody")
	if !strings.Contains(body, "ask \u003c@U0LEAD\u003e") && !strings.Contains(body, "ask <@U0LEAD>") {
		t.Errorf("ack = %s, want the refusal with ask <@U0LEAD>", body)
	}
}

// boundedCheck is a store that fails every call at once, and records
// whether each call's context carried a deadline.
type boundedCheck struct {
	state.Store
	mu        sync.Mutex
	unbounded []string
}

func (b *boundedCheck) note(ctx context.Context, call string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := ctx.Deadline(); !ok {
		b.unbounded = append(b.unbounded, call)
	}
	return &state.UnavailableError{Table: "streambot-state", Reason: "unreachable", Err: errors.New(call + ": the table is slow")}
}

func (b *boundedCheck) Begin(ctx context.Context, _ state.Operation) (*state.Operation, error) {
	return nil, b.note(ctx, "Begin")
}

func (b *boundedCheck) Get(ctx context.Context, _ string) (*state.Operation, error) {
	return nil, b.note(ctx, "Get")
}

// The ack path's state-table calls (the Begin of a command, the read of
// an approval click) are bounded, so that a hanging or throttled table
// is answered "unavailable, nothing was done" within Slack's 3 seconds
// instead of running into the function's timeout. (The request's own
// context has no deadline here, as behind `streambot serve`.)
func TestAckPathStateCallsAreBounded(t *testing.T) {
	st := &boundedCheck{}
	env := newTestEnvConfig(t, Config{Policy: loadPolicy(t, approvalPolicy), State: st})
	a := decodeAck(t, env.serve(signedRequest(slashForm("create billing-ws --region VIRGINIA_USA --project prod",
		"user_id", requester, "trigger_id", prodTrigger), testSecret, time.Now())))
	if !strings.Contains(a.Text, "state table is unavailable") {
		t.Errorf("ack %q, want the state table's refusal", a.Text)
	}
	env.click(t, approvalButton(button.StepApprove), approver)
	wantNotice(t, env.dispatch.Jobs(), "state table is unavailable")
	if len(st.unbounded) != 0 {
		t.Errorf("state calls without a deadline: %v", st.unbounded)
	}
}

// deadlines records the deadline each step of the ack path was given.
type deadlines struct {
	state.Store
	mu   sync.Mutex
	seen map[string]time.Time
}

func (d *deadlines) note(ctx context.Context, step string) {
	end, _ := ctx.Deadline()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen[step] = end
}

func (d *deadlines) Begin(ctx context.Context, op state.Operation) (*state.Operation, error) {
	d.note(ctx, "state")
	return d.Store.Begin(ctx, op)
}

// One budget bounds all of the edge's work on a request: each step's own
// bound (the state table's 1.5 s) holds within it, and the hand-off, the
// last step, has what is left of it. Before it the bounds added up to
// 3.5 s and more, past Slack's 3 s, when everything was slow at once.
func TestAckBudgetBoundsEveryStep(t *testing.T) {
	for _, tc := range []struct {
		name   string
		budget time.Duration
	}{
		{"default", 0}, // DefaultAckBudget, longer than the state table's bound
		{"short", 300 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &deadlines{Store: state.NewMemory(), seen: map[string]time.Time{}}
			env := newTestEnvConfig(t, Config{Policy: loadPolicy(t, ""), State: st, AckBudget: tc.budget})
			env.dispatch.dispatchFn = func(ctx context.Context, job provision.Job) error {
				st.note(ctx, "dispatch")
				return nil
			}
			budget := cmp.Or(tc.budget, DefaultAckBudget)
			start := time.Now()
			a := decodeAck(t, env.serve(signedRequest(slashForm("create orders-ws --region VIRGINIA_USA"), testSecret, time.Now())))
			if !strings.Contains(a.Text, "Working on it") {
				t.Fatalf("ack = %q, want the create acknowledged", a.Text)
			}
			end := time.Now()
			for step, bound := range map[string]time.Duration{"state": min(DefaultStateTimeout, budget), "dispatch": budget} {
				got, ok := st.seen[step]
				if !ok || got.IsZero() {
					t.Fatalf("%s: no deadline (%v)", step, st.seen)
				}
				// The step's deadline is its bound from some moment during the request.
				if got.Before(start.Add(bound)) || got.After(end.Add(bound)) {
					t.Errorf("%s deadline %v after the request began, want %v", step, got.Sub(start), bound)
				}
			}
		})
	}
}

// A hand-off that hangs is answered when the budget ends, as an unknown
// outcome, whatever the dispatcher's own patience.
func TestAckBudgetEndsAHangingHandOff(t *testing.T) {
	env := newTestEnvConfig(t, Config{Policy: loadPolicy(t, ""), AckBudget: 50 * time.Millisecond})
	env.dispatch.dispatchFn = hangingDispatch("the hand-off")
	a := decodeAck(t, env.serve(signedRequest(slashForm("list"), testSecret, time.Now())))
	if !strings.Contains(a.Text, "outcome is unknown") {
		t.Errorf("ack text = %q, want an unknown outcome", a.Text)
	}
}

// slowBegin is a state store whose Begin takes longer than a short ack
// budget, and succeeds all the same (a slow but working table).
type slowBegin struct {
	state.Store
	took time.Duration
}

func (s slowBegin) Begin(_ context.Context, op state.Operation) (*state.Operation, error) {
	time.Sleep(s.took)
	return s.Store.Begin(context.Background(), op)
}

// A hand-off that the steps before it left no time is not attempted, and
// the caller is told that nothing was done: an invoke started with an
// expired context certainly sent nothing, so "the outcome is unknown"
// would be wrong.
func TestAckBudgetSpentBeforeTheHandOff(t *testing.T) {
	st := slowBegin{Store: state.NewMemory(), took: 60 * time.Millisecond}
	env := newTestEnvConfig(t, Config{Policy: loadPolicy(t, ""), State: st, AckBudget: 20 * time.Millisecond})
	a := decodeAck(t, env.serve(signedRequest(slashForm("create orders-ws --region VIRGINIA_USA"), testSecret, time.Now())))
	if !strings.Contains(a.Text, "nothing was done") || strings.Contains(a.Text, "unknown") {
		t.Errorf("ack = %q, want nothing done", a.Text)
	}
	if n := len(env.dispatch.Jobs()); n != 0 {
		t.Errorf("%d Dispatch calls with the budget spent, want 0", n)
	}
}

// The ack budget of an API Gateway event runs from API Gateway's receipt
// of the request (timeEpoch), so that a cold start's init counts against
// it as against Slack's 3 seconds; a time that is not credible is not
// used.
func TestAckBudgetRunsFromTheEventsArrival(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name string
		te   int64
		want time.Time
	}{
		{"recent", now.Add(-1900 * time.Millisecond).UnixMilli(), time.UnixMilli(now.Add(-1900 * time.Millisecond).UnixMilli())},
		{"none", 0, now},
		{"older than Slack waits", now.Add(-time.Hour).UnixMilli(), now},
		{"ahead of this clock", now.Add(time.Minute).UnixMilli(), now},
	} {
		if got := arrival(tc.te, now); !got.Equal(tc.want) {
			t.Errorf("%s: arrival(%d) = %v, want %v", tc.name, tc.te, got, tc.want)
		}
	}

	st := &deadlines{Store: state.NewMemory(), seen: map[string]time.Time{}}
	env := newTestEnvConfig(t, Config{Policy: loadPolicy(t, ""), State: st})
	ev := withBody(loadEvent(t), slashForm("create orders-ws --region VIRGINIA_USA"), testSecret, true)
	arrived := time.Now().Add(-1900 * time.Millisecond)
	ev.RequestContext.TimeEpoch = arrived.UnixMilli()
	resp, err := env.h.Handle(t.Context(), ev)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("Handle = %d %q, %v", resp.StatusCode, resp.Body, err)
	}
	// 1.9 s of the 2.2 s were spent before the handler ran: the state
	// table's step got the 0.3 s left, not its own 1.5 s.
	got, ok := st.seen["state"]
	if end := time.UnixMilli(arrived.UnixMilli()).Add(DefaultAckBudget); !ok || got.After(end) {
		t.Errorf("state step deadline %v, want by %v (the budget from the event's arrival)", got, end)
	}
}

// Socket Mode calls Command and Interaction directly, not through serve:
// they set the budget themselves, so a hanging hand-off ends with it
// there too.
func TestAckBudgetBoundsCommandCalledDirectly(t *testing.T) {
	env := newTestEnvConfig(t, Config{Policy: loadPolicy(t, ""), AckBudget: 50 * time.Millisecond})
	env.dispatch.dispatchFn = hangingDispatch("the hand-off")
	a := env.h.Command(context.Background(), slack.SlashCommand{Command: "/stream", Text: "list", TeamID: "T1DC2JH3J",
		ChannelID: "C0DEV", UserID: "U0CREATOR", ResponseURL: testRespURL, TriggerID: testTrigger})
	if !strings.Contains(a.Text, "outcome is unknown") {
		t.Errorf("ack text = %q, want an unknown outcome", a.Text)
	}
}

// A request that reaches the handler with its budget spent (a cold start
// slower than the budget) is answered at once that nothing was done, as
// too late, not as a state table problem; nothing is recorded or sent.
func TestAckBudgetSpentOnArrival(t *testing.T) {
	st := &deadlines{Store: state.NewMemory(), seen: map[string]time.Time{}}
	env := newTestEnvConfig(t, Config{Policy: loadPolicy(t, ""), State: st})
	ev := withBody(loadEvent(t), slashForm("create orders-ws --region VIRGINIA_USA"), testSecret, true)
	ev.RequestContext.TimeEpoch = time.Now().Add(-2500 * time.Millisecond).UnixMilli()
	resp, err := env.h.Handle(t.Context(), ev)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("Handle = %d %q, %v", resp.StatusCode, resp.Body, err)
	}
	if !strings.Contains(resp.Body, "too late") || !strings.Contains(resp.Body, "nothing was done") || strings.Contains(resp.Body, "state table") {
		t.Errorf("ack %s, want too late, nothing done", resp.Body)
	}
	if _, ok := st.seen["state"]; ok || len(env.dispatch.Jobs()) != 0 {
		t.Errorf("state calls %v and %d hand-offs, want none", st.seen, len(env.dispatch.Jobs()))
	}
	if strings.Contains(env.logs.String(), `"level":"ERROR"`) {
		t.Errorf("logs an ERROR for a late request:\n%s", env.logs)
	}
}
