package provision_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// sweepJob is the Job the schedule sends (infra/template.yaml's Input).
var sweepJob = provision.Job{Action: provision.ActionSweepApprovals}

// sweep runs one sweep on w with a 30 s deadline.
func sweep(t *testing.T, w *provision.Worker) *provision.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := w.Handle(ctx, sweepJob)
	if err != nil || res == nil || res.Outcome != provision.OutcomeSwept {
		t.Fatalf("Handle(sweep) = %+v, %v; want swept", res, err)
	}
	return res
}

// noAtlas fails the test if the worker talked to Atlas at all: a sweep
// never runs an operation.
func noAtlas(t *testing.T, e *env) {
	t.Helper()
	for _, op := range []atlastest.Op{atlastest.OpToken, atlastest.OpCreateStream, atlastest.OpDeleteStream} {
		if n := e.atlas.Calls(op); n != 0 {
			t.Errorf("%d Atlas %s calls, want none", n, op)
		}
	}
}

// expiryNotes returns the thread replies under ts that note the expiry.
func expiryNotes(e *env, ts string) []slackrec.Call {
	var out []slackrec.Call
	for _, c := range e.slack.Delivered(slackrec.PostMessage) {
		if c.ThreadTS == ts && c.Text == "⌛ Nobody approved this in time; nothing was done." {
			out = append(out, c)
		}
	}
	return out
}

// A request nobody decided is expired by the first sweep after its time:
// the record says expired, the request loses its buttons and says so, its
// thread has the note once. A second sweep finds nothing; a click after
// it is refused as expired (the edge's decision, by the record).
func TestSweep_expiresALapsedRequestOnce(t *testing.T) {
	e, st, j := approvalSetup(t)
	if res, err := e.handle(j); err != nil || res.Outcome != provision.OutcomeAwaitingApproval {
		t.Fatalf("Handle(request) = %+v, %v", res, err)
	}
	posts, _ := e.parents()
	req := posts[0]
	before := len(e.slack.Calls())

	// Before its time: nothing.
	if res := sweep(t, e.w); res.Expired != 0 {
		t.Errorf("sweep in time expired %d, want 0", res.Expired)
	}
	if n := len(e.slack.Calls()); n != before {
		t.Errorf("a sweep that found nothing made %d Slack calls", n-before)
	}

	_ = e.clock.Sleep(t.Context(), time.Hour)
	if res := sweep(t, e.w); res.Expired != 1 {
		t.Errorf("sweep after the expiry expired %d, want 1", res.Expired)
	}
	op, err := st.Get(t.Context(), j.ID)
	if err != nil || op.Status != state.StatusExpired || op.Owner == "" {
		t.Fatalf("record %+v, %v; want expired, its note taken", op, err)
	}
	_, updates := e.parents()
	if len(updates) != 1 || updates[0].TS != req.TS || updates[0].Channel != req.Channel {
		t.Fatalf("updates %+v, want the request %s re-rendered", updates, req.TS)
	}
	contains(t, updates[0], "Expired at", "without an approval; nothing was done")
	if bs, _ := buttons(t, updates[0]); len(bs) != 0 {
		t.Errorf("the expired request still has buttons: %+v", bs)
	}
	if n := len(expiryNotes(e, req.TS)); n != 1 {
		t.Errorf("%d expiry notes in the thread, want 1", n)
	}

	after := len(e.slack.Calls())
	if res := sweep(t, e.w); res.Expired != 0 {
		t.Errorf("second sweep expired %d, want 0", res.Expired)
	}
	if n := len(e.slack.Calls()); n != after {
		t.Errorf("the second sweep made %d Slack calls, want none", n-after)
	}
	// A late click: the edge's Approve finds the request expired.
	_, err = st.Transition(t.Context(), j.ID, state.Approve("U0LEAD"))
	var ce *state.ConflictError
	if !errors.As(err, &ce) || ce.Current.Status != state.StatusExpired {
		t.Errorf("Approve after the sweep = %v, want a conflict with the record expired", err)
	}
	noAtlas(t, e)
}

// Only the lapsed request is expired; one still in time keeps its buttons
// and waits, and is approved later as usual. Decided ones (approved and
// not yet run) are no sweep's business.
func TestSweep_leavesRequestsInTimeAlone(t *testing.T) {
	e, st, early := approvalSetup(t)
	late := early
	late.ID = "late.trigger"
	late.Approval = &provision.ApprovalStep{Step: provision.ApprovalRequest, Approvers: early.Approval.Approvers,
		ExpiresAt: early.Approval.ExpiresAt.Add(time.Hour)}
	approved := early
	approved.ID = "approved.trigger"
	for _, j := range []provision.Job{late, approved} {
		beginPending(t, st, j)
	}
	for _, j := range []provision.Job{early, late, approved} {
		if res, err := e.handle(j); err != nil || res.Outcome != provision.OutcomeAwaitingApproval {
			t.Fatalf("Handle(request %s) = %+v, %v", j.ID, res, err)
		}
	}
	if _, err := st.Transition(t.Context(), approved.ID, state.Approve("U0LEAD")); err != nil {
		t.Fatal(err)
	}
	_ = e.clock.Sleep(t.Context(), time.Hour)
	if res := sweep(t, e.w); res.Expired != 1 {
		t.Errorf("sweep expired %d, want only the lapsed one", res.Expired)
	}
	for id, want := range map[string]state.Status{early.ID: state.StatusExpired, late.ID: state.StatusPendingApproval,
		approved.ID: state.StatusApproved} {
		if op, err := st.Get(t.Context(), id); err != nil || op.Status != want {
			t.Errorf("%s: %+v, %v; want %s", id, op, err, want)
		}
	}
	posts, updates := e.parents()
	if len(updates) != 1 || updates[0].TS != posts[0].TS {
		t.Errorf("updates %+v, want only the lapsed request's (%s)", updates, posts[0].TS)
	}
	noAtlas(t, e)

	// The one in time is approved as usual afterwards, and runs once.
	if _, err := st.Transition(t.Context(), late.ID, state.Approve("U0LEAD")); err != nil {
		t.Fatalf("Approve(the request in time) = %v", err)
	}
	if res, err := e.handle(decided(t, st, late.ID, provision.ApprovalApproved, "U0LEAD")); err != nil || res.Outcome != provision.OutcomeCreated {
		t.Errorf("Handle(approved) = %+v, %v; want created", res, err)
	}
}

// Two worker containers sweeping at once over one table (moto's DynamoDB,
// the index from the template): the request is expired once and its
// thread gets one note.
func TestSweep_twoAtOnceOneNote(t *testing.T) {
	e, other, st := twoContainers(t)
	j := e.job()
	j.Approval = &provision.ApprovalStep{Step: provision.ApprovalRequest, Approvers: []string{"<@U0LEAD>"},
		ExpiresAt: e.clock.Now().Add(time.Hour).UTC()}
	beginPending(t, st, j)
	if res, err := e.handle(j); err != nil || res.Outcome != provision.OutcomeAwaitingApproval {
		t.Fatalf("Handle(request) = %+v, %v", res, err)
	}
	posts, _ := e.parents()
	_ = e.clock.Sleep(t.Context(), time.Hour)

	var wg sync.WaitGroup
	expired := make([]int, 2)
	for i, w := range []*provision.Worker{e.w, other} {
		wg.Go(func() { expired[i] = sweep(t, w).Expired })
	}
	wg.Wait()
	if expired[0]+expired[1] != 1 {
		t.Errorf("sweeps expired %v, want 1 in all", expired)
	}
	if n := len(expiryNotes(e, posts[0].TS)); n != 1 {
		t.Errorf("%d expiry notes, want 1", n)
	}
	if op, err := st.Get(t.Context(), j.ID); err != nil || op.Status != state.StatusExpired {
		t.Errorf("record %+v, %v; want expired", op, err)
	}
	// And the index has let it go: the next sweep finds nothing.
	if res := sweep(t, e.w); res.Expired != 0 {
		t.Errorf("a later sweep expired %d, want 0", res.Expired)
	}
	noAtlas(t, e)
}

// A lapsed record whose stored Job has no Slack target (nothing to show
// it on) is expired and nothing else: such a Job handed to the worker
// would be a direct create.
func TestSweep_neverRunsTheOperation(t *testing.T) {
	e, st, _ := approvalSetup(t)
	direct := e.job(func(j *provision.Job) { j.ID, j.Slack = "direct.1", nil })
	req, err := json.Marshal(direct)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Begin(t.Context(), state.Operation{ID: direct.ID, Kind: "create", Requester: "U012ABCDEF",
		GroupID: groupID, Workspace: "orders-ws", Status: state.StatusPendingApproval,
		ExpiresAt: e.clock.Now().Add(time.Minute), Request: req}); err != nil {
		t.Fatal(err)
	}
	_ = e.clock.Sleep(t.Context(), time.Hour)
	// Both lapsed: the one from approvalSetup (its request never posted:
	// no message to update) and the direct one.
	if res := sweep(t, e.w); res.Expired != 2 {
		t.Errorf("sweep expired %d, want 2", res.Expired)
	}
	if op, err := st.Get(t.Context(), direct.ID); err != nil || op.Status != state.StatusExpired {
		t.Errorf("record %+v, %v; want expired", op, err)
	}
	if calls := e.slack.Calls(); len(calls) != 0 {
		t.Errorf("Slack calls %+v, want none (no request was posted)", calls)
	}
	// With nothing to show them on, they leave the sweep's listing: the
	// next sweep does not take them up again.
	if ops, err := st.ExpiredApprovals(t.Context(), 0); err != nil || len(ops) != 0 {
		t.Errorf("listed after the sweep: %+v, %v; want none", ops, err)
	}
	noAtlas(t, e)
}

// lostExpire is a store whose Expire is written but answered with a time-out,
// as a write whose answer was lost.
type lostExpire struct {
	state.Store
	lost atomic.Int32
}

func (s *lostExpire) Transition(ctx context.Context, id string, t state.Transition) (*state.Operation, error) {
	op, err := s.Store.Transition(ctx, id, t)
	if err == nil && t.To == state.StatusExpired && !t.IfUnowned && s.lost.Add(1) == 1 {
		return nil, context.DeadlineExceeded
	}
	return op, err
}

// An expiry written whose answer was lost (or whose worker died before it
// showed it) is shown by the next sweep, once: it stays listed until its
// note is claimed.
func TestSweep_showsAnExpiryRecordedBefore(t *testing.T) {
	st := &lostExpire{Store: state.NewMemory()}
	e := newEnv(t, withStore(st))
	st.Store = state.NewMemory(state.WithClock(e.clock.Now))
	j := e.job()
	j.Approval = &provision.ApprovalStep{Step: provision.ApprovalRequest, Approvers: []string{"<@U0LEAD>"},
		ExpiresAt: e.clock.Now().Add(time.Hour).UTC()}
	beginPending(t, st, j)
	if res, err := e.handle(j); err != nil || res.Outcome != provision.OutcomeAwaitingApproval {
		t.Fatalf("Handle(request) = %+v, %v", res, err)
	}
	posts, _ := e.parents()
	_ = e.clock.Sleep(t.Context(), 2*time.Hour)
	sweep(t, e.w) // writes the expiry, loses the answer, shows nothing
	if op, err := st.Get(t.Context(), j.ID); err != nil || op.Status != state.StatusExpired || op.Owner != "" {
		t.Fatalf("after the first sweep: %+v, %v; want expired, not announced", op, err)
	}
	if n := len(expiryNotes(e, posts[0].TS)); n != 0 {
		t.Fatalf("%d notes after the lost write, want 0", n)
	}
	sweep(t, e.w)
	if n := len(expiryNotes(e, posts[0].TS)); n != 1 {
		t.Errorf("%d expiry notes after the next sweep, want 1", n)
	}
	if _, updates := e.parents(); len(updates) != 1 {
		t.Errorf("%d updates of the request, want 1", len(updates))
	}
	sweep(t, e.w)
	if n := len(expiryNotes(e, posts[0].TS)); n != 1 {
		t.Errorf("%d expiry notes after a third sweep, want still 1", n)
	}
}

// A table that cannot be read fails the sweep (Lambda retries it, then
// the failure queue holds it): nothing else happens.
func TestSweep_tableUnavailable(t *testing.T) {
	e := newEnv(t, withStore(failingStore{state.NewMemory()}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := e.w.Handle(ctx, sweepJob)
	if !errors.Is(err, state.ErrUnavailable) || res == nil || res.Expired != 0 {
		t.Errorf("Handle(sweep) = %+v, %v; want an unavailable table's error", res, err)
	}
	if calls := e.slack.Calls(); len(calls) != 0 {
		t.Errorf("Slack calls %+v, want none", calls)
	}
}

// failingStore's listing fails as a throttled table does.
type failingStore struct{ state.Store }

func (failingStore) ExpiredApprovals(context.Context, int) ([]state.Operation, error) {
	return nil, &state.UnavailableError{Table: "t", Reason: state.ReasonThrottled, Err: errors.New("throttled")}
}
