package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/pkg/atlas"
)

// Defaults for [Deps].
const (
	DefaultUIBaseURL    = "https://cloud.mongodb.com"
	DefaultReserve      = 5 * time.Second
	DefaultPollInterval = 2 * time.Second
	DefaultPollFor      = 20 * time.Second
	DefaultBudget       = 60 * time.Second
	// maxCreateRounds bounds the worker's own waits after a 429 on create,
	// on top of the client's retries.
	maxCreateRounds = 3
)

// Deps are the worker's collaborators and settings. Atlas is required;
// everything else has a default.
type Deps struct {
	// Atlas hands out the Atlas client (see [AtlasClients]).
	Atlas AtlasSource
	// Slack hands out the Slack Web API client (see [SlackClients]). When
	// it is nil or fails, answers go through the response_url only.
	Slack SlackSource
	// HTTPClient posts to response_urls; nil means a 10 s timeout client.
	HTTPClient *http.Client
	// SlackAPIURL is SLACK_API_URL. response_urls are posted to only on
	// Slack's own hosts or on this URL's origin (a local or test Slack);
	// see reply.CheckResponseURL.
	SlackAPIURL string
	// Now and Sleep are the clock; tests make both instant.
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
	// Logger receives one line per Job ("job done", "job failed" or "job
	// outcome lost") and a warning for each Slack delivery problem.
	Logger *slog.Logger
	// UIBaseURL is the Atlas UI origin for the stream processing link.
	UIBaseURL string
	// Reserve is the time kept back from the invocation deadline for the
	// Slack answer: Atlas work (the credentials, the role check, the
	// create) stops Reserve before the deadline. With less than 2*Reserve
	// left, half the time left is kept back instead.
	Reserve time.Duration
	// PollInterval and PollFor bound the wait for hostnames after a create.
	PollInterval, PollFor time.Duration
	// Budget is the time a Job may take when its context has no deadline.
	Budget time.Duration
	// DeletePollFor bounds the wait for a deleted workspace to disappear
	// (GET answering 404); zero means PollFor.
	DeletePollFor time.Duration
	// State is the record of operations (internal/state): the worker
	// claims every change before it runs, posts a parent message once and
	// records the outcome. nil means an in-memory store, once-only within
	// this process (tests; the functions and the local tool pass theirs).
	State state.Store
	// AfterParent, when set, runs after the parent message is recorded
	// and before Atlas is called; an error ends the Job there, as if its
	// worker died (fault tests: the retried Job must finish that parent).
	AfterParent func(ctx context.Context, job Job) error
	// Counts counts a workspace's processors and connections for the
	// delete confirmation; nil shows them as unknown.
	Counts WorkspaceCounter
}

// Worker carries out [Job]s: it creates stream workspaces idempotently and
// answers in Slack, or, invoked directly, returns the workspace. Build it
// once per container with [NewWorker]; it is safe for concurrent use.
type Worker struct {
	d   Deps
	log *slog.Logger
}

// NewWorker checks d, fills in the defaults and returns the worker.
func NewWorker(d Deps) (*Worker, error) {
	if d.Atlas == nil {
		return nil, errors.New("provision: no Atlas source")
	}
	if d.HTTPClient == nil {
		d.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Sleep == nil {
		d.Sleep = reply.Sleep
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.UIBaseURL == "" {
		d.UIBaseURL = DefaultUIBaseURL
	}
	d.UIBaseURL = strings.TrimRight(d.UIBaseURL, "/")
	if d.Reserve <= 0 {
		d.Reserve = DefaultReserve
	}
	if d.PollInterval <= 0 {
		d.PollInterval = DefaultPollInterval
	}
	if d.PollFor < 0 {
		d.PollFor = 0
	} else if d.PollFor == 0 {
		d.PollFor = DefaultPollFor
	}
	if d.Budget <= 0 {
		d.Budget = DefaultBudget
	}
	if d.DeletePollFor <= 0 {
		d.DeletePollFor = d.PollFor
	}
	if d.State == nil {
		d.State = state.NewMemory(state.WithClock(d.Now))
	}
	return &Worker{d: d, log: d.Logger}, nil
}

// Outcome is how a Job ended.
type Outcome string

// The outcomes of a Job.
const (
	OutcomeCreated        Outcome = "created"
	OutcomeAlreadyExisted Outcome = "already_existed"
	OutcomeFailed         Outcome = "failed"
	OutcomeDenied         Outcome = "denied"
	OutcomeListed         Outcome = "listed"
	OutcomeDescribed      Outcome = "described"
	OutcomeNotFound       Outcome = "not_found"
	// A confirmation was shown (update, delete); nothing changed yet.
	OutcomeAsked Outcome = "asked"
	// An update asked for the values the workspace already has.
	OutcomeNoChange       Outcome = "no_change"
	OutcomeUpdated        Outcome = "updated"
	OutcomeDeleted        Outcome = "deleted"
	OutcomeAlreadyDeleted Outcome = "already_deleted"
	OutcomeCancelled      Outcome = "cancelled"
	// A click came after the confirmation was decided: nothing was done.
	OutcomeAlreadyDecided Outcome = "already_decided"
	OutcomeNotified       Outcome = "notified"
	// A start or stop was sent; the answer shows the state Atlas reports
	// afterwards. (A processor already in the state asked for is
	// OutcomeNoChange: nothing was sent.)
	OutcomeStarted Outcome = "started"
	OutcomeStopped Outcome = "stopped"
	// Another attempt has the operation (a duplicate delivery) or has
	// answered it: this Job did nothing and said nothing.
	OutcomeDuplicate Outcome = "duplicate"
	// The state table could not record the operation: nothing was done.
	OutcomeUnrecorded Outcome = "unrecorded"
	// An approval request was posted; a decision on one was recorded.
	OutcomeAwaitingApproval Outcome = "awaiting_approval"
	OutcomeRejected         Outcome = "rejected"
	OutcomeExpired          Outcome = "expired"
	OutcomeHistory          Outcome = "history"
)

// Result is what [Worker.Handle] returns, as JSON. For a direct invocation
// it is the workspace's own JSON (the embedded StreamWorkspace) plus
// "outcome"; for a Slack Job, a summary of what happened and where the
// answer went.
type Result struct {
	*atlas.StreamWorkspace
	JobID   string      `json:"job_id,omitempty"`
	Outcome Outcome     `json:"outcome"`
	Route   reply.Route `json:"delivered,omitempty"`
	// Expired counts the approval requests an approval sweep
	// ([ActionSweepApprovals]) expired.
	Expired int `json:"expired,omitempty"`
}

// UIURL returns the Atlas UI page of a project's stream processing.
func (w *Worker) UIURL(groupID string) string {
	return w.d.UIBaseURL + "/v2/" + groupID + "#/streamProcessing"
}

// Handle carries out one Job. With a Slack target it answers in Slack and
// returns an error only when nothing reached Slack at all (so Lambda's
// retry, which finds the workspace by name and creates nothing twice, or the
// on-failure destination takes over). Without one (a direct invocation) it
// creates the workspace and returns it, or a [*CreateError] carrying
// Atlas's fields.
//
// A Job with [ActionSweepApprovals] (EventBridge's schedule) expires the
// lapsed approval requests instead; see sweep.go.
//
// Atlas work stops Reserve (at most half the time left) before ctx's
// deadline, so the answer can still be posted. Handle is the edge: it
// logs each Job once, as "job done", "job failed" or, when no answer
// reached anyone, "job outcome lost" with the Job's ID.
func (w *Worker) Handle(ctx context.Context, job Job) (*Result, error) {
	start := w.d.Now()
	hard, ok := ctx.Deadline()
	if !ok {
		hard = start.Add(w.d.Budget)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, hard)
		defer cancel()
	}
	reserve := max(min(w.d.Reserve, hard.Sub(start)/2), 0)
	r := &run{w: w, job: job, hard: hard, reserve: reserve, atlasUntil: hard.Add(-reserve)}
	var (
		res *Result
		err error
	)
	switch {
	case job.action() == ActionSweepApprovals:
		// Before the Slack target's test: a sweep has none, and is no
		// direct create.
		res, err = r.sweep(ctx)
	case job.Slack == nil:
		res, err = r.direct(ctx)
	default:
		res, err = r.slackJob(ctx)
	}
	w.logJob(ctx, r, res, err, w.d.Now().Sub(start))
	return res, err
}

// LogOutcomeLost is the message of the log line of a Job whose answer
// reached nobody. infra/template.yaml counts these lines with a metric
// filter and alarms on them: change both together.
const LogOutcomeLost = "job outcome lost"

// logJob writes the Job's one log line.
func (w *Worker) logJob(ctx context.Context, r *run, res *Result, err error, took time.Duration) {
	attrs := []any{"job", r.job, "duration_ms", took.Milliseconds()}
	if res != nil {
		attrs = append(attrs, "outcome", res.Outcome, "delivered", res.Route)
		if res.Outcome == OutcomeSwept {
			attrs = append(attrs, "expired", res.Expired)
		}
	}
	if r.problem != nil && err == nil {
		attrs = append(attrs, "problem", r.problem.Error())
	}
	switch {
	case r.lost != nil:
		// for the on-failure queue: the answer reached nobody
		w.log.ErrorContext(ctx, LogOutcomeLost, append(attrs, "job_id", r.job.ID, "error", r.lost.Error())...)
	case err != nil:
		w.log.ErrorContext(ctx, "job failed", append(attrs, "error", err.Error())...)
	case res != nil && res.Outcome == OutcomeFailed:
		w.log.WarnContext(ctx, "job done", attrs...)
	default:
		w.log.InfoContext(ctx, "job done", attrs...)
	}
}

// run is the state of one Job.
type run struct {
	w          *Worker
	job        Job
	hard       time.Time     // the invocation's deadline
	reserve    time.Duration // kept back from hard for the Slack answer
	atlasUntil time.Time     // Atlas work stops here: hard - reserve
	api        AtlasAPI
	refreshed  bool
	opid       string           // the ID the Job's buttons carry; see run.opID
	owner      string           // this attempt's claim on the operation; "" before a claim
	record     *state.Operation // the operation as claimed
	aborted    bool             // AfterParent ended the Job: no outcome is recorded
	problem    error            // the failure behind the answer, for the log
	lost       error            // why no answer was delivered, for the log
}

func (r *run) project() string {
	if r.job.ProjectAlias != "" {
		return r.job.ProjectAlias
	}
	return r.job.GroupID
}

// call runs f with the Atlas client; after a 401 it rebuilds the client
// from a fresh read of the secret, once per Job, and runs f again.
func (r *run) call(ctx context.Context, f func(AtlasAPI) error) error {
	err := f(r.api)
	if !atlas.IsStatus(err, http.StatusUnauthorized) || r.refreshed {
		return err
	}
	r.refreshed = true
	api, rerr := r.w.d.Atlas.RefreshAtlas(ctx)
	if rerr != nil {
		return errors.Join(err, rerr)
	}
	r.api = api
	return f(api)
}

// fits reports whether waiting d leaves Atlas work inside its deadline.
func (r *run) fits(d time.Duration) bool { return r.w.d.Now().Add(d).Before(r.atlasUntil) }

// direct serves a direct invocation: create and return the workspace.
func (r *run) direct(ctx context.Context) (*Result, error) {
	if a := r.job.action(); a != ActionCreate {
		return nil, fmt.Errorf("provision: a direct invocation creates a workspace; action %q needs a Slack target", a)
	}
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()
	api, err := r.w.d.Atlas.Atlas(actx)
	if err != nil {
		return nil, &CreateError{GroupID: r.job.GroupID, Name: r.job.Name, Err: err}
	}
	r.api = api
	o := r.create(ctx)
	if o.err != nil {
		r.problem = o.err
		return nil, &CreateError{GroupID: r.job.GroupID, Name: r.job.Name, Err: o.err, Tries: o.tries}
	}
	out := OutcomeCreated
	if o.existed {
		out = OutcomeAlreadyExisted
	}
	return &Result{StreamWorkspace: o.ws, JobID: r.job.ID, Outcome: out}, nil
}

// CreateError is a direct invocation's failure. Its text, which Lambda
// returns as the errorMessage, carries Atlas's status, reason, errorCode,
// detail and field violations, and one line of advice.
type CreateError struct {
	GroupID, Name string
	Err           error
	// Tries is how many create requests were sent.
	Tries int
}

// Error implements error.
func (e *CreateError) Error() string {
	head := fmt.Sprintf("create stream workspace %q in project %s", e.Name, e.GroupID)
	var ae *atlas.APIError
	if !errors.As(e.Err, &ae) {
		return head + ": " + e.Err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: atlas answered %d", head, ae.StatusCode)
	if ae.Reason != "" {
		b.WriteString(" " + ae.Reason)
	}
	if ae.ErrorCode != "" {
		b.WriteString(" (" + ae.ErrorCode + ")")
	}
	if d := firstNonEmpty(ae.Detail, ae.Body); d != "" {
		b.WriteString(": " + d)
	}
	if ae.BadRequestDetail != nil {
		for _, f := range ae.BadRequestDetail.Fields {
			fmt.Fprintf(&b, "; %s: %s", f.Field, f.Description)
		}
	}
	if adv := reply.Advice(ae.StatusCode, e.Tries); adv != "" {
		b.WriteString(". " + adv)
	}
	return b.String()
}

// Unwrap returns the underlying error (an *atlas.APIError, a
// *ConflictError, a *secrets.Error, a validation or transport error).
func (e *CreateError) Unwrap() error { return e.Err }

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// ConflictError says a workspace with the requested name exists with a
// different configuration.
type ConflictError struct {
	Name        string
	Differences []string
}

// Error implements error.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("a workspace named %q already exists with a different configuration: %s", e.Name, strings.Join(e.Differences, "; "))
}

// TimeoutError says Atlas did not answer the create request in time and a
// follow-up read found no workspace.
type TimeoutError struct {
	Err error
}

// Error implements error.
func (e *TimeoutError) Error() string {
	return "atlas did not answer the create request in time, and the workspace does not exist (yet): " + e.Err.Error()
}

// Unwrap returns the transport or context error.
func (e *TimeoutError) Unwrap() error { return e.Err }
