package provision

import (
	"context"
	"crypto/rand"
	"errors"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/button"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/state"
)

// Approvals (policy approvals:). The edge decides, the worker speaks:
//
//  1. The edge begins the operation pending_approval and hands over a Job
//     with Approval.Step request. The worker posts the request in the
//     channel (who, what — the Atlas request as --dry-run shows it —,
//     until when, Approve and Reject), records it as the operation's
//     parent and sends the requester a private note with Cancel.
//  2. A click is decided on the edge, once, by the state table
//     (Approve, Reject, Cancel, Expire); the edge hands over the stored
//     Job with the decision. The worker re-renders the request from state,
//     without buttons, and records the decision in its thread.
//  3. An approved Job then runs as an unprotected one would: the claim
//     (approved → running), the operation's own handler, the answer in the
//     request's thread. For an operation with a confirmation the approval
//     is the confirmation: the Job runs as its confirming click.

// previewOf is [Preview], set in init: the approval's rendering is
// reached from the registry's handlers, which Preview reads.
var previewOf func(Job) (string, string, []byte, error)

func init() { previewOf = Preview }

// approval renders the operation's approval request from its record.
func (r *run) approval(rec *state.Operation, buttons bool) reply.Approval {
	a := reply.Approval{Requester: rec.Requester, Op: rec.Kind, Target: rec.Workspace, Project: r.project(),
		ExpiresAt: rec.ExpiresAt, Status: string(rec.Status), DecidedBy: rec.DecidedBy, Outcome: rec.Outcome}
	if rec.Processor != "" {
		a.Target += "/" + rec.Processor
	}
	if r.job.Approval != nil {
		a.Approvers = r.job.Approval.Approvers
	}
	if m, p, body, err := previewOf(r.job); err == nil {
		a.Method, a.Path, a.Body = m, p, body
	}
	if buttons {
		op := command.Name(r.job.action())
		if b, ok := r.button(op, button.StepApprove, r.job.Name, 0, "Approve"); ok {
			b.Style = slack.StylePrimary
			if command.Lookup(op).Confirm {
				b.Confirm = &reply.Confirm{Title: "Approve this " + string(op) + "?",
					Text: "It runs at once, as shown, in project " + reply.Escape(r.project()) + ".", Yes: "Approve", No: "Not yet"}
			}
			a.Approve = &b
		}
		if b, ok := r.button(op, button.StepReject, r.job.Name, 0, "Reject"); ok {
			b.Style = slack.StyleDanger
			a.Reject = &b
		}
	}
	return a
}

// approvalStep serves a Job of an approval's flow (step 1 and 2). For an
// approved Job it records the approval and reports go: the caller then
// runs the operation (step 3).
func (r *run) approvalStep(ctx context.Context, s *session) (res *Result, err error, goOn bool) {
	gctx, cancel := context.WithDeadline(ctx, r.atlasUntil) // a hanging table leaves the reserve
	rec, gerr := r.w.d.State.Get(gctx, r.job.ID)
	cancel()
	if gerr != nil {
		res, err := r.unrecorded(ctx, s, gerr)
		return res, err, false
	}
	switch r.job.Approval.Step {
	case ApprovalRequest:
		res, err := r.requestApproval(ctx, s, rec)
		return res, err, false
	case ApprovalApproved:
		// What runs is what was approved: the Job the record was begun
		// with (the request the approvers saw), whatever this Job says
		// besides its ID and the decision.
		stored, jerr := JobOf(rec)
		if jerr != nil {
			res, err := r.unrecorded(ctx, s, jerr)
			return res, err, false
		}
		stored.Approval = &ApprovalStep{Step: ApprovalApproved, By: r.job.Approval.By,
			Approvers: storedApprovers(stored), ExpiresAt: rec.ExpiresAt}
		stored.RequestedAt = r.job.RequestedAt
		r.job = stored
		if op := command.Lookup(command.Name(r.job.action())); op != nil && op.Confirm {
			r.job.Click = &Click{Step: string(button.StepConfirm), OpID: r.job.ID, Requester: rec.Requester,
				MessageTS: rec.ParentTS, IssuedAt: rec.CreatedAt}
		}
		return nil, nil, true
	}
	// rejected, cancelled, expired: re-render the request, note the
	// decision in its thread — only when the record holds that decision.
	// The edge hands these over after its own transition; a Job that says
	// so of a request still waiting (or already run) is not believed, so
	// that it cannot take the Approve button off a waiting request.
	out, want := OutcomeRejected, state.StatusRejected
	switch r.job.Approval.Step {
	case ApprovalCancelled:
		out, want = OutcomeCancelled, state.StatusCancelled
	case ApprovalExpired:
		out, want = OutcomeExpired, state.StatusExpired
	case ApprovalRejected:
	default:
		r.w.log.WarnContext(ctx, "approval step unknown", "job_id", r.job.ID, "step", r.job.Approval.Step)
		s.res.Outcome = OutcomeFailed
		return s.res, nil, false
	}
	if rec.Status != want {
		r.w.log.WarnContext(ctx, "approval step does not match the record", "job_id", r.job.ID,
			"step", r.job.Approval.Step, "status", string(rec.Status))
		s.res.Outcome = OutcomeDuplicate
		return s.res, nil, false
	}
	s.res.Outcome = out
	if rec.ParentTS == "" || !rec.Status.Final() {
		return s.res, nil, false
	}
	// One note per decision, however often Lambda delivers the Job. A
	// table that cannot be written costs at most a second note. The table
	// call stops at the Atlas cut-off, the Slack steps inside the time kept
	// back for the answer: both end inside the invocation.
	actx, acancel := context.WithDeadline(ctx, r.atlasUntil)
	_, err = r.w.d.State.Transition(actx, r.job.ID, state.Announce(rec.Status, rand.Text()))
	acancel()
	if errors.Is(err, state.ErrConflict) {
		r.w.log.InfoContext(ctx, "job is a duplicate", "job_id", r.job.ID, "status", string(rec.Status))
		s.res.Outcome = OutcomeDuplicate
		return s.res, nil, false
	} else if err != nil {
		r.w.log.WarnContext(ctx, "decision note not claimed", "job_id", r.job.ID, "error", err.Error())
	}
	fctx, fcancel := r.finishing(ctx)
	defer fcancel()
	r.updateApproval(fctx, s, rec)
	if _, err := s.poster.PostMessage(fctx, rec.ParentChannel, rec.ParentTS, reply.ApprovalDecided(string(rec.Status), rec.DecidedBy)); err != nil {
		r.w.log.WarnContext(ctx, "slack delivery problem", "job_id", r.job.ID, "error", err.Error())
	} else {
		s.res.Route = reply.RouteThread
	}
	return s.res, nil, false
}

// storedApprovers are the approvers a stored Job's request named.
func storedApprovers(j Job) []string {
	if j.Approval == nil {
		return nil
	}
	return j.Approval.Approvers
}

// requestApproval posts the approval request (once) and the requester's
// private note.
func (r *run) requestApproval(ctx context.Context, s *session, rec *state.Operation) (*Result, error) {
	if rec.Status != state.StatusPendingApproval || rec.ParentTS != "" {
		r.w.log.InfoContext(ctx, "job is a duplicate", "job_id", r.job.ID, "status", string(rec.Status))
		s.res.Outcome = OutcomeDuplicate
		return s.res, nil
	}
	a := r.approval(rec, true)
	// Bounded by the Atlas cut-off, so that the failure notice below still
	// has the reserve when Slack hangs.
	pctx, pcancel := context.WithDeadline(ctx, r.atlasUntil)
	defer pcancel()
	ts, err := s.poster.PostMessage(pctx, s.target.ChannelID, "", reply.ApprovalMessage(a))
	if err != nil {
		r.problem = err
		return r.answer(ctx, s, OutcomeFailed, reply.Notice(
			"The bot could not post the approval request in this channel ("+err.Error()+"), so nobody can approve it and nothing will run. Invite the bot to the channel and ask again."))
	}
	_, err = r.w.d.State.SetParent(ctx, r.job.ID, s.target.ChannelID, ts)
	if ce, ok := errors.AsType[*state.ConflictError](err); ok && ce.Current != nil &&
		ce.Current.ParentChannel == s.target.ChannelID && ce.Current.ParentTS == ts {
		// An approver clicked this very request before this write: the
		// edge recorded the clicked message as the parent. It is ours.
		err = nil
	}
	if errors.Is(err, state.ErrConflict) {
		// A copy of this Job (Lambda delivered it twice) posted the
		// request first and sends the note: take this one back, so that
		// one request with live buttons is in the channel.
		r.w.log.InfoContext(ctx, "job is a duplicate", "job_id", r.job.ID, "status", string(rec.Status))
		if derr := s.poster.Delete(ctx, s.target.ChannelID, ts); derr != nil {
			r.w.log.WarnContext(ctx, "duplicate approval request not deleted", "job_id", r.job.ID, "error", derr.Error())
		}
		s.res.Outcome, s.res.Route = OutcomeDuplicate, ""
		return s.res, nil
	} else if err != nil {
		r.w.log.WarnContext(ctx, "approval request not recorded as parent", "job_id", r.job.ID, "error", err.Error())
	}
	s.res.Outcome, s.res.Route = OutcomeAwaitingApproval, reply.RouteThread
	cancel, ok := r.button(command.Name(r.job.action()), button.StepReject, r.job.Name, 1, "Cancel my request")
	if !ok {
		return s.res, nil
	}
	fctx, fcancel := r.finishing(ctx)
	defer fcancel()
	if _, err := s.poster.Answer(fctx, s.target, reply.ApprovalNote(a, cancel)); err != nil {
		r.w.log.WarnContext(ctx, "private note not delivered", "job_id", r.job.ID, "error", err.Error())
	}
	return s.res, nil
}

// updateApproval re-renders the approval request from rec, without
// buttons. A failure is logged: the thread says what happened.
func (r *run) updateApproval(ctx context.Context, s *session, rec *state.Operation) {
	if rec == nil || rec.ParentTS == "" {
		return
	}
	if err := s.poster.Update(ctx, rec.ParentChannel, rec.ParentTS, reply.ApprovalMessage(r.approval(rec, false))); err != nil {
		r.w.log.WarnContext(ctx, "approval request not updated", "job_id", r.job.ID, "error", err.Error())
	}
}

// approvedNote re-renders the request as approved and running, and
// records the approval in its thread: by the claimant, once per claim.
func (r *run) approvedNote(ctx context.Context, s *session) {
	rec := r.record
	if rec == nil || rec.ParentTS == "" || rec.Attempts > 1 {
		return
	}
	// Before Atlas: bounded by the Atlas cut-off, not the deadline.
	ctx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	r.updateApproval(ctx, s, rec)
	if _, err := s.poster.PostMessage(ctx, rec.ParentChannel, rec.ParentTS, reply.ApprovalDecided(ApprovalApproved, rec.DecidedBy)); err != nil {
		r.w.log.WarnContext(ctx, "slack delivery problem", "job_id", r.job.ID, "error", err.Error())
	}
}

// parentMessage is the parent message of a thread at its end: the
// approval request, re-rendered from state with the outcome, when the
// operation was approved; parent otherwise.
func (r *run) parentMessage(parent reply.Message, st reply.Status, outcome Outcome) reply.Message {
	if r.job.Approval == nil || r.record == nil {
		return parent
	}
	rec := *r.record
	switch st {
	case reply.StatusDone:
		rec.Status = state.StatusDone
	case reply.StatusFailed:
		rec.Status = state.StatusFailed
	}
	rec.Outcome = string(outcome)
	return reply.ApprovalMessage(r.approval(&rec, false))
}
