package provision

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/streambot/streambot/pkg/atlas"
)

// created is the result of the idempotent create.
type created struct {
	ws      *atlas.StreamWorkspace
	existed bool  // the workspace was there before this Job (or a redelivery of it)
	err     error // why it failed; nil on success
	tries   int   // create requests sent
}

// create makes sure the Job's workspace exists, without ever creating it
// twice: GET the name first; POST; after an answer that leaves the truth
// open (400, 409, 5xx, a timeout, a garbled body) GET again. A 429 is
// waited out while the deadline allows. Atlas work stops at r.atlasUntil.
func (r *run) create(ctx context.Context) created {
	want := r.job.Workspace()
	if err := atlas.ValidateCreate(r.job.GroupID, want); err != nil {
		return created{err: err}
	}
	actx, cancel := context.WithDeadline(ctx, r.atlasUntil)
	defer cancel()

	got, err := r.get(actx)
	switch {
	case err == nil:
		return r.existing(actx, want, got, true)
	case errors.Is(err, atlas.ErrNotFound):
		// the usual case; a 404 for the project itself shows again on POST
	case isFinal(err):
		return created{err: err}
	default:
		// 5xx, 429, a timeout: POST anyway. Names are unique per project,
		// so a second create cannot make a second workspace.
	}

	cctx, counter := withCreateCounter(actx)
	var postErr error
	rounds := 0
	for {
		rounds++
		var ws *atlas.StreamWorkspace
		postErr = r.call(cctx, func(api AtlasAPI) error {
			var err error
			ws, err = api.CreateStreamWorkspace(cctx, r.job.GroupID, want)
			return err
		})
		if postErr == nil {
			return created{ws: r.withHostnames(actx, ws), tries: tries(counter, rounds)}
		}
		var ae *atlas.APIError
		if !errors.As(postErr, &ae) || ae.StatusCode != http.StatusTooManyRequests || rounds >= maxCreateRounds {
			break
		}
		wait := max(ae.RetryAfter, time.Second)
		if !r.fits(wait) || r.w.d.Sleep(actx, wait) != nil {
			break
		}
	}
	n := tries(counter, rounds)
	if !needsConfirm(postErr) {
		return created{err: postErr, tries: n}
	}

	// Learn what is true. After a timeout actx is spent: the check may use
	// half of the time kept back for Slack.
	gctx, gcancel := context.WithDeadline(ctx, r.hard.Add(-r.reserve/2))
	defer gcancel()
	got, err = r.get(gctx)
	if err != nil {
		if isTimeout(postErr) {
			postErr = &TimeoutError{Err: postErr}
		}
		return created{err: postErr, tries: n}
	}
	// A 400 or 409 means the name was taken before this request; after a
	// 5xx or a timeout the workspace is most likely this request's own.
	existed := atlas.IsStatus(postErr, http.StatusBadRequest) || atlas.IsStatus(postErr, http.StatusConflict)
	c := r.existing(gctx, want, got, existed)
	c.tries = n
	return c
}

func tries(c *createCounter, rounds int) int { return max(int(c.n.Load()), rounds) }

// get reads the Job's workspace.
func (r *run) get(ctx context.Context) (*atlas.StreamWorkspace, error) {
	var ws *atlas.StreamWorkspace
	err := r.call(ctx, func(api AtlasAPI) error {
		var err error
		ws, err = api.GetStreamWorkspace(ctx, r.job.GroupID, r.job.Name)
		return err
	})
	return ws, err
}

// existing judges a workspace found under the requested name: the same
// configuration is a success, a different one a [*ConflictError].
func (r *run) existing(ctx context.Context, want, got *atlas.StreamWorkspace, existed bool) created {
	if diffs := differences(want, got); len(diffs) > 0 {
		return created{err: &ConflictError{Name: want.Name, Differences: diffs}}
	}
	return created{ws: r.withHostnames(ctx, got), existed: existed}
}

// differences lists how got differs from want in the fields a create sets.
// A field Atlas leaves out of its answer is unknown, not different (Atlas
// may omit maxTierSize, or a whole object); an empty max tier in want
// accepts whatever Atlas chose.
func differences(want, got *atlas.StreamWorkspace) []string {
	wp, wr, wt, wm := parts(want)
	gp, gr, gt, gm := parts(got)
	var out []string
	if (gp != "" && gp != wp) || (gr != "" && gr != wr) {
		out = append(out, fmt.Sprintf("it runs in %s / %s, you asked for %s / %s", orNone(string(gp)), orNone(gr), wp, wr))
	}
	if gt != "" && gt != wt {
		out = append(out, fmt.Sprintf("its tier is %s, you asked for %s", gt, wt))
	}
	if gm != "" && wm != "" && gm != wm {
		out = append(out, fmt.Sprintf("its max tier is %s, you asked for %s", gm, wm))
	}
	return out
}

// parts returns a workspace's provider, region, tier and max tier, each
// empty when absent.
func parts(w *atlas.StreamWorkspace) (p atlas.Provider, region string, tier, maxTier atlas.Tier) {
	if w.DataProcessRegion != nil {
		p, region = w.DataProcessRegion.CloudProvider, w.DataProcessRegion.Region
	}
	if w.StreamConfig != nil {
		tier, maxTier = w.StreamConfig.Tier, w.StreamConfig.MaxTierSize
	}
	return p, region, tier, maxTier
}

func orNone(s string) string {
	if s == "" {
		return "not set"
	}
	return s
}

// withHostnames polls briefly while Atlas has not assigned hostnames yet,
// within PollFor and the Atlas deadline. It returns the latest copy.
func (r *run) withHostnames(ctx context.Context, ws *atlas.StreamWorkspace) *atlas.StreamWorkspace {
	end := r.w.d.Now().Add(r.w.d.PollFor)
	if end.After(r.atlasUntil) {
		end = r.atlasUntil
	}
	for len(ws.Hostnames) == 0 && r.w.d.Now().Add(r.w.d.PollInterval).Before(end) {
		if r.w.d.Sleep(ctx, r.w.d.PollInterval) != nil {
			break
		}
		got, err := r.get(ctx)
		if err != nil {
			break
		}
		ws = got
	}
	return ws
}

// isFinal reports whether a GET error ends the Job: an Atlas refusal that
// a POST would get too (401 after the refresh, 402, 403), or a failed
// token exchange.
func isFinal(err error) bool {
	var ae *atlas.APIError
	if !errors.As(err, &ae) {
		return errors.Is(err, atlas.ErrInvalid)
	}
	if atlas.IsTokenError(err) {
		// The client already retried the exchange; a POST would need the
		// same token, and a follow-up GET too.
		return true
	}
	switch ae.StatusCode {
	case http.StatusUnauthorized, http.StatusPaymentRequired, http.StatusForbidden:
		return true
	}
	return false
}

// needsConfirm reports whether the create's outcome is open after err: a
// 400 or 409 (the name may be taken), a 5xx, a timeout, a dropped
// connection or a body that could not be read.
func needsConfirm(err error) bool {
	var ae *atlas.APIError
	if !errors.As(err, &ae) {
		return !errors.Is(err, atlas.ErrInvalid)
	}
	return ae.StatusCode == http.StatusBadRequest || ae.StatusCode == http.StatusConflict || ae.StatusCode >= 500
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &te) && te.Timeout())
}
