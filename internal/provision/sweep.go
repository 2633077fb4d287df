package provision

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/streambot/streambot/internal/state"
)

// ActionSweepApprovals expires the approval requests whose time has passed
// and nobody decided. EventBridge sends it on a schedule
// (infra/template.yaml, ExpireApprovals) as a Job with this action and
// nothing else: no Slack target, no operation.
//
// Without it a request nobody clicked kept its live Approve and Reject
// buttons for good, and stayed pending_approval in the state table until
// a late click found it lapsed. The sweep gives each one what that click
// gives it, through the same steps: the state table's [state.Expire]
// (one conditional write: of two sweeps, or a sweep and a click, one
// records the expiry and the others conflict and do nothing), then the
// stored Job with [ApprovalExpired], handled as the worker handles the one
// the edge hands over after a late click: the request re-rendered without
// buttons as expired, and the once-only note ([state.Announce]) in its
// thread. A sweep never runs an operation: the only Jobs it handles are
// expired steps, which approvalStep answers without going on.
const ActionSweepApprovals Action = "sweep_approvals"

// OutcomeSwept is the outcome of a sweep (Result.Expired says how many it
// expired; zero when it found nothing).
const OutcomeSwept Outcome = "swept"

// sweep serves an [ActionSweepApprovals] Job: one page of lapsed
// approvals (state.MaxExpired), each expired and shown in turn while the
// invocation has time. What is left is the next sweep's. It returns an
// error only when the table could not be read at all, so that Lambda's
// retries and then the failure queue (and its alarm) show a sweep that
// cannot work; a request it could not expire is logged and left for the
// next sweep.
func (r *run) sweep(ctx context.Context) (*Result, error) {
	w := r.w
	res := &Result{JobID: r.job.ID, Outcome: OutcomeSwept}
	// The sweep's work stops where a Job's Atlas work would, as a Job's
	// table calls do: a hanging table or Slack leaves the rest of the
	// invocation to the request being shown and to the log line. (The
	// context, not Deps.Now, keeps that time: deadlines are wall-clock.)
	until, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	ops, err := w.d.State.ExpiredApprovals(until, state.MaxExpired)
	if err != nil {
		r.problem = err
		return res, fmt.Errorf("provision: approval sweep: %w", err)
	}
	for _, op := range ops {
		if until.Err() != nil {
			w.log.WarnContext(ctx, "approval sweep out of time", "left", len(ops)-res.Expired)
			break
		}
		if r.expireOne(ctx, op.ID) {
			res.Expired++
		}
	}
	return res, nil
}

// expireOne records the expiry of operation id, once, and has the
// request show it (also one recorded before and never shown). It reports
// whether this sweep recorded it.
func (r *run) expireOne(ctx context.Context, id string) bool {
	w := r.w
	xctx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	rec, err := w.d.State.Transition(xctx, id, state.Expire())
	cancel()
	var ce *state.ConflictError
	recorded := true
	switch {
	case errors.As(err, &ce) && ce.Current != nil && ce.Current.ExpiryToShow(w.d.Now()):
		// Expired already (by an earlier sweep or a click whose Expire
		// was written but whose showing never happened: a worker that
		// died, an answer lost) and not announced: show it now; the
		// Announce in the expired step keeps it to one note.
		w.log.InfoContext(ctx, "approval expired before, not shown yet", "op_id", id)
		rec, recorded = ce.Current, false
	case errors.Is(err, state.ErrConflict), errors.Is(err, state.ErrNotFound):
		// Decided meanwhile (a click, another sweep), or the index was
		// behind the table: whoever decided it shows it.
		w.log.InfoContext(ctx, "approval already decided", "op_id", id, "error", err.Error())
		return false
	case err != nil:
		// Perhaps written, perhaps not: either way it stays listed (a
		// recorded expiry stays in the index until it is announced), and
		// the next sweep shows it.
		w.log.WarnContext(ctx, "approval not expired", "op_id", id, "error", err.Error())
		return false
	}
	w.log.InfoContext(ctx, "approval expired", "op_id", id, "operation", *rec)
	job, err := JobOf(rec)
	switch {
	case err != nil:
		w.log.WarnContext(ctx, "stored job unreadable", "op_id", id, "error", err.Error())
		r.retire(ctx, id)
		return recorded
	case job.Slack == nil || job.action() == ActionSweepApprovals || rec.ParentTS == "":
		// No request in Slack to show it on (none posted, or nowhere to
		// post). And a Job without a Slack target is a direct create to
		// Handle: it must not get there.
		r.retire(ctx, id)
		return recorded
	}
	// The Job the edge hands over after a late click (its handOver).
	if job.Approval == nil {
		job.Approval = &ApprovalStep{}
	}
	job.Approval.Step, job.Approval.By = ApprovalExpired, ""
	job.RequestedAt = w.d.Now()
	if _, err := w.Handle(ctx, job); err != nil {
		w.log.WarnContext(ctx, "expiry not shown", "op_id", id, "error", err.Error())
	}
	return recorded
}

// retire takes an expiry that has nothing to show it on out of the
// sweep's listing: it claims the expiry's note (state.Announce, as the
// expired step does before it posts), which no one will post.
func (r *run) retire(ctx context.Context, id string) {
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	if _, err := r.w.d.State.Transition(actx, id, state.Announce(state.StatusExpired, rand.Text())); err != nil && !errors.Is(err, state.ErrConflict) {
		r.w.log.WarnContext(ctx, "expiry not retired", "op_id", id, "error", err.Error())
	}
}
