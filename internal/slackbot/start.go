package slackbot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/button"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/state"
)

// Start hands an accepted, authorized, validated Job to the worker and
// returns the caller's acknowledgement (ack when all is well). It is the
// one place every request that may change something passes (the slash
// command, a button that starts an operation, the create form's
// submission), so that all of them are recorded once and wait for an
// approval alike:
//
//   - a Job whose operation is declared with Approval (it changes
//     something) is begun in the state table under its ID (the
//     trigger_id), before the hand-off: a replay of the same request finds
//     it and is answered "already handled" with a link to its thread, and
//     does nothing; a table that cannot be written is answered so, and
//     nothing is handed over;
//   - when the policy asks for an approval of the operation on the Job's
//     project (access.Policy.ApprovalFor), the operation begins
//     pending_approval and the Job asks the worker to post the approval
//     request instead of running; ack becomes the approval's.
//
// Reads (list, describe, history) are handed over without a record. A
// dry run never reaches Start.
func (h *Handler) Start(ctx context.Context, job provision.Job, ack reply.Ack) reply.Ack {
	a, _ := h.start(ctx, job, ack)
	return a
}

// start is [Handler.Start]; refused is "" when the Job was handed over,
// else why not, in plain text (for a click's private notice).
func (h *Handler) start(ctx context.Context, job provision.Job, ack reply.Ack) (_ reply.Ack, refused string) {
	const (
		unavailable = "The bot's state table is unavailable, so it cannot make sure this runs only once, and nothing was done. Please try again in a minute."
		handoff     = "The bot could not hand this to its worker, so nothing was done. Please try again."
		unknown     = "The bot could not tell whether its worker got this; if it did, the answer appears in the thread. Check before trying again."
	)
	op := command.Lookup(command.Name(job.Action))
	if op == nil || !op.Approval {
		if err := h.dispatch(ctx, job); err != nil {
			return handoffAck(job.ID, err), handoffText(err, handoff, unknown)
		}
		return ack, ""
	}
	var pending *access.Approval
	if ap, ok := h.policy.ApprovalFor(job.GroupID, op.Action); ok {
		pending = &ap
		approvers, why := h.approvable(job, op, &ap)
		if why != "" {
			h.log.WarnContext(ctx, "approval cannot be asked", "job_id", job.ID, "reason", why)
			text := reply.Escape(why)
			if len(approvers) > 0 {
				text += " (" + strings.Join(approvers, ", ") + ")"
			}
			return reply.AckDeniedMrkdwn(text), why
		}
		job.Approval = &provision.ApprovalStep{Step: provision.ApprovalRequest, Approvers: approvers,
			ExpiresAt: h.now().Add(ap.Expires).UTC()}
	}
	rec, err := provision.NewOperation(job)
	if err != nil {
		h.log.ErrorContext(ctx, "operation not recorded", "job", job, "error", err)
		return reply.AckStateUnavailable(), unavailable
	}
	if pending != nil {
		rec.Status, rec.ExpiresAt = state.StatusPendingApproval, job.Approval.ExpiresAt
	}
	sctx, cancel := within(ctx, h.stateTimeout)
	if sctx.Err() != nil {
		// The budget was spent before this step (a slow cold start):
		// not the table's fault, and nothing was written.
		cancel()
		h.log.WarnContext(ctx, "no time left to record the operation", "job_id", job.ID)
		return reply.AckNoTime(), "no time left"
	}
	_, err = h.state.Begin(sctx, rec)
	cancel()
	if err != nil {
		var ce *state.ConflictError
		if errors.As(err, &ce) && errors.Is(err, state.ErrExists) && ce.Current != nil {
			h.log.WarnContext(ctx, "request replayed", "job_id", job.ID, "slack_user", job.Slack.UserID, "status", string(ce.Current.Status))
			return reply.AckAlreadyHandled(reply.Permalink(ce.Current.ParentChannel, ce.Current.ParentTS)),
				"This request was already handled (Slack sent it twice); nothing more was done."
		}
		h.log.ErrorContext(ctx, "operation not recorded", "job", job, "error", err)
		return reply.AckStateUnavailable(), unavailable
	}
	if pending != nil {
		project := job.ProjectAlias
		if project == "" {
			project = job.GroupID
		}
		ack = reply.AckApproval(string(op.Name()), project, job.Name, job.Approval.Approvers, job.Approval.ExpiresAt)
	}
	if err := h.dispatch(ctx, job); err != nil {
		// The record stays queued (or pending with no request posted):
		// history shows it; a retry of the command is a new request.
		return handoffAck(job.ID, err), handoffText(err, handoff, unknown)
	}
	return ack, ""
}

// approvable returns whom job's approval request names (as mentions):
// the approvers of ap but the requester, who cannot approve their own
// request. why is not empty when no request can be asked (plain text):
// the policy names nobody else, or the request would go to a direct
// message, where no approver sees it.
func (h *Handler) approvable(job provision.Job, op *command.Op, ap *access.Approval) (mentions []string, why string) {
	var requester, channel string
	if job.Slack != nil {
		requester, channel = job.Slack.UserID, job.Slack.ChannelID
	}
	for _, s := range ap.Approvers {
		if s.Kind == access.SubjectUser && s.ID == requester {
			continue
		}
		mentions = append(mentions, s.Mention())
	}
	what := "the access policy asks for an approval of " + string(op.Name()) + " on project " + cmp.Or(job.ProjectAlias, job.GroupID)
	switch {
	case len(mentions) == 0:
		return nil, what + ", and names only you as its approver, so nobody can approve it and nothing was done; ask a policy admin to add an approver"
	case isDirect(channel):
		return mentions, what + ", and only you would see the request in a direct message, so nothing was done; ask in a channel where the approvers can see it"
	}
	return mentions, ""
}

// isDirect reports whether channel is a direct message: a D… channel,
// or a user ID (the form's thread goes to the person's direct message).
func isDirect(channel string) bool {
	return channel != "" && strings.ContainsRune("DUW", rune(channel[0]))
}

// decideApproval handles Approve and Reject on an approval request, and
// the requester's Cancel (a Reject step clicked by the requester). The
// clicking approver is checked against the policy's approvals now
// (CanApprove: an approver who is not the requester); the decision is
// one conditional write in the state table, so two approvers clicking at
// once, a replayed click, or a click after expiry, rejection or
// cancellation decide nothing. Then the worker gets the stored Job with
// the decision: it records it in the thread, re-renders the request and,
// once approved, runs the operation. The record is read first (GetItem)
// so that the approver is checked against what it holds.
func (h *Handler) decideApproval(ctx context.Context, cb *slack.InteractionCallback, channel string, v *button.Value, refuse func(reason, text string)) {
	op := command.Lookup(v.Op)
	clicker := cb.User.ID
	// One bound for the table's work of this click (read, decide, maybe
	// record the expiry): the ack must not wait on a hanging table.
	sctx, cancel := within(ctx, h.stateTimeout)
	defer cancel()
	if sctx.Err() != nil {
		refuse("no time left", "This click reached me too late to act on within Slack's 3 seconds, so nothing was done. Please click again.")
		return
	}
	// The record, not the button, says what is approved: its project,
	// operation and requester are what the approver is checked against.
	cur, err := h.state.Get(sctx, v.OpID)
	switch {
	case err != nil:
		h.refuseTableError(ctx, v.OpID, err, refuse)
		return
	case cur.GroupID != v.GroupID || cur.Kind != string(v.Op) || cur.Workspace != v.Workspace || cur.Processor != v.Processor:
		refuse("button does not match its request", "This button names another request than the one it belongs to, so nothing was done.")
		return
	}
	var t state.Transition
	step := provision.ApprovalRejected
	switch {
	case v.Step == button.StepReject && clicker == cur.Requester:
		t, step = state.Cancel(clicker), provision.ApprovalCancelled
	default:
		d := h.policy.CanApprove(ctx, access.ApproveRequest{TeamID: cb.Team.ID, EnterpriseID: enterpriseID(cb), UserID: clicker, ChannelID: channel,
			GroupID: cur.GroupID, Action: op.Action, RequesterID: cur.Requester})
		if !d.Allowed {
			// As a denial: the approvers it names become mentions.
			h.log.WarnContext(ctx, "click refused", "reason", "not an approver", "slack_user", clicker, "channel_id", channel)
			h.notice(ctx, cb, channel, provision.Job{Denial: d.Reason})
			return
		}
		if v.Step == button.StepApprove {
			t, step = state.Approve(clicker), provision.ApprovalApproved
		} else {
			t = state.Reject(clicker, "rejected")
		}
	}
	rec, err := h.state.Transition(sctx, v.OpID, t)
	var ce *state.ConflictError
	switch {
	case errors.As(err, &ce) && ce.Current != nil:
		switch {
		case ce.Refusal == state.RefusedExpired && ce.Current.Status == state.StatusPendingApproval:
			// Record the lapse once, so the request shows it.
			if exp, xerr := h.state.Transition(sctx, v.OpID, state.Expire()); xerr == nil {
				h.handOver(ctx, exp, provision.ApprovalExpired, "")
			}
		case ce.Current.Status == state.StatusExpired && ce.Current.Owner == "":
			// Recorded before and never shown (a worker died before its
			// note): show it now; the worker's Announce keeps it to one.
			h.handOver(ctx, ce.Current, provision.ApprovalExpired, "")
		}
		refuse("already decided: "+string(ce.Refusal), decidedText(ce))
		return
	case err != nil:
		h.refuseTableError(ctx, v.OpID, err, refuse)
		return
	}
	if rec.ParentTS == "" && step == provision.ApprovalApproved {
		rec = h.requestAsParent(sctx, rec, cb, channel)
	}
	// The approved hand-off ends takeBackReserve before the budget does,
	// so that a hand-off that hangs still leaves time to take it back.
	hctx := ctx
	if step == provision.ApprovalApproved {
		hctx = budgetLess(ctx, takeBackReserve)
	}
	if err := h.handOver(hctx, rec, step, clicker); err != nil && step == provision.ApprovalApproved {
		// Nothing runs an approval whose Job the worker did not get: take
		// it back, so that the request waits again rather than stay
		// "approved" for good. A worker that got the Job after all races
		// this fairly (see state.Unapprove): it runs at most once.
		uctx, cancel := within(ctx, h.stateTimeout)
		_, uerr := h.state.Transition(uctx, v.OpID, state.Unapprove())
		cancel()
		if uerr != nil {
			h.log.ErrorContext(ctx, "approval not taken back", "op_id", v.OpID, "error", uerr)
			return
		}
		refuse("approved job not handed over", "The bot could not hand the approved request to its worker, so nothing ran; the request waits for an approval again. Please click Approve again in a minute.")
	}
}

// refuseTableError answers an approval click whose read or decision the
// state table could not make: no record of the request, or the table
// unavailable (logged).
func (h *Handler) refuseTableError(ctx context.Context, opID string, err error, refuse func(reason, text string)) {
	if errors.Is(err, state.ErrNotFound) {
		refuse("no record", "The bot has no record of this request (it may be older than 30 days), so nothing was done.")
		return
	}
	h.log.ErrorContext(ctx, "state table unavailable", "op_id", opID, "error", err)
	refuse("state table unavailable", "The bot's state table is unavailable, so your click was not recorded and nothing was done. Please click again in a minute.")
}

// requestAsParent records the clicked approval request as the operation's
// parent message when the worker has not recorded it yet: it posts the
// request, then records it, and an approval clicked in between (a fast
// approver, a slow write) would otherwise find no parent and start a
// second thread for the approved run (make load found it). The Approve
// button sits on the request, so the click names it; the worker's own
// SetParent then finds it set and leaves it. ctx is the click's bound for
// the table's work (decideApproval's).
func (h *Handler) requestAsParent(ctx context.Context, rec *state.Operation, cb *slack.InteractionCallback, channel string) *state.Operation {
	ts := cb.Container.MessageTs
	if ts == "" {
		ts = cb.Message.Timestamp
	}
	if ts == "" || channel == "" {
		return rec
	}
	op, err := h.state.SetParent(ctx, rec.ID, channel, ts)
	var ce *state.ConflictError
	switch {
	case err == nil:
		return op
	case errors.As(err, &ce) && ce.Current != nil:
		return ce.Current // the worker recorded it meanwhile
	}
	h.log.WarnContext(ctx, "parent message not recorded", "op_id", rec.ID, "error", err.Error())
	return rec
}

// handOver hands the worker the operation's stored Job with a decision. It
// returns the dispatch's error (logged by dispatch).
func (h *Handler) handOver(ctx context.Context, rec *state.Operation, step, by string) error {
	job, err := provision.JobOf(rec)
	if err != nil {
		h.log.ErrorContext(ctx, "stored job unreadable", "op_id", rec.ID, "error", err)
		return err
	}
	if job.Approval == nil {
		job.Approval = &provision.ApprovalStep{}
	}
	job.Approval.Step, job.Approval.By = step, by
	job.RequestedAt = h.now()
	return h.dispatch(ctx, job)
}

// decidedText says why a click on an approval decided nothing.
func decidedText(ce *state.ConflictError) string {
	// Notices are plain text, so they name nobody: the request message
	// shows who decided, with a mention.
	op := ce.Current
	switch {
	case ce.Refusal == state.RefusedRequester:
		return "You asked for this, so someone else must approve it; nothing was done."
	case ce.Refusal == state.RefusedNotRequester:
		return "Only the person who asked can withdraw this; nothing was done."
	case ce.Refusal == state.RefusedExpired || op.Status == state.StatusExpired:
		return fmt.Sprintf("This request expired at %s UTC, so nothing can approve it now; nothing was done. Ask again if it is still wanted.",
			op.ExpiresAt.UTC().Format("2006-01-02 15:04"))
	}
	switch op.Status {
	case state.StatusRejected:
		return "This request was already rejected (the request message says by whom); nothing was done."
	case state.StatusCancelled:
		return "This request was withdrawn by its requester; nothing was done."
	case state.StatusApproved, state.StatusRunning, state.StatusDone, state.StatusFailed:
		return "This request was already approved (the request message says by whom); it runs once, so nothing more was done."
	}
	return "This request was already decided; nothing more was done."
}
