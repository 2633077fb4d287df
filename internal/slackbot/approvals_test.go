package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/button"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/motoserver"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/internal/state/statetest"
	"github.com/streambot/streambot/internal/testtools"
)

// The approvals on the edge: prod's creates need a second person among
// U0PRODDEV (who also asks), U0LEAD and U0LEAD2.
const approvalPolicy = `
  - subjects: [user:U0PRODDEV]
    projects: [prod]
    role: GROUP_STREAM_PROCESSING_OWNER
approvals:
  - projects: [prod]
    actions: [create, delete]
    approvers: [user:U0PRODDEV, user:U0LEAD, user:U0LEAD2]
    expires: 1h
`

const (
	requester   = "U0PRODDEV"
	approver    = "U0LEAD"
	approver2   = "U0LEAD2"
	prodTrigger = "777.888.protected"
)

// clock is a settable clock for the edge and its store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// approvalEnv is a handler with the approvals policy and st (nil: a memory
// store on the env's clock).
func approvalEnv(t *testing.T, st state.Store) (*testEnv, *clock, state.Store) {
	t.Helper()
	c := &clock{t: fixedNow}
	if st == nil {
		st = state.NewMemory(state.WithClock(c.Now))
	}
	env := &testEnv{secrets: newFakeSecrets(testSecret), dispatch: &fakeDispatcher{}, logs: &testtools.Buffer{}}
	h, err := New(Config{Secrets: env.secrets, Policy: loadPolicy(t, approvalPolicy+"\n"), Dispatcher: env.dispatch,
		Now: c.Now, State: st, Logger: slog.New(slog.NewJSONHandler(env.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	env.h = h
	return env, c, st
}

// ask sends the protected create and returns its ack text.
func (env *testEnv) ask(t *testing.T, text string) string {
	t.Helper()
	w := env.serve(signedRequest(slashForm(text, "user_id", requester, "trigger_id", prodTrigger), testSecret, time.Now()))
	return decodeAck(t, w).Text
}

// approvalButton is the button the worker renders on the request.
func approvalButton(step button.Step) button.Value {
	return button.Value{Op: command.Create, Step: step, GroupID: prodGroupID, Workspace: "billing-ws",
		Requester: requester, OpID: prodTrigger, IssuedAt: fixedNow}
}

// click sends a click on v by user with its own trigger_id.
func (env *testEnv) click(t *testing.T, v button.Value, user string) {
	t.Helper()
	c := clickOn(v, user)
	c.TriggerID = fmt.Sprintf("click.%s.%d", user, time.Now().UnixNano())
	if w := env.post(t, "/slack/interactions", ClickBody(c), time.Now()); w.Code != http.StatusOK {
		t.Fatalf("click answered %d", w.Code)
	}
}

// jobsSince returns the Jobs dispatched after the first n.
func (env *testEnv) jobsSince(n int) []provision.Job { return env.dispatch.Jobs()[n:] }

// noticesSince returns the private notices among the Jobs dispatched
// after the first n.
func (env *testEnv) noticesSince(n int) []provision.Job {
	var notices []provision.Job
	for _, j := range env.jobsSince(n) {
		if j.Action == provision.ActionNotice {
			notices = append(notices, j)
		}
	}
	return notices
}

// wantNotice checks that the only Job since n is a private notice (or a
// denial) with every want.
func wantNotice(t *testing.T, jobs []provision.Job, wants ...string) {
	t.Helper()
	if len(jobs) != 1 || jobs[0].Action != provision.ActionNotice {
		t.Fatalf("jobs %+v, want one notice", jobs)
	}
	text := jobs[0].Notice + jobs[0].Denial
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("notice %q, want %q in it", text, w)
		}
	}
}

func wantStatus(t *testing.T, st state.Store, want state.Status) *state.Operation {
	t.Helper()
	op, err := st.Get(context.Background(), prodTrigger)
	if err != nil {
		t.Fatal(err)
	}
	if op.Status != want {
		t.Errorf("status %s, want %s", op.Status, want)
	}
	return op
}

func TestApproval_requestWaits(t *testing.T) {
	env, _, st := approvalEnv(t, nil)
	ack := env.ask(t, "create billing-ws --region VIRGINIA_USA --project prod")
	if !strings.Contains(ack, "asks for an approval") || !strings.Contains(ack, "<@U0LEAD>") {
		t.Errorf("ack %q, want it to say an approval is needed, and from whom", ack)
	}
	jobs := env.dispatch.Jobs()
	if len(jobs) != 1 || jobs[0].Approval == nil || jobs[0].Approval.Step != provision.ApprovalRequest ||
		!jobs[0].Approval.ExpiresAt.Equal(fixedNow.Add(time.Hour)) {
		t.Fatalf("jobs %+v, want one approval request expiring in 1h", jobs)
	}
	// The requester is an approver too, but not of their own request.
	if got, want := jobs[0].Approval.Approvers, []string{"<@U0LEAD>", "<@U0LEAD2>"}; !slices.Equal(got, want) {
		t.Errorf("approvers %v, want %v", got, want)
	}
	if strings.Contains(ack, "<@"+requester+">") {
		t.Errorf("ack %q names the requester as an approver", ack)
	}
	op := wantStatus(t, st, state.StatusPendingApproval)
	if op.Requester != requester || op.Kind != "create" || op.Workspace != "billing-ws" || op.GroupID != prodGroupID {
		t.Errorf("record %+v", op)
	}
	if j, err := provision.JobOf(op); err != nil || j.Name != "billing-ws" || j.Approval == nil {
		t.Errorf("the record's Job %+v, %v; want the request as asked", j, err)
	}
}

// A dry run is never held for approval, and is not recorded.
func TestApproval_dryRunNeedsNone(t *testing.T) {
	env, _, st := approvalEnv(t, nil)
	ack := env.ask(t, "create billing-ws --region VIRGINIA_USA --project prod --dry-run")
	if !strings.Contains(ack, "Dry run") || len(env.dispatch.Jobs()) != 0 {
		t.Errorf("ack %q with %d jobs, want the dry run and nothing dispatched", ack, len(env.dispatch.Jobs()))
	}
	if _, err := st.Get(context.Background(), prodTrigger); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("a dry run was recorded: %v", err)
	}
}

func TestApproval_approveRunsOnce(t *testing.T) {
	env, _, st := approvalEnv(t, nil)
	env.ask(t, "create billing-ws --region VIRGINIA_USA --project prod")
	n := len(env.dispatch.Jobs())
	env.click(t, approvalButton(button.StepApprove), approver)
	jobs := env.jobsSince(n)
	if len(jobs) != 1 || jobs[0].Approval == nil || jobs[0].Approval.Step != provision.ApprovalApproved ||
		jobs[0].Approval.By != approver || jobs[0].ID != prodTrigger || jobs[0].Name != "billing-ws" ||
		jobs[0].Slack.UserID != requester {
		t.Fatalf("jobs %+v, want the requester's create, approved by %s", jobs, approver)
	}
	op := wantStatus(t, st, state.StatusApproved)
	if op.DecidedBy != approver {
		t.Errorf("decided by %q", op.DecidedBy)
	}
	// Twice (or a replayed click): decided, nothing more.
	n = len(env.dispatch.Jobs())
	env.click(t, approvalButton(button.StepApprove), approver2)
	wantNotice(t, env.jobsSince(n), "already approved")
}

// An approval clicked before the worker recorded the request as the
// operation's parent records it (the clicked message), so that the
// approved run answers in the request's thread; one the worker recorded
// first stays.
func TestApproval_clickedRequestIsTheParent(t *testing.T) {
	env, _, st := approvalEnv(t, nil)
	env.ask(t, "create billing-ws --region VIRGINIA_USA --project prod")
	env.click(t, approvalButton(button.StepApprove), approver)
	op := wantStatus(t, st, state.StatusApproved)
	if op.ParentChannel != "C0DEV" || op.ParentTS != "1700000000.000001" {
		t.Errorf("parent %s %s, want the clicked request C0DEV 1700000000.000001", op.ParentChannel, op.ParentTS)
	}

	env, _, st = approvalEnv(t, nil)
	env.ask(t, "create billing-ws --region VIRGINIA_USA --project prod")
	if _, err := st.SetParent(context.Background(), prodTrigger, "C0PROD", "1700000000.000099"); err != nil {
		t.Fatal(err)
	}
	env.click(t, approvalButton(button.StepApprove), approver)
	if op := wantStatus(t, st, state.StatusApproved); op.ParentTS != "1700000000.000099" {
		t.Errorf("parent %s, want the worker's 1700000000.000099 kept", op.ParentTS)
	}
}

// Two approvers at once: one approval, one Job that runs.
func TestApproval_concurrentApproversOneRun(t *testing.T) {
	env, _, _ := approvalEnv(t, nil)
	env.ask(t, "create billing-ws --region VIRGINIA_USA --project prod")
	n := len(env.dispatch.Jobs())
	var wg sync.WaitGroup
	for _, u := range []string{approver, approver2, approver, approver2} {
		wg.Add(1)
		go func() { defer wg.Done(); env.click(t, approvalButton(button.StepApprove), u) }()
	}
	wg.Wait()
	runs, notices := 0, 0
	for _, j := range env.jobsSince(n) {
		switch {
		case j.Approval != nil && j.Approval.Step == provision.ApprovalApproved:
			runs++
		case j.Action == provision.ActionNotice:
			notices++
		}
	}
	if runs != 1 || notices != 3 {
		t.Errorf("%d approved Jobs and %d notices, want 1 and 3", runs, notices)
	}
}

func TestApproval_refusals(t *testing.T) {
	tests := []struct {
		name   string
		before func(env *testEnv, c *clock) // what happened first
		v      button.Value
		user   string
		want   []string
		status state.Status
	}{
		{name: "by a non-approver", v: approvalButton(button.StepApprove), user: "U0READER",
			want: []string{"only user:U0LEAD or user:U0LEAD2 may approve create on project prod"}, status: state.StatusPendingApproval},
		{name: "by someone the policy does not know", v: approvalButton(button.StepApprove), user: "U0MALLORY",
			want: []string{"may approve create on project prod"}, status: state.StatusPendingApproval},
		{name: "by the requester, an approver too", v: approvalButton(button.StepApprove), user: requester,
			want: []string{"someone else must approve it: user:U0LEAD or user:U0LEAD2"}, status: state.StatusPendingApproval},
		{name: "reject by a non-approver", v: approvalButton(button.StepReject), user: "U0READER",
			want: []string{"may approve create on project prod"}, status: state.StatusPendingApproval},
		{name: "after expiry", before: func(_ *testEnv, c *clock) { c.Advance(time.Hour) },
			v: approvalButton(button.StepApprove), user: approver, want: []string{"expired"}, status: state.StatusExpired},
		{name: "after rejection", before: func(env *testEnv, _ *clock) {
			env.click(t, approvalButton(button.StepReject), approver2)
		}, v: approvalButton(button.StepApprove), user: approver, want: []string{"already rejected"}, status: state.StatusRejected},
		{name: "after cancellation", before: func(env *testEnv, _ *clock) {
			env.click(t, approvalButton(button.StepReject), requester) // the requester's Cancel
		}, v: approvalButton(button.StepApprove), user: approver, want: []string{"withdrawn"}, status: state.StatusCancelled},
		{name: "a forged value naming another requester", v: func() button.Value {
			v := approvalButton(button.StepApprove)
			v.Requester = "U0SOMEONE"
			return v
		}(), user: requester, want: []string{"someone else must approve"}, status: state.StatusPendingApproval},
		{name: "a forged value naming another project", v: func() button.Value {
			v := approvalButton(button.StepApprove)
			v.GroupID = devGroupID
			return v
		}(), user: approver, want: []string{"another request"}, status: state.StatusPendingApproval},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, c, st := approvalEnv(t, nil)
			env.ask(t, "create billing-ws --region VIRGINIA_USA --project prod")
			if tc.before != nil {
				tc.before(env, c)
			}
			n := len(env.dispatch.Jobs())
			env.click(t, tc.v, tc.user)
			var notices []provision.Job
			for _, j := range env.jobsSince(n) {
				if j.Approval != nil && j.Approval.Step == provision.ApprovalApproved {
					t.Fatalf("an approved Job was dispatched: %+v", j)
				}
				if j.Action == provision.ActionNotice {
					notices = append(notices, j)
				}
			}
			wantNotice(t, notices, tc.want...)
			wantStatus(t, st, tc.status)
		})
	}
}

// Expiry is recorded once and the request re-rendered: the first click
// after it hands the worker an "expired" Job; once the worker has shown
// it (its Announce), a later click hands nothing.
func TestApproval_expiryRecordedOnce(t *testing.T) {
	env, c, st := approvalEnv(t, nil)
	env.ask(t, "create billing-ws --region VIRGINIA_USA --project prod")
	c.Advance(2 * time.Hour)
	n := len(env.dispatch.Jobs())
	env.click(t, approvalButton(button.StepApprove), approver)
	if _, err := st.Transition(context.Background(), prodTrigger, state.Announce(state.StatusExpired, "w1")); err != nil {
		t.Fatalf("the worker's Announce = %v", err)
	}
	env.click(t, approvalButton(button.StepApprove), approver2)
	expired := 0
	for _, j := range env.jobsSince(n) {
		if j.Approval != nil && j.Approval.Step == provision.ApprovalExpired {
			expired++
		}
	}
	if expired != 1 {
		t.Errorf("%d expired Jobs, want 1", expired)
	}
}

// A request the worker's sweep expired (provision.ActionSweepApprovals:
// state.Expire, then the request shown as expired): a late Approve or
// Reject is told it expired, and hands the worker nothing, not even a
// second "expired" Job (the sweep's one noted it).
func TestApproval_clickAfterTheSweep(t *testing.T) {
	env, c, st := approvalEnv(t, nil)
	env.ask(t, "create billing-ws --region VIRGINIA_USA --project prod")
	c.Advance(2 * time.Hour)
	if _, err := st.Transition(context.Background(), prodTrigger, state.Expire()); err != nil {
		t.Fatalf("the sweep's Expire = %v", err)
	}
	if _, err := st.Transition(context.Background(), prodTrigger, state.Announce(state.StatusExpired, "w1")); err != nil {
		t.Fatalf("the sweep's Announce = %v", err)
	}
	for _, step := range []button.Step{button.StepApprove, button.StepReject} {
		n := len(env.dispatch.Jobs())
		env.click(t, approvalButton(step), approver)
		var notices []provision.Job
		for _, j := range env.jobsSince(n) {
			if j.Action != provision.ActionNotice {
				t.Errorf("%s after the sweep dispatched %+v, want only a notice", step, j)
				continue
			}
			notices = append(notices, j)
		}
		wantNotice(t, notices, "This request expired at")
	}
	wantStatus(t, st, state.StatusExpired)
}

// An expiry recorded and never shown (the worker that wrote it died
// before its note, or its answer was lost) is shown by the next click:
// the click hands the worker the expired Job (whose Announce keeps it to
// one note) besides telling the clicker.
func TestApproval_clickShowsAnExpiryNotShownYet(t *testing.T) {
	env, c, st := approvalEnv(t, nil)
	env.ask(t, "create billing-ws --region VIRGINIA_USA --project prod")
	c.Advance(2 * time.Hour)
	if _, err := st.Transition(context.Background(), prodTrigger, state.Expire()); err != nil {
		t.Fatalf("Expire = %v", err)
	}
	n := len(env.dispatch.Jobs())
	env.click(t, approvalButton(button.StepApprove), approver)
	var expired int
	for _, j := range env.jobsSince(n) {
		if j.Approval != nil && j.Approval.Step == provision.ApprovalExpired {
			expired++
		}
	}
	if expired != 1 {
		t.Errorf("%d expired Jobs handed over, want 1", expired)
	}
	wantNotice(t, env.noticesSince(n), "This request expired at")
}

func TestApproval_rejectAndCancel(t *testing.T) {
	for _, tc := range []struct {
		user string
		step string
		want state.Status
	}{
		{approver, provision.ApprovalRejected, state.StatusRejected},
		{requester, provision.ApprovalCancelled, state.StatusCancelled},
	} {
		env, _, st := approvalEnv(t, nil)
		env.ask(t, "create billing-ws --region VIRGINIA_USA --project prod")
		n := len(env.dispatch.Jobs())
		env.click(t, approvalButton(button.StepReject), tc.user)
		jobs := env.jobsSince(n)
		if len(jobs) != 1 || jobs[0].Approval == nil || jobs[0].Approval.Step != tc.step || jobs[0].Approval.By != tc.user {
			t.Errorf("reject by %s: jobs %+v, want one %s Job", tc.user, jobs, tc.step)
		}
		wantStatus(t, st, tc.want)
	}
}

// A slash command replayed (same trigger_id) is "already handled" and
// dispatches nothing; so is a replayed click that starts an operation.
func TestReplayedRequestIsAlreadyHandled(t *testing.T) {
	env, _, _ := approvalEnv(t, nil)
	form := slashForm("create orders-ws --region VIRGINIA_USA", "trigger_id", "replay.1")
	if a := decodeAck(t, env.serve(signedRequest(form, testSecret, time.Now()))); !strings.Contains(a.Text, "Working on it") {
		t.Fatalf("first ack %q", a.Text)
	}
	a := decodeAck(t, env.serve(signedRequest(form, testSecret, time.Now())))
	if !strings.Contains(a.Text, "already handled") || len(env.dispatch.Jobs()) != 1 {
		t.Errorf("replay ack %q with %d Jobs, want \"already handled\" and one Job", a.Text, len(env.dispatch.Jobs()))
	}
	// Reads are not recorded: the same trigger_id on a list runs again.
	for range 2 {
		env.serve(signedRequest(slashForm("list", "trigger_id", "replay.2"), testSecret, time.Now()))
	}
	if n := len(env.dispatch.Jobs()); n != 3 {
		t.Errorf("%d Jobs, want 3 (reads need no record)", n)
	}

	// Delete… on a describe, clicked, then the same click replayed.
	ask := button.Value{Op: command.Delete, Step: button.StepAsk, GroupID: devGroupID, Workspace: "orders-ws",
		Requester: "U0CREATOR", OpID: "op-9", IssuedAt: fixedNow}
	body := ClickBody(clickOn(ask, "U0CREATOR"))
	env.post(t, "/slack/interactions", body, time.Now())
	n := len(env.dispatch.Jobs())
	env.post(t, "/slack/interactions", body, time.Now())
	wantNotice(t, env.jobsSince(n), "already handled")
}

// A state table that is missing (moto_server without the table) or
// throttled (a fake answering DynamoDB's throttling error to the real
// SDK): the caller is told, and nothing is handed to the worker.
func TestStateTableUnavailable(t *testing.T) {
	missing := func(t *testing.T) state.Store {
		cfg := motoserver.Config(t.Context(), motoserver.Start(t))
		return state.NewDynamo(state.NewDynamoClient(cfg, ""), "no-such-table")
	}
	throttled := func(t *testing.T) state.Store { return statetest.Throttled(t) }
	for name, mk := range map[string]func(*testing.T) state.Store{"missing": missing, "throttled": throttled} {
		t.Run(name, func(t *testing.T) {
			env, _, _ := approvalEnv(t, mk(t))
			a := decodeAck(t, env.serve(signedRequest(slashForm("create orders-ws --region VIRGINIA_USA"), testSecret, time.Now())))
			if !strings.Contains(a.Text, "state table is unavailable") || len(env.dispatch.Jobs()) != 0 {
				t.Errorf("ack %q with %d Jobs, want the table's problem and nothing dispatched", a.Text, len(env.dispatch.Jobs()))
			}
			// An approval click cannot be recorded either: nothing runs.
			env.click(t, approvalButton(button.StepApprove), approver)
			wantNotice(t, env.dispatch.Jobs(), "state table is unavailable")
		})
	}
}

// Where no approval can be asked, nothing is recorded or handed over: the
// policy names only the requester as an approver, or the command was
// typed in a direct message, where no approver would see the request.
func TestApproval_nobodyCouldApprove(t *testing.T) {
	t.Run("only the requester approves", func(t *testing.T) {
		env := &testEnv{secrets: newFakeSecrets(testSecret), dispatch: &fakeDispatcher{}, logs: &testtools.Buffer{}}
		st := state.NewMemory()
		h, err := New(Config{Secrets: env.secrets, Policy: loadPolicy(t, strings.Replace(approvalPolicy,
			"[user:U0PRODDEV, user:U0LEAD, user:U0LEAD2]", "[user:U0PRODDEV]", 1)+"\n"), Dispatcher: env.dispatch, State: st})
		if err != nil {
			t.Fatal(err)
		}
		env.h = h
		ack := env.ask(t, "create billing-ws --region VIRGINIA_USA --project prod")
		if !strings.Contains(ack, "names only you as its approver") || len(env.dispatch.Jobs()) != 0 {
			t.Errorf("ack %q with %d Jobs, want a refusal and nothing handed over", ack, len(env.dispatch.Jobs()))
		}
		if _, err := st.Get(t.Context(), prodTrigger); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("the refused request was recorded: %v", err)
		}
	})
	t.Run("in a direct message", func(t *testing.T) {
		env, _, _ := approvalEnv(t, nil)
		w := env.serve(signedRequest(slashForm("create billing-ws --region VIRGINIA_USA --project prod",
			"user_id", requester, "trigger_id", prodTrigger, "channel_id", "D0DIRECT"), testSecret, time.Now()))
		ack := decodeAck(t, w).Text
		if !strings.Contains(ack, "direct message") || !strings.Contains(ack, "<@U0LEAD>") || len(env.dispatch.Jobs()) != 0 {
			t.Errorf("ack %q with %d Jobs, want a refusal naming the approvers and nothing handed over", ack, len(env.dispatch.Jobs()))
		}
	})
}

// An approved hand-off that hangs until the ack budget ends is taken back
// as well: the hand-off stops early enough for the take-back to be
// written within the budget (it once got the budget's whole rest, and the
// take-back an expired context: the request stayed "approved" with no Job
// run, and every later Approve was told it had run).
func TestApproval_hangingHandoffTakesTheApprovalBack(t *testing.T) {
	c := &clock{t: fixedNow}
	st := state.NewMemory(state.WithClock(c.Now))
	env := &testEnv{secrets: newFakeSecrets(testSecret), dispatch: &fakeDispatcher{}, logs: &testtools.Buffer{}}
	h, err := New(Config{Secrets: env.secrets, Policy: loadPolicy(t, approvalPolicy+"\n"), Dispatcher: env.dispatch,
		Now: c.Now, State: st, Logger: slog.New(slog.NewJSONHandler(env.logs, nil)), AckBudget: 700 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	env.h = h
	env.ask(t, "create billing-ws --region VIRGINIA_USA --project prod")
	hang := hangingDispatch("the approved hand-off")
	env.dispatch.dispatchFn = func(ctx context.Context, j provision.Job) error {
		if j.Approval == nil || j.Approval.Step != provision.ApprovalApproved {
			return nil
		}
		return hang(ctx, j)
	}
	n := len(env.dispatch.Jobs())
	env.click(t, approvalButton(button.StepApprove), approver)
	wantNotice(t, env.noticesSince(n), "nothing ran", "Approve again")
	wantStatus(t, st, state.StatusPendingApproval)
}

// An approval whose Job cannot be handed to the worker is taken back: the
// request waits again, the approver is told, and a later click approves
// it and runs it once.
func TestApproval_handoffFailureTakesTheApprovalBack(t *testing.T) {
	env, _, st := approvalEnv(t, nil)
	env.ask(t, "create billing-ws --region VIRGINIA_USA --project prod")
	var fail sync.Once
	env.dispatch.dispatchFn = func(_ context.Context, j provision.Job) error {
		var err error
		if j.Approval != nil && j.Approval.Step == provision.ApprovalApproved {
			fail.Do(func() { err = errors.New("lambda: TooManyRequestsException") })
		}
		return err
	}
	n := len(env.dispatch.Jobs())
	env.click(t, approvalButton(button.StepApprove), approver)
	wantNotice(t, env.noticesSince(n), "nothing ran", "Approve again")
	wantStatus(t, st, state.StatusPendingApproval)

	n = len(env.dispatch.Jobs())
	env.click(t, approvalButton(button.StepApprove), approver2)
	jobs := env.jobsSince(n)
	if len(jobs) != 1 || jobs[0].Approval == nil || jobs[0].Approval.Step != provision.ApprovalApproved || jobs[0].Approval.By != approver2 {
		t.Fatalf("jobs %+v, want the approved Job by %s", jobs, approver2)
	}
	wantStatus(t, st, state.StatusApproved)
}
