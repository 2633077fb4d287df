package slackbot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/form"
	"github.com/streambot/streambot/internal/reply"
)

// The create form (issue 13, package form) on the edge:
//
//   - `/stream create` with no arguments (command.Op.Form) and the global
//     shortcut "Create a stream workspace" (callback_id form.CallbackID)
//     open the modal with views.open, from this function, before the
//     acknowledgement: the trigger_id lasts 3 seconds, cold start included.
//     It offers the projects the policy lets the person create in
//     (ProjectsFor); a person it allows nowhere gets the policy's refusal
//     instead (privately: the ack, or a notice modal from the shortcut).
//   - the view_submission is read by form.ParseSubmission with the allowed
//     projects computed again, the policy decides again (Authorize, audited),
//     and the command then goes the way a typed `/stream create …` goes:
//     the same Job, through [Handler.start].
//
// The worker answers in the thread as for the slash command (a taken name
// included): the edge holds no Atlas credentials.

// DefaultViewsTimeout bounds views.open, well inside the trigger_id's 3
// seconds, so that a hanging Slack still leaves time to acknowledge.
const DefaultViewsTimeout = 1500 * time.Millisecond

// Views opens modals: the part of slack-go's *slack.Client the create form
// uses. [SlackBot] implements it. (The form opens in one step: measured
// under the Lambda emulator, views.open leaves the Slack function well
// inside the 3 seconds, cold; see BenchmarkLambdaFormOpen in bench/.)
type Views interface {
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
}

// interactionFunc adapts a method to [InteractionHandler].
type interactionFunc func(ctx context.Context, cb *slack.InteractionCallback) []byte

func (f interactionFunc) Interaction(ctx context.Context, cb *slack.InteractionCallback) []byte {
	return f(ctx, cb)
}

// formInteractions plugs the create form's interactions into the
// interaction dispatch, unless the Config plugged in its own.
func (h *Handler) formInteractions() {
	if h.interactions == nil {
		h.interactions = map[slack.InteractionType]InteractionHandler{}
	}
	if h.interactions[slack.InteractionTypeViewSubmission] == nil {
		h.interactions[slack.InteractionTypeViewSubmission] = interactionFunc(h.viewSubmission)
	}
	if h.interactions[slack.InteractionTypeShortcut] == nil {
		h.interactions[slack.InteractionTypeShortcut] = interactionFunc(h.shortcut)
	}
}

// formOp is the operation the form stands for.
func formOp() *command.Op { return command.Lookup(command.Create) }

// formOpening is one request to open the form: who, from where, with which
// trigger_id. channel is empty for the global shortcut.
type formOpening struct {
	teamID, userID, channel, triggerID string
	// enterpriseID is the Enterprise Grid organization (E…), for a
	// policy whose teams names one.
	enterpriseID string
}

// errNoViews means the handler was built without [Config].Views.
var errNoViews = errors.New("slackbot: no views client")

// openForm answers `/stream create` typed with no arguments: it opens the
// form and acknowledges with nothing (the modal is the answer), or answers
// privately with the policy's refusal or, when Slack did not open the form
// (an expired or used trigger_id, a timeout), with form.FallbackText.
func (h *Handler) openForm(ctx context.Context, sc *slack.SlashCommand, op *command.Op) reply.Ack {
	denial, err := h.showForm(ctx, op, formOpening{teamID: sc.TeamID, enterpriseID: sc.EnterpriseID, userID: sc.UserID, channel: sc.ChannelID, triggerID: sc.TriggerID})
	switch {
	case denial != "":
		return reply.AckDeniedMrkdwn(access.Decision{Reason: denial}.Mrkdwn())
	case err != nil:
		return reply.AckText(form.FallbackText())
	}
	return reply.AckNone()
}

// shortcut answers a global shortcut. "Create a stream workspace" opens the
// form with a channel picker; a person the policy allows nowhere gets its
// refusal in a small modal instead (a shortcut has no channel and no
// response_url to answer in). The response is always an empty 200.
func (h *Handler) shortcut(ctx context.Context, cb *slack.InteractionCallback) []byte {
	if cb.CallbackID != form.CallbackID {
		h.log.WarnContext(ctx, "interaction not handled", "type", string(cb.Type), "callback_id", cb.CallbackID)
		return nil
	}
	in := formOpening{teamID: cb.Team.ID, enterpriseID: enterpriseID(cb), userID: cb.User.ID, triggerID: cb.TriggerID}
	denial, err := h.showForm(ctx, formOp(), in)
	if denial != "" && err == nil { // showForm opened nothing
		// The refusal in the place of the form. If even this fails, the
		// person clicks again; there is nowhere else to answer.
		// As every denial: escaped, whom to ask as a mention (item 12).
		_ = h.openView(ctx, in, form.NoticeView(":no_entry: Not allowed: "+access.Decision{Reason: denial}.Mrkdwn()))
	}
	return nil
}

// showForm opens the create form for in. It returns the policy's refusal
// when in's person may create in no project (nothing is opened), or the
// error of views.open (logged here).
func (h *Handler) showForm(ctx context.Context, op *command.Op, in formOpening) (denial string, err error) {
	req := access.Request{TeamID: in.teamID, EnterpriseID: in.enterpriseID, UserID: in.userID, ChannelID: in.channel, Action: op.Action}
	projects := formProjects(h.policy.ProjectsFor(ctx, req, op.Action))
	if len(projects) == 0 {
		// The usual refusal, audited, rather than an empty form.
		d := h.policy.Authorize(ctx, req)
		if d.Allowed { // ProjectsFor and Authorize disagree: refuse all the same
			d.Reason = "you may not create stream workspaces in any project from here"
		}
		return d.Reason, nil
	}
	in2 := form.CreateForm{
		Origin:        form.Origin{Channel: in.channel, User: in.userID, Issued: h.now()},
		Projects:      projects,
		DefaultRegion: h.policy.DefaultRegion(),
	}
	if len(projects) > 1 {
		// The project the command would have used: the channel's default,
		// or the policy's. Quiet: this picks a preselection, it decides
		// nothing.
		in2.DefaultProject = h.quiet.Authorize(ctx, req).GroupID
	}
	view, err := form.BuildCreateView(in2)
	if err != nil {
		h.log.ErrorContext(ctx, "create form not built", "slack_user", in.userID, "error", err)
		return "", err
	}
	return "", h.openView(ctx, in, view)
}

// openView calls views.open within the views timeout and logs the outcome.
func (h *Handler) openView(ctx context.Context, in formOpening, view slack.ModalViewRequest) error {
	if h.views == nil {
		h.log.WarnContext(ctx, "form not opened", "slack_user", in.userID, "reason", errNoViews.Error())
		return errNoViews
	}
	vctx, cancel := within(ctx, h.viewsTimeout)
	_, err := h.views.OpenViewContext(vctx, in.triggerID, view)
	cancel()
	switch {
	case err == nil:
		h.log.InfoContext(ctx, "form opened", "slack_user", in.userID, "channel_id", in.channel, "callback_id", view.CallbackID)
	case form.TriggerFailed(err):
		h.log.WarnContext(ctx, "form not opened", "slack_user", in.userID, "reason", err.Error())
	default:
		h.log.ErrorContext(ctx, "form not opened", "slack_user", in.userID, "error", err)
	}
	return err
}

// formProjects converts the policy's projects to the form's.
func formProjects(ps []access.Project) []form.Project {
	if len(ps) == 0 {
		return nil
	}
	out := make([]form.Project, len(ps))
	for i, p := range ps {
		out[i] = form.Project{Alias: p.Alias, GroupID: p.GroupID}
	}
	return out
}

// viewSubmission answers the create form's view_submission (HTTP 200
// always): field mistakes on their fields (response_action errors), a
// refused form or a refusal of the policy as a notice in the form's place,
// and a valid form with an empty body, which closes it, after its Job went
// to the worker exactly as `/stream create …` would send it.
//
// The policy is asked twice, now: ProjectsFor gives the projects the form
// may name (a project taken away since the form opened is refused on its
// field), and Authorize decides on the chosen one (and is audited). Both
// see the channel the form was opened from (none from the shortcut, as
// when it was opened), not the one picked for the thread.
func (h *Handler) viewSubmission(ctx context.Context, cb *slack.InteractionCallback) []byte {
	op := formOp()
	// The channel to ask the policy about; a bad or missing metadata is
	// ParseSubmission's to refuse.
	origin, _ := form.ParseMetadata(cb.View.PrivateMetadata)
	req := access.Request{TeamID: cb.Team.ID, EnterpriseID: enterpriseID(cb), UserID: cb.User.ID, ChannelID: origin.Channel, Action: op.Action}
	var allowed []form.Project
	if cb.View.CallbackID == form.CallbackID && origin.User == cb.User.ID {
		allowed = formProjects(h.policy.ProjectsFor(ctx, req, op.Action))
	}
	sub, errs, err := form.ParseSubmission(*cb, allowed, h.now())
	switch {
	case err != nil:
		h.log.WarnContext(ctx, "form refused", "slack_user", cb.User.ID, "callback_id", cb.View.CallbackID, "reason", err.Error())
		return viewResponse(form.RefusedResponse(err))
	case len(errs) > 0:
		h.log.InfoContext(ctx, "form has mistakes", "slack_user", cb.User.ID, "fields", len(errs))
		return viewResponse(form.ErrorsResponse(errs))
	}

	req.Project = sub.Command.Project
	d := h.policy.Authorize(ctx, req)
	if !d.Allowed {
		return viewResponse(form.NoticeResponse(":no_entry: Not allowed: " + d.Mrkdwn()))
	}
	channel, dm := sub.Destination() // a user ID for a direct message
	if _, ok := h.policy.ApprovalFor(d.GroupID, op.Action); ok && dm {
		// Nobody but the person would see the approval request in their
		// direct message: ask for a channel on the picker (Start refuses
		// a direct message too, for the slash command's form).
		return viewResponse(form.ErrorsResponse(map[string]string{form.BlockChannel: "Project " +
			cmp.Or(d.ProjectAlias, d.GroupID) + " needs a second person's approval: pick a channel where the approvers can see the request."}))
	}
	sc := slack.SlashCommand{TeamID: cb.Team.ID, ChannelID: channel, UserID: cb.User.ID, UserName: cb.User.Name,
		ResponseURL: sub.ResponseURL, Command: "/stream", TriggerID: cb.TriggerID}
	cmd := sub.Command
	if ack, ok := h.accept(ctx, h.job(&sc, &cmd, op, &d), op, req, &d, false); !ok {
		return viewResponse(form.NoticeResponse(ack.Text))
	}
	return nil // closes the form; the thread follows in the channel
}

// viewResponse is r as the HTTP response body.
func viewResponse(r slack.ViewSubmissionResponse) []byte {
	b, _ := json.Marshal(r) // strings and blocks cannot fail to encode
	return b
}
