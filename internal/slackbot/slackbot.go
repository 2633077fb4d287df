// Package slackbot is streambot's Slack edge: it answers Slack's
// `/stream …` slash commands and button clicks within Slack's 3 seconds.
// For each request it checks Slack's signature, parses the command (or the
// click's button value), applies the access policy to the caller (or the
// clicking person), hands one [provision.Job] to the worker through a
// [Dispatcher], and answers with an ephemeral acknowledgement (or help,
// usage, denial or dry-run text; a click gets an empty 200). What differs
// between operations is read from their declarations (command.Op): the
// policy action, the acknowledgement, the dry run, the offered buttons.
//
// Slash commands arrive on /slack/commands and interactions on
// /slack/interactions; see [Handler.Interaction].
//
// [Handler] is an http.Handler for the local server, and its
// [Handler.Handle] serves API Gateway HTTP API (payload 2.0) events in
// Lambda through a small buffered adapter, so both run the same code.
// After the signature check both call [Handler.Command], which is also the
// entry point for commands that arrive over Slack's Socket Mode (where the
// websocket, not a signature, authenticates Slack).
//
// `/stream create` with no arguments and the global shortcut open the
// create form (package form) with views.open before acknowledging, and its
// view_submission goes the way of a typed create; see modal.go.
//
// The ack path makes no Atlas call and no Slack Web API call, except the
// access policy's cached user-group lookup and views.open for the form. A
// request that may change something costs one conditional write to the
// state table (see [Handler.Start]): recorded once, or held for an approval.
package slackbot

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/secrets"
	"github.com/streambot/streambot/internal/state"
)

// MaxBodyBytes is the largest request body the handler reads; larger ones
// get 413. Slack's slash-command payloads are a few hundred bytes.
const MaxBodyBytes = 64 << 10

// DefaultAckBudget bounds the edge's waiting on one request, from its
// arrival (API Gateway's receipt of it, for an event) to its answer: a
// re-read of a rotated signing secret, views.open, the state table, the
// hand-off to the worker and an approval's writes. (User-group lookups
// keep their own bound, 700 ms in the functions, and are cached; the cold
// start's first secret read has its own 2 s.) Slack shows the person an
// error when the answer takes more than 3 seconds; the 0.8 s left is for
// the network and API Gateway (an event's budget starts at API Gateway's
// receipt, so Lambda's invoke and a cold start's init are inside it).
// Each step keeps its own bound within it (the state table's leaves time
// for the hand-off), and a step that runs out is answered as that step's
// failure ("nothing was done", "the outcome is unknown"), in time. Without
// one budget the steps' own bounds added up to more than 3 seconds when
// everything was slow at once.
const DefaultAckBudget = 2200 * time.Millisecond

// DefaultStateTimeout bounds the state-table work of one request on the
// ack path (a Begin; an approval's read and decision), so that a hanging
// or throttled table is answered "unavailable, nothing was done" instead
// of running into the function's timeout, where Slack shows an error.
const DefaultStateTimeout = 1500 * time.Millisecond

// secretMinAge is how old the cached signing secret must be before a
// signature mismatch makes the handler re-read it (rotation). It also caps
// the re-reads bad requests can cause at one a minute.
const secretMinAge = time.Minute

// SecretSource provides the Slack app's secrets, cached. *secrets.Store
// implements it.
type SecretSource interface {
	// Slack returns the cached secrets, loading them on first use.
	Slack(ctx context.Context) (secrets.Slack, error)
	// RefreshSlack re-reads the secrets if the cached copy is older than
	// minAge, reporting whether it did.
	RefreshSlack(ctx context.Context, minAge time.Duration) (secrets.Slack, bool, error)
}

// Dispatcher hands a Job to the worker: a Lambda async invoke in AWS
// (dispatch.Lambda), a goroutine locally. Dispatch must return quickly;
// the handler bounds its ctx.
type Dispatcher interface {
	Dispatch(ctx context.Context, job provision.Job) error
}

// Config is what [New] needs. Secrets, Policy and Dispatcher are required.
type Config struct {
	Secrets    SecretSource
	Policy     *access.Policy
	Dispatcher Dispatcher
	// Groups, when set, checks the policy's group grants (normally an
	// *access.SlackGroups); nil keeps whatever the policy has.
	Groups access.GroupLookup
	// Now stamps Job.RequestedAt; nil means time.Now. (The signature's
	// 5-minute window is checked against the wall clock by slack-go.)
	Now func() time.Time
	// Logger receives the handler's and the policy's events; nil means
	// slog.Default().
	Logger *slog.Logger
	// AckBudget bounds the edge's work on one request; zero means
	// DefaultAckBudget.
	AckBudget time.Duration
	// DispatchTimeout bounds Dispatch within the ack budget; zero means
	// no bound but the budget's: the hand-off is the edge's last step, and
	// has what the steps before it left (at least the budget less the
	// state table's bound).
	DispatchTimeout time.Duration
	// StateTimeout bounds a request's state-table work; zero means
	// DefaultStateTimeout.
	StateTimeout time.Duration
	// Interactions answer the interaction types the edge does not handle
	// itself; block_actions are the edge's, and so are, unless given here,
	// view_submission and shortcut (the create form, see [Handler.Command]).
	Interactions map[slack.InteractionType]InteractionHandler
	// Views opens the create form (views.open) with the bot token,
	// normally the container's one *SlackBot. Without it, `/stream create`
	// with no arguments answers with form.FallbackText and the global
	// shortcut does nothing.
	Views Views
	// ViewsTimeout bounds views.open; zero means DefaultViewsTimeout.
	ViewsTimeout time.Duration
	// State records every changing operation once and decides approvals
	// (state.FromEnv: DynamoDB in Lambda); nil means an in-memory store,
	// once-only within this process.
	State state.Store
}

// Handler serves Slack's slash-command requests. Create it with [New]; it
// is safe for concurrent use.
type Handler struct {
	secrets SecretSource
	policy  *access.Policy
	// quiet is policy without the audit log, for the checks behind the
	// buttons offered on an answer: they decide what is shown, not what
	// is done (a click is authorized, and audited, again).
	quiet           *access.Policy
	dispatcher      Dispatcher
	now             func() time.Time
	log             *slog.Logger
	ackBudget       time.Duration
	dispatchTimeout time.Duration
	stateTimeout    time.Duration
	interactions    map[slack.InteractionType]InteractionHandler
	views           Views
	viewsTimeout    time.Duration
	state           state.Store
}

// New returns a Handler, or an error if a required dependency is missing.
func New(cfg Config) (*Handler, error) {
	var errs []error
	if cfg.Secrets == nil {
		errs = append(errs, errors.New("slackbot: no secret source"))
	}
	if cfg.Policy == nil {
		errs = append(errs, errors.New("slackbot: no access policy"))
	}
	if cfg.Dispatcher == nil {
		errs = append(errs, errors.New("slackbot: no dispatcher"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	h := &Handler{
		secrets:         cfg.Secrets,
		policy:          cfg.Policy,
		dispatcher:      cfg.Dispatcher,
		now:             cfg.Now,
		log:             cfg.Logger,
		ackBudget:       cfg.AckBudget,
		dispatchTimeout: cfg.DispatchTimeout,
		stateTimeout:    cfg.StateTimeout,
		interactions:    maps.Clone(cfg.Interactions),
		views:           cfg.Views,
		viewsTimeout:    cfg.ViewsTimeout,
		state:           cfg.State,
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.state == nil {
		h.state = state.NewMemory(state.WithClock(h.now))
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.policy = h.policy.WithLogger(h.log)
	if cfg.Groups != nil {
		h.policy = h.policy.WithGroups(cfg.Groups)
	}
	if h.ackBudget <= 0 {
		h.ackBudget = DefaultAckBudget
	}
	if h.viewsTimeout <= 0 {
		h.viewsTimeout = DefaultViewsTimeout
	}
	if h.stateTimeout <= 0 {
		h.stateTimeout = DefaultStateTimeout
	}
	h.quiet = h.policy.WithLogger(slog.New(slog.DiscardHandler))
	h.formInteractions()
	return h, nil
}

// ServeHTTP answers one slash-command request, or, on a path ending in
// /slack/interactions, one interactivity request (see [Handler.Interaction]). Only an infrastructure
// fault (the signing secret cannot be read) gives a 500, logged here; every
// user mistake is a 200 with an ephemeral message.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r.Method) {
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "cannot read request body", http.StatusBadRequest)
		}
		return
	}
	if err := h.serve(r.Context(), w, r.URL.Path, signedBy(r.Header), string(body)); err != nil {
		h.log.ErrorContext(r.Context(), "slack request failed", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// allowMethod answers 405 to anything but a POST, and reports whether the
// method is POST.
func allowMethod(w http.ResponseWriter, method string) bool {
	if method == http.MethodPost {
		return true
	}
	w.Header()["Allow"] = allowPost
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// serve is the one code path behind ServeHTTP and Handle, for a POST to
// path with the given signature headers and body (at most MaxBodyBytes, read by the
// caller: ServeHTTP from the request, Handle from the event, without
// another copy). It writes the response unless it returns an error (an
// infrastructure fault, for the caller to report).
func (h *Handler) serve(ctx context.Context, w http.ResponseWriter, path string, sig sigHeaders, body string) error {
	ctx = h.withAckBudget(ctx)
	// Parsing has no effects; only ssl_check is acted on before the
	// signature is checked. Slack's certificate check needs a bare 200,
	// which tells nobody anything and costs nothing.
	form, formErr := parseForm(body)
	if formErr == nil && form.SSLCheck {
		w.WriteHeader(http.StatusOK)
		return nil
	}

	sec, err := h.secrets.Slack(ctx)
	if err != nil {
		return err
	}
	if err := h.verify(ctx, sig, body, sec.SigningSecret); err != nil {
		h.log.WarnContext(ctx, "slack signature rejected", "reason", err.Error())
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return nil
	}
	if isInteraction(path) {
		// Slack shows the person an error for anything but a 200.
		writeInteraction(w, h.interaction(ctx, body))
		return nil
	}
	if formErr != nil {
		http.Error(w, "malformed form body", http.StatusBadRequest)
		return nil
	}
	writeAck(w, h.Command(ctx, form.slackCommand()))
	return nil
}

// ackEndKey is the context key of the moment a request's ack budget
// ends (a time.Time), set once per request by withAckBudget.
type ackEndKey struct{}

// withAckBudget returns ctx carrying the end of the ack budget, from now,
// unless it carries one already (a request's ctx, once serve set it). It
// starts no timer: the steps that wait on something (see [within]) bound
// themselves by it, and a request that waits on nothing (a dry run, help,
// a denial) costs no timer at all. (A context with a deadline here cost
// every request a runtime timer, and the netpoller a wake-up to adjust
// its sleep, about 5 µs of CPU: serve's warm ack was measured beside a
// bare floor that has no timer.)
func (h *Handler) withAckBudget(ctx context.Context) context.Context {
	return h.withAckBudgetFrom(ctx, time.Now())
}

// withAckBudgetFrom is withAckBudget with the budget running from start,
// when the request arrived.
func (h *Handler) withAckBudgetFrom(ctx context.Context, start time.Time) context.Context {
	if _, ok := ctx.Value(ackEndKey{}).(time.Time); ok {
		return ctx
	}
	return context.WithValue(ctx, ackEndKey{}, start.Add(h.ackBudget))
}

// maxEventAge is the oldest an event's timeEpoch is believed: a request
// late by more has met a clock that is off, not a slow cold start.
const maxEventAge = time.Minute

// arrival returns when API Gateway received the request, as its event says
// (timeEpoch, milliseconds), so that a cold start's init counts against
// the ack budget as it does against Slack's 3 seconds (a request that
// arrives with the budget spent is answered at once that nothing was
// done, rather than run after Slack has given up on it); now when the
// event says nothing credible (no time, one older than maxEventAge, or one
// ahead of this clock).
func arrival(timeEpoch int64, now time.Time) time.Time {
	if timeEpoch <= 0 {
		return now
	}
	t := time.UnixMilli(timeEpoch)
	if t.After(now) || now.Sub(t) > maxEventAge {
		return now
	}
	return t
}

// within returns ctx bounded to d from now (d > 0) and to the end of its
// ack budget, whichever comes first; or ctx itself, with no new context,
// timer or allocation, when ctx ends by then already or there is no
// bound.
func within(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	end, bounded := ctx.Value(ackEndKey{}).(time.Time)
	if d > 0 {
		if step := time.Now().Add(d); !bounded || step.Before(end) {
			end, bounded = step, true
		}
	}
	if !bounded {
		return ctx, noCancel
	}
	if parent, ok := ctx.Deadline(); ok && !parent.After(end) {
		return ctx, noCancel
	}
	return context.WithDeadline(ctx, end)
}

// takeBackReserve is the part of the ack budget an approved hand-off
// leaves for taking the approval back if it fails (one conditional write).
const takeBackReserve = 500 * time.Millisecond

// budgetLess returns ctx with its ack budget ending d sooner (ctx as it is
// when it carries none).
func budgetLess(ctx context.Context, d time.Duration) context.Context {
	end, ok := ctx.Value(ackEndKey{}).(time.Time)
	if !ok {
		return ctx
	}
	return context.WithValue(ctx, ackEndKey{}, end.Add(-d))
}

// noCancel is the CancelFunc of a ctx that within returned as it was.
func noCancel() {}

var (
	allowPost       = []string{http.MethodPost}
	jsonContentType = []string{"application/json"}
)

// readBody reads at most MaxBodyBytes, in one allocation when the length
// is known.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, &http.MaxBytesError{Limit: MaxBodyBytes}
	}
	rd := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if r.ContentLength <= 0 {
		return io.ReadAll(rd)
	}
	buf := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(rd, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// verify checks the request's signature with secret. When the signature
// is well formed and fresh but does not match, and the cached secret is
// older than a minute, it re-reads the secret once (it may have been
// rotated) and tries again.
func (h *Handler) verify(ctx context.Context, sig sigHeaders, body string, secret string) error {
	err := verifySigned(sig, body, secret)
	if !errors.Is(err, errMismatch) {
		return err
	}
	// RefreshSlack returns the cached copy when it is younger than a
	// minute, which another request may have just re-read: compare
	// secrets rather than trusting "refreshed".
	rctx, cancel := within(ctx, 0)
	fresh, _, rerr := h.secrets.RefreshSlack(rctx, secretMinAge)
	cancel()
	if rerr != nil {
		h.log.WarnContext(ctx, "slack secret re-read failed", "error", rerr)
		return err
	}
	if fresh.SigningSecret == secret {
		return err
	}
	return verifySigned(sig, body, fresh.SigningSecret)
}

func writeInteraction(w http.ResponseWriter, body []byte) {
	if len(body) == 0 {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func writeAck(w http.ResponseWriter, a reply.Ack) {
	if a.Empty() {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(a.JSON())
}

// Command answers one slash command known to come from Slack: it parses the
// text, applies the access policy, hands at most one Job to the Dispatcher
// and returns the ephemeral acknowledgement for the caller. Every outcome,
// a failed dispatch included, is an Ack; it never fails. An operation that
// opens a form when typed with no arguments (create) opens it here, with
// views.open and sc's trigger_id, and is acknowledged with [reply.AckNone]
// (an empty 200); if Slack refuses to open it, the caller is told to type
// the command with flags (form.FallbackText).
//
// Command does not authenticate sc. [Handler.ServeHTTP] and [Handler.Handle]
// call it only after Slack's signature has been verified; a Socket Mode
// client calls it with the command of a slash_commands envelope, which the
// websocket opened with the app-level token vouches for. The Ack is the
// HTTP response body on the first path and the envelope's acknowledgement
// payload on the second.
func (h *Handler) Command(ctx context.Context, sc slack.SlashCommand) reply.Ack {
	ctx = h.withAckBudget(ctx)
	cmd, err := command.Parse(sc.Text)
	if err != nil {
		return reply.AckUsage(err.Error())
	}
	op := command.Lookup(cmd.Name)
	if cmd.Name == command.Help || op == nil || op.Action == "" {
		return reply.AckHelp(command.HelpFor(cmd.Topic))
	}
	if cmd.Form {
		return h.openForm(ctx, &sc, op)
	}
	if err := cmd.RequireRegion(h.policy.DefaultRegion()); err != nil {
		return reply.AckUsage(err.Error())
	}

	// Authorization comes before everything else, --dry-run included: a
	// dry run shows the project's ID in the request path, which only a
	// caller allowed on the project may see.
	req := access.Request{TeamID: sc.TeamID, EnterpriseID: sc.EnterpriseID, UserID: sc.UserID, ChannelID: sc.ChannelID,
		Action: op.Action, Resource: op.Resource, Project: cmd.Project}
	d := h.policy.Authorize(ctx, req)
	if !d.Allowed {
		return reply.AckDeniedMrkdwn(d.Mrkdwn())
	}

	job := h.job(&sc, &cmd, op, &d)
	if cmd.DryRun {
		method, path, body, err := provision.Preview(job)
		if err != nil {
			return reply.AckInvalid(err)
		}
		return reply.AckDryRun(string(op.Name()), method, path, body)
	}
	ack, _ := h.accept(ctx, job, op, req, &d, true)
	return ack
}

// accept validates the Job of an accepted operation, sets the buttons its
// answer may offer and the caller's acknowledgement, and hands it on
// through [Handler.Start] (the state table, approvals, the dispatch). It
// reports whether the Job was handed over. A typed command
// ([Handler.Command]) and a submitted create form alike come through
// here. req and d are the authorized request and the policy's decision.
// working says whether the caller shows the acknowledgement of a Job
// handed over ("Working on it…"); without it (the form, which closes) that
// ack is not built and comes back empty, a refusal's ack all the same.
func (h *Handler) accept(ctx context.Context, job provision.Job, op *command.Op, req access.Request, d *access.Decision, working bool) (reply.Ack, bool) {
	// The check the Atlas client runs before sending, so a request Atlas
	// would refuse is answered now rather than in the thread.
	if err := provision.Check(job); err != nil {
		return reply.AckInvalid(err), false
	}
	job.Offers = h.offers(ctx, op, req)
	project := d.ProjectAlias
	if project == "" {
		project = d.GroupID // no alias: the caller typed the ID
	}
	var ack reply.Ack
	switch {
	case !working:
	case op.Name() == command.Create:
		ack = reply.AckCreate(reply.Creating{
			Project: project, Name: job.Name, Provider: job.Provider, Region: job.Region,
			RegionInput: job.RegionInput, Tier: job.Tier, MaxTier: job.MaxTier, SampleSolar: job.SampleSolar,
		})
	case job.Processor != "":
		ack = reply.AckWorking(op.Working, project, job.Name, job.Processor)
	default:
		ack = reply.AckWorking(op.Working, project, job.Name)
	}
	ack, refused := h.start(ctx, job, ack)
	return ack, refused == ""
}

// dispatch hands job to the worker within the ack budget (and the
// dispatch timeout, if set) and logs the outcome; it returns the
// Dispatcher's error (see [handoffAck]).
func (h *Handler) dispatch(ctx context.Context, job provision.Job) error {
	dctx, cancel := within(ctx, h.dispatchTimeout)
	var err error
	if dctx.Err() != nil {
		// The steps before left the hand-off no time: nothing is sent,
		// and the answer can say so for certain.
		err = noTimeLeft{dctx.Err()}
	} else {
		err = h.dispatcher.Dispatch(dctx, job)
	}
	cancel()
	if err != nil {
		h.log.ErrorContext(ctx, "job dispatch failed", "job", job, "refused", refused(err), "error", err)
		return err
	}
	if h.log.Enabled(ctx, slog.LevelInfo) {
		h.log.LogAttrs(ctx, slog.LevelInfo, "job dispatched", slog.Any("job", job))
	}
	return nil
}

// offers returns the operations op's answer offers as buttons that the
// caller of req may use on the same project: the worker shows only those.
func (h *Handler) offers(ctx context.Context, op *command.Op, req access.Request) []string {
	var out []string
	for _, n := range op.Offers {
		o := command.Lookup(n)
		if o == nil {
			continue
		}
		r := req
		r.Action, r.Resource = o.Action, o.Resource
		if h.quiet.Authorize(ctx, r).Allowed {
			out = append(out, string(n))
		}
	}
	return out
}

// job builds the one Job an accepted command becomes. Its action is the
// operation's name; the values are the command's, canonical.
func (h *Handler) job(sc *slack.SlashCommand, cmd *command.Command, op *command.Op, d *access.Decision) provision.Job {
	id := sc.TriggerID
	if id == "" {
		id = rand.Text()
	}
	job := provision.Job{
		ID:           id,
		Action:       provision.Action(op.Name()),
		GroupID:      d.GroupID,
		ProjectAlias: d.ProjectAlias,
		Name:         cmd.Workspace,
		Processor:    cmd.Processor,
		Provider:     string(cmd.Provider),
		Region:       cmd.Region,
		RegionInput:  cmd.RegionInput,
		Tier:         string(cmd.Tier),
		MaxTier:      string(cmd.MaxTier),
		SampleSolar:  cmd.SampleSolar,
		Slack: &provision.SlackTarget{
			TeamID:      sc.TeamID,
			ChannelID:   sc.ChannelID,
			UserID:      sc.UserID,
			UserName:    sc.UserName,
			ResponseURL: sc.ResponseURL,
			Command:     sc.Command,
		},
		RequestedAt: h.now(),
	}
	if d.AtlasRoleCheck {
		job.RequiredRoles = d.RequiredRoles
	}
	return job
}
