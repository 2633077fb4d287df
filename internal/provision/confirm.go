package provision

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/button"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/pkg/atlas"
)

// The operations with a confirmation (update, delete) run in two Jobs.
// The first reads the workspace and posts what would happen with a
// confirming button and Cancel; nothing changes. The second comes from the
// click (Job.Click): it claims the decision once, re-renders the message
// from state without buttons, acts, and replies in the message's thread.

// update shows an update's before → after, or carries out a click on it.
func (r *run) update(ctx context.Context, s *session) (*Result, error) {
	if r.job.Click != nil {
		return r.decide(ctx, s, r.applyUpdate)
	}
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	ws, res, err := r.current(ctx, actx, s)
	if ws == nil {
		return res, err
	}
	changes, after := r.changes(ws)
	if len(changes) == 0 {
		return r.answer(ctx, s, OutcomeNoChange, reply.NoChange(r.job.Name, r.project(), r.requested()))
	}
	if err := atlas.ValidateTiers(after.Tier, after.MaxTierSize); err != nil {
		r.problem = err
		return r.answer(ctx, s, OutcomeFailed, r.failure(err, 0))
	}
	apply, cancelB, ok := r.confirmButtons(command.Update, "Apply", slack.StylePrimary)
	if !ok {
		return r.unrenderable(ctx, s, "changed")
	}
	m := reply.AskUpdate(reply.UpdateAsk{UserID: r.job.Slack.UserID, Name: r.job.Name, Project: r.project(),
		Changes: changes, Apply: apply, Cancel: cancelB})
	return r.ask(ctx, s, m)
}

// delete shows what a delete would remove, or carries out a click on it.
func (r *run) delete(ctx context.Context, s *session) (*Result, error) {
	if r.job.Click != nil {
		return r.decide(ctx, s, r.applyDelete)
	}
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	ws, res, err := r.current(ctx, actx, s)
	if ws == nil {
		return res, err
	}
	var counts *reply.Counts
	if c := r.w.d.Counts; c != nil {
		n, err := c.CountWorkspace(actx, r.job.GroupID, r.job.Name)
		if err != nil {
			r.w.log.WarnContext(ctx, "workspace counts unavailable", "job_id", r.job.ID, "error", err.Error())
		} else {
			counts = &reply.Counts{Processors: n.Processors, Running: n.Running, Connections: n.Connections}
		}
	}
	del, cancelB, ok := r.confirmButtons(command.Delete, "Delete", slack.StyleDanger)
	if !ok {
		return r.unrenderable(ctx, s, "deleted")
	}
	del.Confirm = &reply.Confirm{Title: "Delete " + r.job.Name + "?",
		Text: "This deletes the stream workspace `" + reply.Escape(r.job.Name) + "` in project " + reply.Escape(r.project()) +
			" with its processors and connections. It cannot be undone.",
		Yes: "Delete", No: "Keep it"}
	m := reply.AskDelete(reply.DeleteAsk{UserID: r.job.Slack.UserID, Project: r.project(), Workspace: *ws,
		Counts: counts, Delete: del, Cancel: cancelB})
	return r.ask(ctx, s, m)
}

// confirmButtons returns the two buttons of a confirmation of op: the
// confirming one, labelled label in style, and Cancel, in one actions
// block. ok is false when they cannot be encoded (logged by buttonOn).
func (r *run) confirmButtons(op command.Name, label string, style slack.Style) (yes, no reply.Button, ok bool) {
	yes, ok1 := r.button(op, button.StepConfirm, r.job.Name, 0, label)
	no, ok2 := r.button(op, button.StepCancel, r.job.Name, 0, "Cancel")
	yes.Style = style
	return yes, no, ok1 && ok2
}

// unrenderable answers a confirmation whose buttons could not be rendered:
// nothing was done ("nothing was <done>").
func (r *run) unrenderable(ctx context.Context, s *session, done string) (*Result, error) {
	return r.answer(ctx, s, OutcomeFailed, reply.Denied("The bot could not render the confirmation buttons; nothing was "+done+"."))
}

// current reads the Job's workspace. When it cannot, it has answered:
// ws is nil and res, err are the Job's result.
func (r *run) current(ctx, actx context.Context, s *session) (ws *atlas.StreamWorkspace, res *Result, err error) {
	ws, gerr := r.get(actx)
	switch {
	case errors.Is(gerr, atlas.ErrNotFound) && atlas.IsErrorCode(gerr, "GROUP_NOT_FOUND"):
		r.problem = gerr
		res, err = r.answer(ctx, s, OutcomeFailed, r.failure(gerr, 0))
	case errors.Is(gerr, atlas.ErrNotFound):
		res, err = r.answer(ctx, s, OutcomeNotFound, r.workspaceNotFound(actx))
	case gerr != nil:
		r.problem = gerr
		res, err = r.answer(ctx, s, OutcomeFailed, r.failure(gerr, 0))
	default:
		return ws, nil, nil
	}
	return nil, res, err
}

// ask posts a confirmation in the channel (so that it can be updated after
// the click); where the bot cannot post, the caller alone sees it.
func (r *run) ask(ctx context.Context, s *session, m reply.Message) (*Result, error) {
	s.res.Outcome = OutcomeAsked
	if ts, err := s.poster.PostMessage(ctx, s.target.ChannelID, "", m); err == nil {
		s.res.Route = reply.RouteThread
		r.recordParent(ctx, s.target.ChannelID, ts)
		return s.res, nil
	} else {
		r.w.log.WarnContext(ctx, "confirmation not posted in the channel", "job_id", r.job.ID, "error", err.Error())
	}
	res, err := r.answer(ctx, s, OutcomeAsked, m)
	return res, err
}

// requested is the update as asked, for "nothing to change".
func (r *run) requested() []reply.Change {
	var cs []reply.Change
	add := func(field, v string) {
		if v != "" {
			cs = append(cs, reply.Change{Field: field, Before: v, After: v})
		}
	}
	add("tier", r.job.Tier)
	add("max tier", r.job.MaxTier)
	if r.job.Region != "" {
		add("region", r.job.Provider+" / "+r.job.Region)
	}
	return cs
}

// changes compares the workspace with the requested values: the lines
// that differ, and the tiers after the update.
func (r *run) changes(ws *atlas.StreamWorkspace) ([]reply.Change, atlas.StreamConfig) {
	p, region, tier, maxTier := parts(ws)
	after := atlas.StreamConfig{Tier: tier, MaxTierSize: maxTier}
	var cs []reply.Change
	if t := atlas.Tier(r.job.Tier); t != "" && t != tier {
		cs = append(cs, reply.Change{Field: "tier", Before: string(tier), After: string(t)})
		after.Tier = t
	}
	if m := atlas.Tier(r.job.MaxTier); m != "" && m != maxTier {
		cs = append(cs, reply.Change{Field: "max tier", Before: string(maxTier), After: string(m)})
		after.MaxTierSize = m
	}
	if r.job.Region != "" && (r.job.Region != region || atlas.Provider(r.job.Provider) != p) {
		before := ""
		if region != "" {
			before = string(p) + " / " + region
		}
		cs = append(cs, reply.Change{Field: "region", Before: before, After: r.job.Provider + " / " + r.job.Region})
	}
	return cs, after
}

// decided is what a confirmed operation did, for the thread and the
// re-rendered message.
type decided struct {
	outcome Outcome
	final   reply.Message
	summary string
}

// decide handles a click on a confirmation: claim the decision once,
// re-render the message, act (on confirm), reply in its thread, and
// re-render it with the outcome.
func (r *run) decide(ctx context.Context, s *session, act func(context.Context) decided) (*Result, error) {
	// The decision is once-only: slackJob claimed the operation in the
	// state table before this ran (a second click lost that claim).
	c := r.job.Click
	state := reply.Decision{Op: string(r.job.action()), UserID: c.Requester, Name: r.job.Name, Processor: r.job.Processor, Project: r.project(),
		By: r.job.Slack.UserID, At: r.w.d.Now(), Confirmed: c.Step == string(button.StepConfirm), Status: reply.StatusPending}
	if r.job.action() == ActionUpdate && state.Confirmed {
		state.Summary = changeSummary(r.requested())
	}
	if c.Step == ClickExpired {
		state.Expired = true
		r.rerender(ctx, s, state)
		return r.answer(ctx, s, OutcomeExpired, reply.Notice(fmt.Sprintf(
			"This confirmation expired (after %d minutes), so nothing was done. Run /stream %s again.",
			int(command.ConfirmFor.Minutes()), strings.TrimSpace(string(r.job.action())+" "+r.job.Name+" "+r.job.Processor))))
	}
	r.rerender(ctx, s, state)
	if !state.Confirmed {
		s.res.Outcome, s.res.Route = OutcomeCancelled, reply.RouteThread
		return s.res, nil
	}
	d := act(ctx)
	state.Status = reply.StatusFailed
	switch d.outcome {
	case OutcomeUpdated, OutcomeDeleted, OutcomeAlreadyDeleted, OutcomeNoChange, OutcomeStopped:
		state.Status = reply.StatusDone
	}
	s.res.Outcome = d.outcome
	if c.MessageTS != "" {
		if _, err := s.poster.PostMessage(ctx, s.target.ChannelID, c.MessageTS, d.final); err == nil {
			s.res.Route = reply.RouteThread
			r.rerender(ctx, s, state)
			return s.res, nil
		} else {
			r.w.log.WarnContext(ctx, "slack delivery problem", "job_id", r.job.ID, "error", err.Error())
		}
	}
	res, aerr := r.answer(ctx, s, d.outcome, d.final)
	r.rerender(ctx, s, state)
	return res, aerr
}

// rerender replaces the confirmation message with its state, without
// buttons. A failure is logged: the thread reply still says what happened.
func (r *run) rerender(ctx context.Context, s *session, state reply.Decision) {
	ts := r.job.Click.MessageTS
	if ts == "" {
		return
	}
	if r.job.Approval != nil { // the approval request is the message
		if state.Status != reply.StatusPending {
			rec := *r.record
			rec.Status, rec.Outcome = "done", string(s.res.Outcome)
			if state.Status == reply.StatusFailed {
				rec.Status = "failed"
			}
			if err := s.poster.Update(ctx, s.target.ChannelID, ts, reply.ApprovalMessage(r.approval(&rec, false))); err != nil {
				r.w.log.WarnContext(ctx, "approval request not updated", "job_id", r.job.ID, "error", err.Error())
			}
		}
		return
	}
	if err := s.poster.Update(ctx, s.target.ChannelID, ts, reply.Decided(state)); err != nil {
		r.w.log.WarnContext(ctx, "confirmation message not updated", "job_id", r.job.ID, "error", err.Error())
	}
}

func changeSummary(cs []reply.Change) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Field + " → " + c.After
	}
	return strings.Join(parts, ", ")
}

// applyUpdate is a confirmed update: read the workspace (to show before
// → after and to skip a no-op), PATCH, answer.
func (r *run) applyUpdate(ctx context.Context) decided {
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	ws, err := r.get(actx)
	if errors.Is(err, atlas.ErrNotFound) && !atlas.IsErrorCode(err, "GROUP_NOT_FOUND") {
		return decided{outcome: OutcomeNotFound, final: r.workspaceNotFound(actx)}
	}
	if err != nil {
		r.problem = err
		return decided{outcome: OutcomeFailed, final: r.failure(err, 0)}
	}
	changes, _ := r.changes(ws)
	if len(changes) == 0 {
		return decided{outcome: OutcomeNoChange, final: reply.NoChange(r.job.Name, r.project(), r.requested())}
	}
	var got *atlas.StreamWorkspace
	err = r.call(actx, func(api AtlasAPI) error {
		var err error
		got, err = api.UpdateStreamWorkspace(actx, r.job.GroupID, r.job.Name, r.job.Update())
		return err
	})
	if err != nil {
		r.problem = err
		return decided{outcome: OutcomeFailed, final: r.failure(err, 0)}
	}
	return decided{outcome: OutcomeUpdated, final: reply.Updated(r.project(), *got, changes)}
}

// applyDelete is a confirmed delete: DELETE (202), then wait, bounded,
// until GET answers 404. A workspace already gone is "already deleted".
func (r *run) applyDelete(ctx context.Context) decided {
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	ws, err := r.get(actx)
	if errors.Is(err, atlas.ErrNotFound) && !atlas.IsErrorCode(err, "GROUP_NOT_FOUND") {
		return decided{outcome: OutcomeAlreadyDeleted,
			final: reply.Deleted(r.project(), atlas.StreamWorkspace{Name: r.job.Name}, true, false)}
	}
	if err != nil {
		r.problem = err
		return decided{outcome: OutcomeFailed, final: r.failure(err, 0)}
	}
	err = r.call(actx, func(api AtlasAPI) error { return api.DeleteStreamWorkspace(actx, r.job.GroupID, r.job.Name) })
	switch {
	case atlas.IsStatus(err, http.StatusNotFound) && !atlas.IsErrorCode(err, "GROUP_NOT_FOUND"):
		return decided{outcome: OutcomeAlreadyDeleted, final: reply.Deleted(r.project(), *ws, true, false)}
	case err != nil:
		r.problem = err
		return decided{outcome: OutcomeFailed, final: r.failure(err, 0)}
	}
	gone := r.waitGone(actx)
	return decided{outcome: OutcomeDeleted, final: reply.Deleted(r.project(), *ws, false, !gone)}
}

// waitGone polls the workspace until GET answers 404, within DeletePollFor
// and the Atlas deadline. It reports whether the workspace is gone.
func (r *run) waitGone(ctx context.Context) bool {
	end := r.w.d.Now().Add(r.w.d.DeletePollFor)
	if end.After(r.atlasUntil) {
		end = r.atlasUntil
	}
	for {
		_, err := r.get(ctx)
		if errors.Is(err, atlas.ErrNotFound) {
			return true
		}
		if !r.w.d.Now().Add(r.w.d.PollInterval).Before(end) || r.w.d.Sleep(ctx, r.w.d.PollInterval) != nil {
			return false
		}
	}
}

// changeAdvice is the advice for Atlas's refusals of an update or a
// delete, where it differs from a create's; "" keeps reply.Advice's.
func changeAdvice(status int) string {
	switch status {
	case http.StatusConflict:
		return "Atlas refuses while the workspace's processors run or another change is in progress: stop them (or wait), then run the command again."
	case http.StatusNotFound:
		return "Atlas does not know this project, or the bot's key cannot see it: check the project."
	case http.StatusTooManyRequests:
		return "Atlas rate limited the bot: wait a minute, then run the command again (the confirmation has been used)."
	}
	if status >= 500 {
		return "Atlas had trouble on its side: check with /stream describe, then run the command again."
	}
	return ""
}
