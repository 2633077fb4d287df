// Package slackbot is streambot's Slack edge: it answers Slack's
// `/stream …` slash commands within Slack's 3 seconds. For each request it
// checks Slack's signature, parses the command, applies the access policy,
// hands one [provision.Job] to the worker through a [Dispatcher], and
// answers with an ephemeral acknowledgement (or help, usage, denial or
// dry-run text).
//
// [Handler] is an http.Handler for the local server, and its
// [Handler.Handle] serves API Gateway HTTP API (payload 2.0) events in
// Lambda through a small buffered adapter, so both run the same code.
// After the signature check both call [Handler.Command], which is also the
// entry point for commands that arrive over Slack's Socket Mode (where the
// websocket, not a signature, authenticates Slack).
//
// The ack path makes no Atlas call and no Slack Web API call, except the
// access policy's cached user-group lookup.
package slackbot

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/secrets"
	"github.com/streambot/streambot/pkg/atlas"
)

// MaxBodyBytes is the largest request body the handler reads; larger ones
// get 413. Slack's slash-command payloads are a few hundred bytes.
const MaxBodyBytes = 64 << 10

// DefaultDispatchTimeout bounds the hand-off to the worker, so Slack still
// gets its answer within 3 seconds when the dispatch hangs.
const DefaultDispatchTimeout = 2 * time.Second

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
	// DispatchTimeout bounds Dispatch; zero means DefaultDispatchTimeout.
	DispatchTimeout time.Duration
}

// Handler serves Slack's slash-command requests. Create it with [New]; it
// is safe for concurrent use.
type Handler struct {
	secrets         SecretSource
	policy          *access.Policy
	dispatcher      Dispatcher
	now             func() time.Time
	log             *slog.Logger
	dispatchTimeout time.Duration
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
		dispatchTimeout: cfg.DispatchTimeout,
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.policy = h.policy.WithLogger(h.log)
	if cfg.Groups != nil {
		h.policy = h.policy.WithGroups(cfg.Groups)
	}
	if h.dispatchTimeout <= 0 {
		h.dispatchTimeout = DefaultDispatchTimeout
	}
	return h, nil
}

// ServeHTTP answers one slash-command request. Only an infrastructure
// fault (the signing secret cannot be read) gives a 500, logged here; every
// user mistake is a 200 with an ephemeral message.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.serve(w, r); err != nil {
		h.log.ErrorContext(r.Context(), "slack request failed", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// serve is the one code path behind ServeHTTP and Handle. It writes the
// response unless it returns an error (an infrastructure fault, for the
// caller to report).
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		w.Header()["Allow"] = allowPost
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil
	}
	body, err := readBody(w, r)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "cannot read request body", http.StatusBadRequest)
		}
		return nil
	}
	ctx := r.Context()

	// Parsing has no effects; only ssl_check is acted on before the
	// signature is checked. Slack's certificate check needs a bare 200,
	// which tells nobody anything and costs nothing.
	form, formErr := parseForm(string(body))
	if formErr == nil && form.SSLCheck {
		w.WriteHeader(http.StatusOK)
		return nil
	}

	sec, err := h.secrets.Slack(ctx)
	if err != nil {
		return err
	}
	if err := h.verify(ctx, r.Header, body, sec.SigningSecret); err != nil {
		h.log.WarnContext(ctx, "slack signature rejected", "reason", err.Error())
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return nil
	}
	if formErr != nil {
		http.Error(w, "malformed form body", http.StatusBadRequest)
		return nil
	}
	writeAck(w, h.Command(ctx, form.slackCommand()))
	return nil
}

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
func (h *Handler) verify(ctx context.Context, header http.Header, body []byte, secret string) error {
	err := verify(header, body, secret)
	if !errors.Is(err, errMismatch) {
		return err
	}
	// RefreshSlack returns the cached copy when it is younger than a
	// minute, which another request may have just re-read: compare
	// secrets rather than trusting "refreshed".
	fresh, _, rerr := h.secrets.RefreshSlack(ctx, secretMinAge)
	if rerr != nil {
		h.log.WarnContext(ctx, "slack secret re-read failed", "error", rerr)
		return err
	}
	if fresh.SigningSecret == secret {
		return err
	}
	return verify(header, body, fresh.SigningSecret)
}

func writeAck(w http.ResponseWriter, a reply.Ack) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(a.JSON())
}

// Command answers one slash command known to come from Slack: it parses the
// text, applies the access policy, hands at most one Job to the Dispatcher
// and returns the ephemeral acknowledgement for the caller. Every outcome,
// a failed dispatch included, is an Ack; it never fails.
//
// Command does not authenticate sc. [Handler.ServeHTTP] and [Handler.Handle]
// call it only after Slack's signature has been verified; a Socket Mode
// client calls it with the command of a slash_commands envelope, which the
// websocket opened with the app-level token vouches for. The Ack is the
// HTTP response body on the first path and the envelope's acknowledgement
// payload on the second.
func (h *Handler) Command(ctx context.Context, sc slack.SlashCommand) reply.Ack {
	cmd, err := command.Parse(sc.Text)
	if err != nil {
		return reply.AckUsage(err.Error())
	}
	var action access.Action
	switch cmd.Name {
	case command.Help:
		return reply.AckHelp(command.HelpFor(cmd.Topic))
	case command.Create:
		action = access.ActionCreate
	case command.List:
		action = access.ActionList
	case command.Describe:
		action = access.ActionDescribe
	default:
		return reply.AckHelp(command.HelpText())
	}
	if err := cmd.RequireRegion(h.policy.DefaultRegion()); err != nil {
		return reply.AckUsage(err.Error())
	}

	// Authorization comes before everything else, --dry-run included: a
	// dry run shows the project's ID in the request path, which only a
	// caller allowed on the project may see.
	d := h.policy.Authorize(ctx, access.Request{
		TeamID:    sc.TeamID,
		UserID:    sc.UserID,
		ChannelID: sc.ChannelID,
		Action:    action,
		Project:   cmd.Project,
	})
	if !d.Allowed {
		return reply.AckDenied(d.Reason)
	}

	job := h.job(&sc, &cmd, &d)
	project := d.ProjectAlias
	if project == "" {
		project = d.GroupID // no alias: the caller typed the ID
	}
	var ack reply.Ack
	switch job.Action {
	case provision.ActionCreate:
		ws := job.Workspace()
		if cmd.DryRun {
			method, path, body, err := atlas.PreviewCreate(job.GroupID, ws)
			if err != nil {
				return reply.AckInvalid(err)
			}
			return reply.AckDryRun(method, path, body)
		}
		// The check the Atlas client runs before sending, so a request
		// Atlas would refuse is answered now rather than in the thread.
		if err := atlas.ValidateCreate(job.GroupID, ws); err != nil {
			return reply.AckInvalid(err)
		}
		ack = reply.AckCreate(reply.Creating{
			Project: project, Name: job.Name, Provider: job.Provider, Region: job.Region,
			RegionInput: job.RegionInput, Tier: job.Tier, MaxTier: job.MaxTier, SampleSolar: job.SampleSolar,
		})
	case provision.ActionList:
		ack = reply.AckList(project)
	default:
		ack = reply.AckDescribe(project, job.Name)
	}

	dctx, cancel := context.WithTimeout(ctx, h.dispatchTimeout)
	err = h.dispatcher.Dispatch(dctx, job)
	cancel()
	if err != nil {
		h.log.ErrorContext(ctx, "job dispatch failed", "job", job, "refused", refused(err), "error", err)
		return handoffAck(job.ID, err)
	}
	if h.log.Enabled(ctx, slog.LevelInfo) {
		h.log.LogAttrs(ctx, slog.LevelInfo, "job dispatched", slog.Any("job", job))
	}
	return ack
}

// job builds the one Job an accepted command becomes.
func (h *Handler) job(sc *slack.SlashCommand, cmd *command.Command, d *access.Decision) provision.Job {
	id := sc.TriggerID
	if id == "" {
		id = rand.Text()
	}
	job := provision.Job{
		ID:           id,
		GroupID:      d.GroupID,
		ProjectAlias: d.ProjectAlias,
		Name:         cmd.Workspace,
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
	switch cmd.Name {
	case command.Create:
		job.Action = provision.ActionCreate
		job.Provider = string(cmd.Provider)
		job.Region = cmd.Region
		job.RegionInput = cmd.RegionInput
		job.Tier = string(cmd.Tier)
		job.MaxTier = string(cmd.MaxTier)
		job.SampleSolar = cmd.SampleSolar
	case command.List:
		job.Action = provision.ActionList
		job.Name = ""
	default:
		job.Action = provision.ActionDescribe
	}
	if d.AtlasRoleCheck {
		job.RequiredRoles = d.RequiredRoles
	}
	return job
}
