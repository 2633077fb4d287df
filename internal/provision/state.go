package provision

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"time"

	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/pkg/atlas"
)

// The worker's use of the state table (internal/state), in the order of a
// Job:
//
//   - Claim: a Job that carries out a change (an operation declared with
//     Approval, i.e. one that changes something; for a Confirm operation
//     only its confirming click) claims its operation before anything
//     else, with an owner token unique to this attempt and a lease until
//     the invocation's deadline. A lost claim is a duplicate delivery (or
//     an answered operation): the Job ends silently, or, for a click, with
//     "already decided". A Job whose operation has no record (sent to the
//     worker directly) records it first.
//   - SetParent: the claimant posts the parent message only when the
//     claimed item has none, and records it; a retried attempt (the
//     previous one died, its lease passed) finishes that parent.
//   - Finish: the outcome, for history; the claim is released.
//
// A state table that cannot be written is answered "nothing was done":
// an operation whose once-only record cannot be written does not run.

// NewOperation returns the state table's record of j as the Slack edge
// begins it (status queued; the edge sets pending_approval and ExpiresAt
// for an approval): who, what, where, and the Job itself, so that an
// approved request runs exactly as it was asked.
func NewOperation(j Job) (state.Operation, error) {
	req, err := json.Marshal(j)
	if err != nil {
		return state.Operation{}, err
	}
	op := state.Operation{
		ID: j.ID, Kind: string(j.action()), GroupID: j.GroupID, ProjectAlias: j.ProjectAlias,
		Workspace: j.Name, Processor: j.Processor, Status: state.StatusQueued, Request: req,
	}
	if j.Slack != nil {
		op.Requester, op.TeamID, op.ChannelID = j.Slack.UserID, j.Slack.TeamID, j.Slack.ChannelID
	}
	return op, nil
}

// JobOf returns the Job an operation's record was begun with.
func JobOf(op *state.Operation) (Job, error) {
	var j Job
	if err := json.Unmarshal(op.Request, &j); err != nil {
		return Job{}, err
	}
	return j, nil
}

// executesChange reports whether the Job carries out a change that must happen
// once: read from the operation's declaration, so that every operation
// declared with Approval gets the claim without code of its own.
func (r *run) executesChange() bool {
	op := command.Lookup(command.Name(r.job.action()))
	if op == nil || !op.Approval {
		return false
	}
	return !op.Confirm || r.job.Click != nil // a Confirm operation's first Job only asks
}

// stateID is the operation the Job belongs to: a click's confirmation
// names it, any other Job is it.
func (r *run) stateID() string {
	if r.job.Click != nil {
		return r.job.Click.OpID
	}
	return r.job.ID
}

// unrecorded answers a Job whose record could not be written or read.
func (r *run) unrecorded(ctx context.Context, s *session, err error) (*Result, error) {
	r.problem = err
	r.w.log.ErrorContext(ctx, "state table unavailable", "job_id", r.job.ID, "error", err.Error())
	return r.answer(ctx, s, OutcomeUnrecorded, reply.Notice(
		"The bot's state table is unavailable, so it cannot make sure this runs only once, and it did nothing (nothing was sent to Atlas). Please try again in a minute."))
}

// claim takes the Job's operation for this attempt. ok is false when the
// Job must end here with res, err (a duplicate, or the table failed).
func (r *run) claim(ctx context.Context, s *session) (ok bool, res *Result, err error) {
	st := r.w.d.State
	owner := rand.Text()
	// The table's calls stop where Atlas work would: a hanging table
	// leaves the reserve to the answer, as a hanging Atlas does.
	tctx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	op, err := st.Transition(tctx, r.stateID(), state.Claim(owner, r.hard))
	if errors.Is(err, state.ErrNotFound) && r.job.Approval == nil {
		// Handed to the worker directly (an event, another automation):
		// record it here; a concurrent copy of the Job loses one of the
		// two conditional writes.
		rec, nerr := NewOperation(r.job)
		if nerr == nil && r.job.Click != nil {
			rec.ID = r.job.Click.OpID
		}
		if nerr != nil {
			err = nerr
		} else if _, berr := st.Begin(tctx, rec); berr != nil && !errors.Is(berr, state.ErrExists) {
			err = berr
		} else {
			op, err = st.Transition(tctx, r.stateID(), state.Claim(owner, r.hard))
		}
	}
	var ce *state.ConflictError
	switch {
	case errors.As(err, &ce):
		if r.job.Click != nil && r.job.Approval == nil {
			res, err := r.answer(ctx, s, OutcomeAlreadyDecided, reply.Notice("This was already decided (someone clicked before you, or your click arrived twice); nothing more was done."))
			return false, res, err
		}
		r.w.log.InfoContext(ctx, "job is a duplicate", "job_id", r.job.ID, "op_id", r.stateID(), "refusal", string(ce.Refusal))
		s.res.Outcome = OutcomeDuplicate
		return false, s.res, nil
	case err != nil:
		res, err := r.unrecorded(ctx, s, err)
		return false, res, err
	}
	if op != nil && (op.Kind != string(r.job.action()) || op.GroupID != r.job.GroupID ||
		op.Workspace != r.job.Name || op.Processor != r.job.Processor) {
		// The Job names another operation's ID than its own (it was not
		// written by the edge, whose clicks carry the ID of the request
		// they confirm): give the claim back, untouched, and do nothing.
		if _, rerr := st.Transition(tctx, r.stateID(), state.Release(owner)); rerr != nil {
			r.w.log.WarnContext(ctx, "claim not released", "job_id", r.job.ID, "op_id", r.stateID(), "error", rerr.Error())
		}
		r.w.log.WarnContext(ctx, "job names another operation", "job_id", r.job.ID, "op_id", r.stateID(), "kind", op.Kind)
		res, err := r.answer(ctx, s, OutcomeFailed, reply.Notice("This does not match the request it names, so nothing was done."))
		return false, res, err
	}
	r.owner, r.record = owner, op
	return true, nil, nil
}

// finish records the outcome of a claimed operation. The answer is out
// already: a failure is logged (the item stays running until its lease
// passes and shows as such in history).
func (r *run) finish(ctx context.Context, res *Result, err error) {
	if r.owner == "" || r.aborted {
		return
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	if err != nil {
		// Nothing reached Slack: Handle hands the Job to Lambda's retry,
		// which must be able to claim it at once and answer (a create
		// finds its workspace by name). Recording an end here would make
		// that retry a silent duplicate; if the release fails, the retry
		// takes over when the lease lapses.
		if _, rerr := r.w.d.State.Transition(fctx, r.stateID(), state.Release(r.owner)); rerr != nil {
			r.w.log.WarnContext(ctx, "claim not released", "job_id", r.job.ID, "op_id", r.stateID(), "error", rerr.Error())
		}
		return
	}
	to, outcome := state.StatusDone, OutcomeFailed
	if res != nil {
		outcome = res.Outcome
	}
	switch outcome {
	case OutcomeFailed, OutcomeDenied, OutcomeUnrecorded, "":
		to = state.StatusFailed
	case OutcomeCancelled:
		to = state.StatusCancelled
	case OutcomeExpired: // a confirmation clicked too late (ClickExpired)
		to = state.StatusExpired
	}
	text := string(outcome)
	var ae *atlas.APIError
	if errors.As(r.problem, &ae) && ae.ErrorCode != "" {
		text += ": " + ae.ErrorCode
	}
	if _, ferr := r.w.d.State.Transition(fctx, r.stateID(), state.Finish(r.owner, to, text)); ferr != nil {
		r.w.log.WarnContext(ctx, "outcome not recorded", "job_id", r.job.ID, "op_id", r.stateID(), "error", ferr.Error())
	}
	if r.record != nil {
		r.record.Status, r.record.Outcome = to, text
	}
}

// startThread posts the parent message once: an attempt that finds one
// recorded (its predecessor died after posting it, or it is the approval
// request) answers under that one. A new parent is recorded with
// SetParent before Atlas is called.
func (r *run) startThread(ctx context.Context, s *session, parent reply.Message) (*reply.Thread, error) {
	if rec := r.record; rec != nil && rec.ParentTS != "" {
		t := s.target
		t.ChannelID = rec.ParentChannel
		return s.poster.Resume(t, rec.ParentTS), nil
	}
	th := s.poster.Start(ctx, s.target, parent)
	if th.ParentErr != nil {
		r.w.log.WarnContext(ctx, "parent message not posted", "job_id", r.job.ID, "error", th.ParentErr.Error())
	}
	if ts := th.TS(); ts != "" && r.record != nil {
		op, err := r.w.d.State.SetParent(ctx, r.stateID(), s.target.ChannelID, ts)
		if err != nil {
			r.w.log.WarnContext(ctx, "parent message not recorded", "job_id", r.job.ID, "error", err.Error())
		} else {
			r.record = op
		}
	}
	if h := r.w.d.AfterParent; h != nil {
		if err := h(ctx, r.job); err != nil {
			r.aborted = true
			return th, err
		}
	}
	return th, nil
}

// recordParent records a message the Job posted (a confirmation) as its
// operation's parent, for history's link; a failure is logged.
func (r *run) recordParent(ctx context.Context, channel, ts string) {
	if _, err := r.w.d.State.SetParent(ctx, r.job.ID, channel, ts); err != nil && !errors.Is(err, state.ErrNotFound) {
		r.w.log.WarnContext(ctx, "parent message not recorded", "job_id", r.job.ID, "error", err.Error())
	}
}

// history answers `/stream history [WORKSPACE]` from the state table.
func (r *run) history(ctx context.Context, s *session) (*Result, error) {
	// The read stops where Atlas work would (the reserve is the answer's).
	hctx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	ops, err := r.w.d.State.History(hctx, r.job.GroupID, r.job.Name, state.DefaultHistory)
	if err != nil {
		// AWS's error text names the table's ARN, the account and the
		// role (issue 14 item 5): the log has it, the channel does not.
		r.problem = err
		return r.answer(ctx, s, OutcomeFailed, reply.Notice(
			"The bot could not read its state table, so it cannot show the history now. Please try again in a minute; if it persists, an operator will find the details in the worker's log under job ID "+r.job.ID+"."))
	}
	es := make([]reply.HistoryEntry, len(ops))
	now := r.w.d.Now()
	for i, op := range ops {
		e := reply.HistoryEntry{When: op.CreatedAt, Who: op.Requester, Op: op.Kind, Target: op.Workspace,
			Status: string(op.Status), Outcome: op.Outcome, Link: reply.Permalink(op.ParentChannel, op.ParentTS)}
		if op.Expired(now) {
			// Until the sweep (every 15 minutes) or a click records the
			// lapse of a request nobody decided, it is expired all the same.
			e.Status = string(state.StatusExpired)
		}
		if op.Processor != "" {
			e.Target += "/" + op.Processor
		}
		switch op.Status {
		case state.StatusApproved, state.StatusRunning, state.StatusDone, state.StatusFailed:
			e.ApprovedBy = op.DecidedBy // set only by an approval on these
		case state.StatusRejected, state.StatusCancelled:
			if op.DecidedBy != "" { // a cancelled confirmation has no decider recorded
				e.Outcome = "by " + op.DecidedBy
			}
		}
		es[i] = e
	}
	return r.answer(ctx, s, OutcomeHistory, reply.History(r.project(), r.job.Name, es))
}
