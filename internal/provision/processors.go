package provision

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/button"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/suggest"
	"github.com/streambot/streambot/pkg/atlas"
)

// The operations on a workspace's stream processors and connections:
// processors, processor and connections read and answer privately; start
// posts a parent message and answers in its thread; stop asks first, like
// delete (see confirm.go), and answers in the confirmation's thread. Both
// changes read the processor afterwards and show the state Atlas reports.

// scope is the workspace the Job is about, for the renderers.
func (r *run) scope() reply.Scope {
	return reply.Scope{Project: r.project(), GroupID: r.job.GroupID, Workspace: r.job.Name}
}

// processors answers `/stream processors <workspace>`.
func (r *run) processors(ctx context.Context, s *session) (*Result, error) {
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	var ps []atlas.StreamProcessor
	err := r.call(actx, func(a AtlasAPI) error {
		var err error
		ps, err = a.AllStreamProcessors(actx, r.job.GroupID, r.job.Name)
		return err
	})
	if err != nil {
		return r.missing(ctx, actx, s, err)
	}
	return r.answer(ctx, s, OutcomeListed, reply.ProcessorsList(r.scope(), ps, r.processorButtons()))
}

// processor answers `/stream processor <workspace> <processor>`.
func (r *run) processor(ctx context.Context, s *session) (*Result, error) {
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	p, err := r.getProcessor(actx)
	if err != nil {
		return r.missing(ctx, actx, s, err)
	}
	return r.answer(ctx, s, OutcomeDescribed, reply.ProcessorDetail(r.scope(), *p, r.processorButtons()))
}

// connections answers `/stream connections <workspace>`.
func (r *run) connections(ctx context.Context, s *session) (*Result, error) {
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	var cs []atlas.StreamConnection
	err := r.call(actx, func(a AtlasAPI) error {
		var err error
		cs, err = a.AllStreamConnections(actx, r.job.GroupID, r.job.Name)
		return err
	})
	if err != nil {
		return r.missing(ctx, actx, s, err)
	}
	return r.answer(ctx, s, OutcomeListed, reply.Connections(r.scope(), cs))
}

// processorButtons returns the Start and Stop… buttons of each processor
// shown, among the operations the edge found the caller may use
// (Job.Offers): Start where the processor does not run, Stop… where it
// does. Each processor's buttons get their own block (its row's).
func (r *run) processorButtons() reply.ProcessorButtons {
	op := command.Lookup(command.Name(r.job.action()))
	if op == nil || r.job.Slack == nil || len(r.job.Offers) == 0 {
		return nil
	}
	row := 0
	return func(p atlas.StreamProcessor) []reply.Button {
		n := row
		row++
		var out []reply.Button
		for _, o := range op.Offers {
			if !slices.Contains(r.job.Offers, string(o)) || !offerFits(o, p.State) {
				continue
			}
			b, ok := r.buttonOn(o, button.StepAsk, r.job.Name, p.Name, n, command.Lookup(o).Button)
			if !ok {
				continue
			}
			if o == command.Start {
				b.Style = slack.StylePrimary
			}
			out = append(out, b)
		}
		return out
	}
}

// offerFits reports whether a processor in state s gets the button of
// operation o: Stop for a running one, Start for any other (a failed
// processor is started again).
func offerFits(o command.Name, s atlas.ProcessorState) bool {
	switch o {
	case command.Start:
		return s != atlas.ProcessorStarted
	case command.Stop:
		return s == atlas.ProcessorStarted
	}
	return true
}

// getProcessor reads the Job's processor.
func (r *run) getProcessor(ctx context.Context) (*atlas.StreamProcessor, error) {
	var p *atlas.StreamProcessor
	err := r.call(ctx, func(a AtlasAPI) error {
		var err error
		p, err = a.GetStreamProcessor(ctx, r.job.GroupID, r.job.Name, r.job.Processor)
		return err
	})
	return p, err
}

// missing answers a failed read of the Job's workspace or processor. A 404
// is told apart: a missing project is a failure, a missing workspace or
// processor is "not found" with the nearest existing name; anything else
// is a failure.
func (r *run) missing(ctx, actx context.Context, s *session, err error) (*Result, error) {
	if m, ok := r.notFound(actx, err); ok {
		return r.answer(ctx, s, OutcomeNotFound, m)
	}
	r.problem = err
	return r.answer(ctx, s, OutcomeFailed, r.failure(err, 0))
}

// notFound renders the answer for err when it says the Job's workspace or
// processor does not exist; ok is false for any other error. Which of the
// two is missing is read from Atlas (a GET of the workspace), not guessed
// from the error code, which Atlas does not document.
func (r *run) notFound(ctx context.Context, err error) (reply.Message, bool) {
	if !errors.Is(err, atlas.ErrNotFound) || atlas.IsErrorCode(err, "GROUP_NOT_FOUND") {
		return reply.Message{}, false
	}
	if r.job.Processor != "" {
		_, werr := r.get(ctx)
		switch {
		case werr == nil:
			return reply.ProcessorNotFound(r.scope(), r.job.Processor, r.nearestProcessor(ctx)), true
		case !errors.Is(werr, atlas.ErrNotFound) || atlas.IsErrorCode(werr, "GROUP_NOT_FOUND"):
			return reply.Message{}, false
		}
	}
	return r.workspaceNotFound(ctx), true
}

// workspaceNotFound renders "no workspace named …" with the nearest
// existing name, when the project's workspaces can be listed.
func (r *run) workspaceNotFound(ctx context.Context) reply.Message {
	var names []string
	var ws []atlas.StreamWorkspace
	err := r.call(ctx, func(a AtlasAPI) error {
		var err error
		ws, err = a.AllStreamWorkspaces(ctx, r.job.GroupID)
		return err
	})
	if err == nil {
		for _, w := range ws {
			names = append(names, w.Name)
		}
	}
	return reply.WorkspaceNotFound(r.job.Name, r.project(), suggest.NearestName(r.job.Name, names))
}

// nearestProcessor is the existing processor nearest to the Job's, or "".
func (r *run) nearestProcessor(ctx context.Context) string {
	var ps []atlas.StreamProcessor
	if err := r.call(ctx, func(a AtlasAPI) error {
		var err error
		ps, err = a.AllStreamProcessors(ctx, r.job.GroupID, r.job.Name)
		return err
	}); err != nil {
		return ""
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return suggest.NearestName(r.job.Processor, names)
}

// start starts the Job's processor (:start, or :startWith with a tier)
// and answers in a thread under a parent message with the state Atlas
// reports afterwards. A running processor is left alone: nothing is sent.
func (r *run) start(ctx context.Context, s *session) (*Result, error) {
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	p, err := r.getProcessor(actx)
	if err != nil {
		return r.missing(ctx, actx, s, err)
	}
	if p.State == atlas.ProcessorStarted {
		return r.answer(ctx, s, OutcomeNoChange, reply.ProcessorUnchanged(r.scope(), *p, "already running"))
	}
	detail := ""
	if r.job.Tier != "" {
		detail = "on tier " + r.job.Tier
	}
	parent := func(st reply.Status) reply.Message {
		return reply.ProcessorRequest(r.scope(), r.job.Slack.UserID, "start", r.job.Processor, detail, st)
	}
	th := s.poster.Start(actx, s.target, parent(reply.StatusPending))
	if th.ParentErr != nil {
		r.w.log.WarnContext(ctx, "parent message not posted", "job_id", r.job.ID, "error", th.ParentErr.Error())
	}

	err = r.call(actx, func(a AtlasAPI) error {
		if o := r.job.startOptions(); o != nil {
			return a.StartStreamProcessorWith(actx, r.job.GroupID, r.job.Name, r.job.Processor, o)
		}
		return a.StartStreamProcessor(actx, r.job.GroupID, r.job.Name, r.job.Processor)
	})
	var final reply.Message
	status := reply.StatusDone
	switch {
	case err != nil:
		r.problem = err
		s.res.Outcome, status = OutcomeFailed, reply.StatusFailed
		final = r.failure(err, 0)
	default:
		s.res.Outcome = OutcomeStarted
		final = reply.ProcessorChanged(r.scope(), "started", r.after(actx, *p))
	}
	fctx, fcancel := r.finishing(ctx)
	defer fcancel()
	d, ferr := th.Finish(fctx, final, parent(status))
	s.res.Route = d.Route
	if ferr != nil {
		r.lost = ferr
		if th.TS() == "" {
			return s.res, fmt.Errorf("provision: job %s: %w", r.job.ID, ferr)
		}
		return s.res, nil
	}
	for _, e := range d.Errs {
		r.w.log.WarnContext(ctx, "slack delivery problem", "job_id", r.job.ID, "error", e.Error())
	}
	return s.res, nil
}

// after reads the processor once more after a start or stop; when that
// fails it shows p with its state unknown rather than a stale one.
func (r *run) after(ctx context.Context, p atlas.StreamProcessor) atlas.StreamProcessor {
	got, err := r.getProcessor(ctx)
	if err != nil {
		r.w.log.WarnContext(ctx, "processor state after the change unknown", "job_id", r.job.ID, "error", err.Error())
		p.State = "UNKNOWN"
		return p
	}
	return *got
}

// stop shows the processor with Stop and Cancel, or carries out a click on
// them. A processor that does not run is said so, and nothing is asked.
func (r *run) stop(ctx context.Context, s *session) (*Result, error) {
	if r.job.Click != nil {
		return r.decide(ctx, s, r.applyStop)
	}
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	p, err := r.getProcessor(actx)
	if err != nil {
		return r.missing(ctx, actx, s, err)
	}
	if !stoppable(p.State) {
		return r.answer(ctx, s, OutcomeNoChange, reply.ProcessorUnchanged(r.scope(), *p, "not running"))
	}
	stopB, cancelB, ok := r.confirmButtons(command.Stop, "Stop", slack.StyleDanger)
	if !ok {
		return r.unrenderable(ctx, s, "stopped")
	}
	stopB.Confirm = &reply.Confirm{Title: "Stop " + r.job.Processor + "?",
		Text: "This stops stream processor `" + reply.Escape(r.job.Processor) + "` in workspace `" + reply.Escape(r.job.Name) +
			"`: its pipeline stops reading until it is started again.",
		Yes: "Stop", No: "Keep it running"}
	return r.ask(ctx, s, reply.AskStop(reply.StopAsk{UserID: r.job.Slack.UserID, Scope: r.scope(), Processor: *p,
		Stop: stopB, Cancel: cancelB}))
}

// stoppable reports whether a processor in state st can be stopped: a
// running one, or a failed one (which Atlas may still be retrying).
func stoppable(st atlas.ProcessorState) bool {
	return st == atlas.ProcessorStarted || st == atlas.ProcessorFailed
}

// applyStop is a confirmed stop: read the processor (it may have stopped
// meanwhile), POST :stop, read it again.
func (r *run) applyStop(ctx context.Context) decided {
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	p, err := r.getProcessor(actx)
	if err != nil {
		if m, ok := r.notFound(actx, err); ok {
			return decided{outcome: OutcomeNotFound, final: m}
		}
		r.problem = err
		return decided{outcome: OutcomeFailed, final: r.failure(err, 0)}
	}
	if !stoppable(p.State) {
		return decided{outcome: OutcomeNoChange, final: reply.ProcessorUnchanged(r.scope(), *p, "not running")}
	}
	err = r.call(actx, func(a AtlasAPI) error {
		return a.StopStreamProcessor(actx, r.job.GroupID, r.job.Name, r.job.Processor)
	})
	if err != nil {
		r.problem = err
		return decided{outcome: OutcomeFailed, final: r.failure(err, 0)}
	}
	return decided{outcome: OutcomeStopped, final: reply.ProcessorChanged(r.scope(), "stopped", r.after(actx, *p))}
}

// processorAdvice is the advice for Atlas's refusals of a processor
// operation, where it differs from a create's; "" keeps reply.Advice's.
func processorAdvice(status int, workspace, processor string) string {
	look := "/stream processors " + workspace
	if processor != "" {
		look = "/stream processor " + workspace + " " + processor
	}
	switch {
	case status == http.StatusConflict:
		return "Atlas refuses this in the processor's current state: check it with " + look + ", then try again."
	case status == http.StatusForbidden:
		// reply.Advice's names the create's roles; Data Access Admin does
		// not cover processors (access.DefaultRoles).
		return "The bot's Atlas key lacks a project role that covers stream processors (Project Owner or Project Stream Processing Owner), or its API access list does not include the bot's IP address: ask an Atlas admin."
	case status == http.StatusNotFound:
		return "Atlas does not know this project, or the bot's key cannot see it: check the project."
	case status == http.StatusTooManyRequests:
		return "Atlas rate limited the bot: wait a minute, then run the command again."
	case status >= 500:
		return "Atlas had trouble on its side: check with " + look + ", then try again."
	}
	return ""
}

// AtlasCounter is the [WorkspaceCounter] over the worker's Atlas client:
// it lists a workspace's processors (counting the STARTED ones as
// running) and its connections, for the delete confirmation. Plug it in as
// [Deps].Counts with the same source as [Deps].Atlas.
type AtlasCounter struct {
	Atlas AtlasSource
}

// CountWorkspace implements [WorkspaceCounter].
func (c AtlasCounter) CountWorkspace(ctx context.Context, groupID, workspace string) (WorkspaceCounts, error) {
	api, err := c.Atlas.Atlas(ctx)
	if err != nil {
		return WorkspaceCounts{}, err
	}
	ps, err := api.AllStreamProcessors(ctx, groupID, workspace)
	if err != nil {
		return WorkspaceCounts{}, err
	}
	cs, err := api.AllStreamConnections(ctx, groupID, workspace)
	if err != nil {
		return WorkspaceCounts{}, err
	}
	n := WorkspaceCounts{Processors: len(ps), Connections: len(cs)}
	for _, p := range ps {
		if p.State == atlas.ProcessorStarted {
			n.Running++
		}
	}
	return n, nil
}
