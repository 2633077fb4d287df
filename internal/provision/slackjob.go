package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/secrets"
	"github.com/streambot/streambot/pkg/atlas"
)

// session is what a handler needs to answer in Slack.
type session struct {
	poster *reply.Poster
	target reply.Target
	slack  SlackAPI // nil without a bot token
	res    *Result
}

// finishing bounds the final answer: it ends a fifth of the reserve before
// the hard deadline, not at it, so Handle returns and logs inside the
// invocation however Slack behaves; Finish and Answer share that time out
// among their steps. It is not capped further: under load a slow Slack
// still gets every second the invocation has.
func (r *run) finishing(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithDeadline(ctx, finishBy(r.hard, r.reserve))
}

// answer delivers a single ephemeral answer (no thread) and ends the Job.
func (r *run) answer(ctx context.Context, s *session, o Outcome, m reply.Message) (*Result, error) {
	s.res.Outcome = o
	fctx, cancel := r.finishing(ctx)
	defer cancel()
	d, err := s.poster.Answer(fctx, s.target, m)
	s.res.Route = d.Route
	if err != nil {
		r.lost = err
		return s.res, fmt.Errorf("provision: job %s: %w", r.job.ID, err)
	}
	return s.res, nil
}

// slackJob answers a Job that came from Slack.
func (r *run) slackJob(ctx context.Context) (*Result, error) {
	w := r.w
	s := &session{
		res:    &Result{JobID: r.job.ID},
		target: reply.Target{ChannelID: r.job.Slack.ChannelID, UserID: r.job.Slack.UserID, ResponseURL: r.job.Slack.ResponseURL},
	}
	var chat reply.ChatAPI
	if w.d.Slack != nil {
		api, err := w.d.Slack.Slack(ctx)
		if err != nil {
			// no bot token: the response_url still works
			w.log.WarnContext(ctx, "slack client unavailable", "job_id", r.job.ID, "error", err.Error())
		} else {
			s.slack, chat = api, api
		}
	}
	s.poster = reply.NewPoster(chat, w.d.HTTPClient, reply.WithClock(w.d.Now), reply.WithSleep(w.d.Sleep),
		reply.WithSlackAPIURL(w.d.SlackAPIURL))

	op, known := operations[r.job.action()]
	if !known || op.run == nil {
		return r.answer(ctx, s, OutcomeFailed, reply.Denied(fmt.Sprintf("The worker does not know the action %q.", r.job.Action)))
	}
	if r.job.Approval != nil {
		res, err, goOn := r.approvalStep(ctx, s)
		if !goOn {
			return res, err
		}
	}
	if op.local { // no Atlas: nothing to authenticate
		return op.run(r, ctx, s)
	}
	if r.executesChange() {
		if ok, res, err := r.claim(ctx, s); !ok {
			return res, err
		}
		if r.job.Approval != nil {
			r.approvedNote(ctx, s)
		}
	}
	res, err := r.execute(ctx, s, op)
	r.finish(ctx, res, err)
	return res, err
}

// execute loads the credentials, checks the caller's Atlas role when the
// policy asks for it, and runs the operation.
func (r *run) execute(ctx context.Context, s *session, op operation) (*Result, error) {
	w := r.w
	// Everything before the final answer stops at r.atlasUntil, so that
	// the time kept back for the answer is still there.
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()

	// 1. credentials
	api, err := w.d.Atlas.Atlas(actx)
	if err != nil {
		r.problem = err
		return r.answer(ctx, s, OutcomeFailed, reply.Failed(reply.Failure{
			Action: string(r.job.action()), Name: r.job.Name, Project: r.project(),
			Summary: "The bot could not read its Atlas credentials: " + secretTrouble(err) + ".",
			Advice:  "Nothing was sent to Atlas. An operator must fix the secret (the worker's log has the details under job ID " + r.job.ID + "); then send the command again.",
		}))
	}
	r.api = api

	// 2. the caller's own Atlas role, when the policy asks for it
	if len(r.job.RequiredRoles) > 0 {
		denial, err := r.checkRole(actx, s.slack)
		if err != nil {
			r.problem = err
			return r.answer(ctx, s, OutcomeFailed, r.failure(err, 0))
		}
		if denial != "" {
			return r.answer(ctx, s, OutcomeDenied, reply.Denied(denial))
		}
	}
	return op.run(r, ctx, s)
}

// createInSlack creates the workspace and answers in a thread.
func (r *run) createInSlack(ctx context.Context, s *session) (*Result, error) {
	w, res := r.w, s.res
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()

	// 3. the parent message
	req := reply.Request{UserID: r.job.Slack.UserID, Name: r.job.Name, Provider: r.job.Provider, Region: r.job.Region,
		Tier: r.job.Tier, MaxTier: r.job.MaxTier, Project: r.project()}
	th, err := r.startThread(actx, s, reply.Parent(req, reply.StatusPending))
	if err != nil {
		return res, err
	}

	// 4. create
	c := r.create(ctx)

	// 5. the answer
	var final, parent reply.Message
	switch {
	case c.err != nil:
		r.problem = c.err
		res.Outcome = OutcomeFailed
		final, parent = r.failure(c.err, c.tries), r.parentMessage(reply.Parent(req, reply.StatusFailed), reply.StatusFailed, res.Outcome)
	default:
		res.Outcome, res.StreamWorkspace = OutcomeCreated, c.ws
		if c.existed {
			res.Outcome = OutcomeAlreadyExisted
		}
		final = reply.Created(reply.Success{Workspace: *c.ws, Project: r.project(), AlreadyExisted: c.existed,
			UIURL: w.UIURL(r.job.GroupID), SampleSolar: r.job.SampleSolar, Buttons: r.offered(c.ws.Name, 0)})
		parent = r.parentMessage(reply.Parent(req, reply.StatusDone), reply.StatusDone, res.Outcome)
	}
	fctx, fcancel := r.finishing(ctx)
	defer fcancel()
	d, err := th.Finish(fctx, final, parent)
	res.Route = d.Route
	if err != nil {
		r.lost = err // it joins d.Errs: Handle logs them once
		// 6/7: hand over to Lambda's retry when nothing reached Slack at
		// all. That is safe even after a create: the retry GETs the name
		// first and answers "already existed", so the caller still gets
		// exactly one answer and nothing is created twice. Once a parent
		// is in the channel, a retry would post a second one: keep it.
		if th.TS() == "" {
			return res, fmt.Errorf("provision: job %s: %w", r.job.ID, err)
		}
		return res, nil
	}
	for _, e := range d.Errs { // the answer got through; these were handled
		w.log.WarnContext(ctx, "slack delivery problem", "job_id", r.job.ID, "error", e.Error())
	}
	return res, nil
}

// finishBy is when the final answer must be done: a fifth of the reserve
// before the hard deadline, the time Handle keeps to return and log.
func finishBy(hard time.Time, reserve time.Duration) time.Time {
	return hard.Add(-reserve / 5)
}

// failure renders err (from Atlas, a conflict, a timeout, a secret) for the
// thread.
func (r *run) failure(err error, tries int) reply.Message {
	f := reply.Failure{Action: string(r.job.action()), Name: r.job.Name, Processor: r.job.Processor, Project: r.project(), Tries: tries}
	switch r.job.action() {
	case ActionList:
		f.Name = ""
	case ActionProcessors:
		f.Action = "list the stream processors of"
	case ActionConnections:
		f.Action = "list the connections of"
	case ActionProcessor:
		f.Action = "read"
	}
	var (
		ae *atlas.APIError
		ce *ConflictError
		te *TimeoutError
		ve *atlas.ValidationError
	)
	var se *secrets.Error
	switch {
	case errors.As(err, &se):
		f.Summary = "Atlas refused the bot's credentials, and re-reading them failed: " + secretTrouble(se) + "."
		f.Advice = "An operator must fix the Atlas secret (the worker's log has the details under job ID " + r.job.ID + "); then send the command again."
	case errors.As(err, &ce):
		f.Summary = "A workspace with this name already exists with a different configuration: " + strings.Join(ce.Differences, "; ") + "."
		f.Advice = "Nothing was changed. Pick another name, or use the existing workspace."
	case errors.As(err, &te):
		f.Summary = "Atlas did not answer in time, and a follow-up check found no workspace with this name (yet)."
		f.Advice = fmt.Sprintf("It may still appear: check with /stream describe %s in a minute before trying again.", r.job.Name)
	case errors.As(err, &ae):
		f.Err = ae
		switch a := r.job.action(); {
		case a == ActionUpdate || a == ActionDelete:
			f.Advice = changeAdvice(ae.StatusCode)
		case r.job.Processor != "" || a == ActionProcessors || a == ActionConnections:
			f.Advice = processorAdvice(ae.StatusCode, r.job.Name, r.job.Processor)
		}
		if ae.Detail == "" && ae.Body != "" {
			f.Summary = "Atlas answered: " + ae.Body
		}
		if atlas.IsTokenError(ae) && (ae.StatusCode == 400 || ae.StatusCode == 401) { // 429 and 5xx are no refusal
			f.Summary = "Atlas refused the bot's service account credentials."
		}
	case errors.As(err, &ve):
		f.Summary = err.Error()
		f.Advice = "Nothing was sent to Atlas."
	case isTimeout(err):
		f.Summary = "Atlas did not answer in time."
		f.Advice = "Atlas may be slow; it is safe to try again (the bot never creates a workspace twice)."
	default:
		f.Summary = "The bot could not talk to Atlas: " + err.Error()
		f.Advice = "It is safe to try again (the bot never creates a workspace twice)."
	}
	return reply.Failed(f)
}

// secretTrouble says what is wrong with the Atlas secret in words fit for
// the channel: the problem and the key at fault, never the secret's ARN
// (it holds the AWS account ID) or the AWS error (it can quote the
// function's role ARN). The full error is the Job's "problem" in the log.
func secretTrouble(err error) string {
	var se *secrets.Error
	switch {
	case errors.As(err, &se):
		return se.Redacted()
	case isTimeout(err):
		return "timed out"
	default:
		return "see the log"
	}
}

// checkRole looks the caller up in Atlas by their Slack email and checks
// their project roles. It returns the denial text, or "" when the caller
// may go on; err is an Atlas failure.
func (r *run) checkRole(ctx context.Context, api SlackAPI) (denial string, err error) {
	roles := strings.Join(r.job.RequiredRoles, ", ")
	if api == nil {
		return "The bot cannot check your Atlas role: its Slack token is unavailable.", nil
	}
	u, err := api.GetUserInfoContext(ctx, r.job.Slack.UserID)
	if err != nil {
		return fmt.Sprintf("The bot cannot check your Atlas role: Slack's users.info failed (%v).", err), nil
	}
	email := u.Profile.Email
	if email == "" {
		return "The bot cannot check your Atlas role: your Slack profile shows no email address (the bot needs the users:read.email scope).", nil
	}
	var pu *atlas.ProjectUser
	err = r.call(ctx, func(a AtlasAPI) error {
		var err error
		pu, err = a.ProjectUser(ctx, r.job.GroupID, email)
		return err
	})
	switch {
	case errors.Is(err, atlas.ErrNotFound) && !atlas.IsStatus(err, 404):
		return fmt.Sprintf("No Atlas user with the email %s is a member of project %s; %s needs one of %s there.",
			email, r.project(), r.job.action(), roles), nil
	case err != nil:
		return "", err
	}
	if !pu.Active() {
		return inactiveDenial(pu, r.project(), string(r.job.action()), roles), nil
	}
	for _, have := range pu.Roles {
		for _, want := range r.job.RequiredRoles {
			if have == want {
				return "", nil
			}
		}
	}
	held := strings.Join(pu.Roles, ", ")
	if held == "" {
		held = "none"
	}
	return fmt.Sprintf("%s on project %s needs one of %s in Atlas; your Atlas roles there are: %s.",
		r.job.action(), r.project(), roles, held), nil
}

// list answers `/stream list` through the response_url.
func (r *run) list(ctx context.Context, s *session) (*Result, error) {
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	var ws []atlas.StreamWorkspace
	err := r.call(actx, func(a AtlasAPI) error {
		var err error
		ws, err = a.AllStreamWorkspaces(actx, r.job.GroupID)
		return err
	})
	if err != nil {
		r.problem = err
		return r.answer(ctx, s, OutcomeFailed, r.failure(err, 0))
	}
	var buttons []reply.Button
	for i, x := range ws {
		buttons = append(buttons, r.offered(x.Name, i/reply.MaxButtonsPerBlock)...)
	}
	return r.answer(ctx, s, OutcomeListed, reply.List(r.project(), ws, buttons...))
}

// describe answers `/stream describe NAME` through the response_url.
func (r *run) describe(ctx context.Context, s *session) (*Result, error) {
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	if err := atlas.ValidateName(r.job.Name); err != nil {
		r.problem = err
		return r.answer(ctx, s, OutcomeFailed, r.failure(err, 0))
	}
	ws, err := r.get(actx)
	switch {
	case errors.Is(err, atlas.ErrNotFound) && !atlas.IsErrorCode(err, "GROUP_NOT_FOUND"):
		return r.answer(ctx, s, OutcomeNotFound, r.workspaceNotFound(actx))
	case err != nil:
		r.problem = err
		return r.answer(ctx, s, OutcomeFailed, r.failure(err, 0))
	}
	res, aerr := r.answer(ctx, s, OutcomeDescribed, reply.Describe(r.project(), *ws, r.w.UIURL(r.job.GroupID), r.offered(ws.Name, 0)...))
	res.StreamWorkspace = ws
	return res, aerr
}

// inactiveDenial explains why an Atlas user who is not an active member of
// the organization is refused: Atlas lists invitees with the roles their
// invitation would give, but they hold none of them until they join.
func inactiveDenial(pu *atlas.ProjectUser, project, action, roles string) string {
	var why string
	switch pu.OrgMembershipStatus {
	case atlas.MembershipPending:
		why = "has been invited to the Atlas organization but has not accepted the invitation yet"
	case atlas.MembershipInvitationExpired:
		why = "was invited to the Atlas organization, but the invitation expired before it was accepted"
	case atlas.MembershipInvitationRejected:
		why = "declined the invitation to the Atlas organization"
	default:
		why = fmt.Sprintf("is not an active member of the Atlas organization (membership status %q)", pu.OrgMembershipStatus)
	}
	return fmt.Sprintf("The Atlas user %s %s. %s on project %s needs an active member of the organization with one of %s there.",
		pu.Username, why, action, project, roles)
}
