package provision_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// approvalSetup begins j as the edge does for a protected project and
// returns the store; the worker's env uses it.
func approvalSetup(t *testing.T, mods ...func(*provision.Job)) (*env, state.Store, provision.Job) {
	t.Helper()
	return approvalSetupOn(t, nil, mods...)
}

// approvalSetupOn is approvalSetup with the worker's store wrapped by wrap
// (nil: none): the request is begun in the store underneath, which is
// returned.
func approvalSetupOn(t *testing.T, wrap func(state.Store) state.Store, mods ...func(*provision.Job)) (*env, state.Store, provision.Job) {
	t.Helper()
	clk := &lateClock{}
	st := state.NewMemory(state.WithClock(clk.Now))
	var worker state.Store = st
	if wrap != nil {
		worker = wrap(st)
	}
	e := newEnv(t, withStore(worker))
	clk.now = e.clock.Now
	j := e.job(mods...)
	j.Approval = &provision.ApprovalStep{Step: provision.ApprovalRequest, Approvers: []string{"<@U0LEAD>", "<!subteam^S0SRE>"},
		ExpiresAt: e.clock.Now().Add(time.Hour).UTC()}
	beginPending(t, st, j)
	return e, st, j
}

// beginPending records approval request j (its Approval set) as the edge
// does: pending_approval until j.Approval.ExpiresAt.
func beginPending(t *testing.T, st state.Store, j provision.Job) {
	t.Helper()
	rec, err := provision.NewOperation(j)
	if err != nil {
		t.Fatal(err)
	}
	rec.Status, rec.ExpiresAt = state.StatusPendingApproval, j.Approval.ExpiresAt
	if _, err := st.Begin(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
}

// decided returns the stored Job with the decision, as the edge hands it
// over after its state transition.
func decided(t *testing.T, st state.Store, id, step, by string) provision.Job {
	t.Helper()
	op, err := st.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	j, err := provision.JobOf(op)
	if err != nil {
		t.Fatal(err)
	}
	j.Approval.Step, j.Approval.By = step, by
	return j
}

func TestApproval_requestThenApprovedRunsInItsThread(t *testing.T) {
	e, st, j := approvalSetup(t)
	res, err := e.handle(j)
	if err != nil || res.Outcome != provision.OutcomeAwaitingApproval {
		t.Fatalf("Handle(request) = %+v, %v; want awaiting approval", res, err)
	}
	if n := e.atlas.Calls(atlastest.OpCreateStream) + e.atlas.Calls(atlastest.OpToken); n != 0 {
		t.Errorf("%d Atlas calls before the approval, want none", n)
	}
	posts, _ := e.parents()
	if len(posts) != 1 {
		t.Fatalf("%d channel posts, want the request", len(posts))
	}
	req := posts[0]
	contains(t, req, "<@U012ABCDEF> asks for a", "POST /api/atlas/v2/groups/"+groupID+"/streams", `\"name\":\"orders-ws\"`,
		"<@U0LEAD> or <!subteam^S0SRE>", "Waiting for approval")
	bs, _ := buttons(t, req)
	if len(bs) != 2 || bs[0].ActionID != "streambot.approve.create" || bs[1].ActionID != "streambot.reject.create" {
		t.Errorf("buttons %+v, want Approve and Reject", bs)
	}
	note := e.final() // the requester's private note
	if note.Method != slackrec.ResponseURL || note.ResponseType != "ephemeral" {
		t.Errorf("the note went %s %s, want ephemeral", note.Method, note.ResponseType)
	}
	contains(t, note, "waits for an approval", "Cancel my request", "streambot.reject.create")
	op, _ := st.Get(t.Context(), j.ID)
	if op.ParentTS != req.TS || op.ParentChannel != req.Channel {
		t.Errorf("record's parent %s/%s, want the request %s/%s", op.ParentChannel, op.ParentTS, req.Channel, req.TS)
	}
	// The same request Job delivered again posts nothing more.
	if res, _ := e.handle(j); res.Outcome != provision.OutcomeDuplicate {
		t.Errorf("second request Job: %s, want duplicate", res.Outcome)
	}

	if _, err := st.Transition(t.Context(), j.ID, state.Approve("U0LEAD")); err != nil {
		t.Fatal(err)
	}
	approved := decided(t, st, j.ID, provision.ApprovalApproved, "U0LEAD")
	res, err = e.handle(approved)
	if err != nil || res.Outcome != provision.OutcomeCreated {
		t.Fatalf("Handle(approved) = %+v, %v; want created", res, err)
	}
	// And delivered twice: it runs once.
	if res, _ := e.handle(approved); res.Outcome != provision.OutcomeDuplicate {
		t.Errorf("second approved Job: %s, want duplicate", res.Outcome)
	}
	if n := e.atlas.Calls(atlastest.OpCreateStream); n != 1 {
		t.Errorf("%d creates, want 1", n)
	}
	posts, updates := e.parents()
	if len(posts) != 1 {
		t.Errorf("%d channel posts, want only the request (the answer goes in its thread)", len(posts))
	}
	var thread []slackrec.Call
	for _, c := range e.slack.Delivered(slackrec.PostMessage) {
		if c.ThreadTS == req.TS {
			thread = append(thread, c)
		}
	}
	if len(thread) != 2 {
		t.Fatalf("%d thread replies, want the approval and the answer", len(thread))
	}
	contains(t, thread[0], "<@U0LEAD> approved this")
	contains(t, thread[1], "orders-ws", "created")
	last := updates[len(updates)-1]
	contains(t, last, "Approved by <@U0LEAD>; done (created)")
	if bs, _ := buttons(t, last); len(bs) != 0 {
		t.Errorf("the decided request still has buttons: %+v", bs)
	}
	if op, _ := st.Get(t.Context(), j.ID); op.Status != state.StatusDone || op.DecidedBy != "U0LEAD" {
		t.Errorf("record %s by %s, want done, approved by U0LEAD", op.Status, op.DecidedBy)
	}

	// The history shows it: who, what, approved by whom, the outcome, the link.
	h := e.job(func(j *provision.Job) { j.ID, j.Action, j.Name = "hist.1", provision.ActionHistory, "" })
	res, err = e.handle(h)
	if err != nil || res.Outcome != provision.OutcomeHistory {
		t.Fatalf("Handle(history) = %+v, %v", res, err)
	}
	finals := e.finals()
	contains(t, finals[len(finals)-1], `\u003c@U012ABCDEF\u003e`, "create `orders-ws`", `approved by \u003c@U0LEAD\u003e`, "done (created)",
		"https://slack.com/archives/"+req.Channel+"/p"+strings.ReplaceAll(req.TS, ".", ""))
}

func TestApproval_rejectionRecordedInTheThread(t *testing.T) {
	for _, tc := range []struct {
		step string
		tr   state.Transition
		by   string
		want []string
	}{
		{provision.ApprovalRejected, state.Reject("U0LEAD", "rejected"), "U0LEAD", []string{"<@U0LEAD> rejected this"}},
		{provision.ApprovalCancelled, state.Cancel("U012ABCDEF"), "U012ABCDEF", []string{"withdrew this request"}},
	} {
		t.Run(tc.step, func(t *testing.T) {
			e, st, j := approvalSetup(t)
			if _, err := e.handle(j); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Transition(t.Context(), j.ID, tc.tr); err != nil {
				t.Fatal(err)
			}
			res, err := e.handle(decided(t, st, j.ID, tc.step, tc.by))
			if err != nil || res.Route != "thread" {
				t.Fatalf("Handle = %+v, %v", res, err)
			}
			posts, updates := e.parents()
			if len(updates) != 1 || updates[0].TS != posts[0].TS {
				t.Fatalf("updates %+v, want the request re-rendered", updates)
			}
			if bs, _ := buttons(t, updates[0]); len(bs) != 0 {
				t.Errorf("the %s request still has buttons", tc.step)
			}
			contains(t, updates[0], "nothing was done")
			finals := e.finals()
			contains(t, finals[len(finals)-1], tc.want...)
			// Delivered again: the decision is in the thread once.
			if res, err := e.handle(decided(t, st, j.ID, tc.step, tc.by)); err != nil || res.Outcome != provision.OutcomeDuplicate {
				t.Errorf("second copy = %+v, %v; want duplicate", res, err)
			}
			if n := len(e.finals()); n != len(finals) {
				t.Errorf("%d answers after the second copy, want %d", n, len(finals))
			}
			if n := e.atlas.Calls(atlastest.OpCreateStream) + e.atlas.Calls(atlastest.OpToken); n != 0 {
				t.Errorf("%d Atlas calls, want none", n)
			}
		})
	}
}

// An operation with a confirmation (delete) that needed an approval runs
// as its confirmed click once approved: the approval is the confirmation.
func TestApproval_deleteApprovedRunsAsConfirmed(t *testing.T) {
	e, st, j := approvalSetup(t, deleteJob)
	e.seed()
	if _, err := e.handle(j); err != nil {
		t.Fatal(err)
	}
	if n := e.atlas.Calls(atlastest.OpDeleteStream); n != 0 {
		t.Fatalf("%d deletes before the approval", n)
	}
	if _, err := st.Transition(context.Background(), j.ID, state.Approve("U0LEAD")); err != nil {
		t.Fatal(err)
	}
	res, err := e.handle(decided(t, st, j.ID, provision.ApprovalApproved, "U0LEAD"))
	if err != nil || res.Outcome != provision.OutcomeDeleted {
		t.Fatalf("Handle(approved delete) = %+v, %v; want deleted", res, err)
	}
	if n := e.atlas.Calls(atlastest.OpDeleteStream); n != 1 {
		t.Errorf("%d deletes, want 1", n)
	}
	posts, updates := e.parents()
	if len(posts) != 1 {
		t.Fatalf("%d channel posts, want only the request", len(posts))
	}
	contains(t, updates[len(updates)-1], "Approved by <@U0LEAD>; done (deleted)")
	if op, _ := st.Get(t.Context(), j.ID); op.Status != state.StatusDone || op.Outcome != "deleted" {
		t.Errorf("record %s %q, want done, deleted", op.Status, op.Outcome)
	}
}

// staleStore reads every item as if no parent were recorded yet: what a
// second copy of a Job sees when both read before either records one.
type staleStore struct{ state.Store }

func (s staleStore) Get(ctx context.Context, id string) (*state.Operation, error) {
	op, err := s.Store.Get(ctx, id)
	if op != nil {
		op.ParentChannel, op.ParentTS = "", ""
	}
	return op, err
}

// Two copies of the approval-request Job (Lambda delivered it twice) that
// both post the request: the loser of the parent record deletes its copy,
// so one request with buttons is left and the requester gets one note.
func TestApproval_duplicateRequestJobLeavesOneRequest(t *testing.T) {
	e, mem, j := approvalSetupOn(t, func(st state.Store) state.Store { return staleStore{st} })
	first, err := e.handle(j)
	if err != nil || first.Outcome != provision.OutcomeAwaitingApproval {
		t.Fatalf("first copy = %+v, %v; want awaiting approval", first, err)
	}
	second, err := e.handle(j)
	if err != nil || second.Outcome != provision.OutcomeDuplicate {
		t.Fatalf("second copy = %+v, %v; want duplicate", second, err)
	}
	posts, _ := e.parents()
	deleted := e.slack.Delivered(slackrec.Delete)
	if len(posts) != 2 || len(deleted) != 1 || deleted[0].TS != posts[1].TS || deleted[0].Channel != posts[1].Channel {
		t.Fatalf("posts %+v, deleted %+v; want the second copy's request deleted", posts, deleted)
	}
	op, _ := mem.Get(t.Context(), j.ID)
	if op.ParentTS != posts[0].TS {
		t.Errorf("record's parent %s, want the first request %s", op.ParentTS, posts[0].TS)
	}
	if n := len(e.slack.Delivered(slackrec.ResponseURL)); n != 1 {
		t.Errorf("%d private notes, want 1", n)
	}
}

// A request nobody decided shows as expired in the history once its time
// has passed, though no click recorded the lapse.
func TestApproval_lapsedRequestIsExpiredInHistory(t *testing.T) {
	e, _, j := approvalSetup(t)
	if _, err := e.handle(j); err != nil {
		t.Fatal(err)
	}
	hist := func() slackrec.Call {
		t.Helper()
		h := e.job(func(j *provision.Job) {
			j.ID, j.Action, j.Name = "hist."+e.clock.Now().String(), provision.ActionHistory, ""
		})
		if res, err := e.handle(h); err != nil || res.Outcome != provision.OutcomeHistory {
			t.Fatalf("Handle(history) = %+v, %v", res, err)
		}
		finals := e.finals()
		return finals[len(finals)-1]
	}
	contains(t, hist(), "pending_approval")
	_ = e.clock.Sleep(t.Context(), time.Hour)
	got := hist()
	contains(t, got, "create `orders-ws`", "expired")
	if strings.Contains(got.Text+string(got.Blocks), "pending") {
		t.Errorf("history after the expiry still shows it pending: %s", got.Text)
	}
}

// parentFirst is a store on which an approver's click records the request
// as the parent just before the worker does (the edge's requestAsParent):
// the worker's SetParent finds its own message already recorded.
type parentFirst struct{ state.Store }

func (s parentFirst) SetParent(ctx context.Context, id, channel, ts string) (*state.Operation, error) {
	if _, err := s.Store.SetParent(ctx, id, channel, ts); err != nil {
		return nil, err
	}
	return s.Store.SetParent(ctx, id, channel, ts)
}

// An approval clicked before the worker recorded its request as the parent
// (make load found it) leaves the request in place and the requester gets
// the note: the recorded parent is this very message, not a copy's.
func TestApproval_requestRecordedByTheClickFirstIsKept(t *testing.T) {
	e, _, j := approvalSetupOn(t, func(st state.Store) state.Store { return parentFirst{st} })
	res, err := e.handle(j)
	if err != nil || res.Outcome != provision.OutcomeAwaitingApproval {
		t.Fatalf("Handle = %+v, %v; want awaiting approval", res, err)
	}
	if deleted := e.slack.Delivered(slackrec.Delete); len(deleted) != 0 {
		t.Errorf("the request was deleted: %+v", deleted)
	}
	if n := len(e.slack.Delivered(slackrec.ResponseURL)); n != 1 {
		t.Errorf("%d private notes, want 1", n)
	}
}
