package access

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// GroupMembersAPI is the one Slack Web API method [SlackGroups] needs
// (usergroups.users.list). *slack.Client implements it.
type GroupMembersAPI interface {
	GetUserGroupMembersContext(ctx context.Context, userGroup string, options ...slack.GetUserGroupMembersOption) ([]string, error)
}

// failureTTL bounds how long a failed lookup is remembered: long enough
// that a burst of commands while Slack is down does not wait out the
// timeout on each one, short enough that a retry soon succeeds.
const failureTTL = 3 * time.Second

// SlackGroups is a [TeamGroupLookup] backed by Slack's
// usergroups.users.list, with a per-container cache. Each group's member list is kept for a TTL;
// a failed fetch is kept for at most a few seconds. Each fetch is bounded
// by a tight timeout, whatever the caller's deadline, and concurrent
// lookups of one group share a single fetch. It is safe for concurrent use.
type SlackGroups struct {
	api     GroupMembersAPI
	ttl     time.Duration
	timeout time.Duration
	now     func() time.Time // the clock; tests replace it

	mu    sync.Mutex
	cache map[string]*groupEntry // by team ID + "/" + user-group ID
}

// groupEntry is one group's member list, or the fetch still filling it
// (done open).
type groupEntry struct {
	done    chan struct{} // closed when members/err/expires are set
	members map[string]struct{}
	err     error
	expires time.Time
}

// NewSlackGroups returns a lookup that asks api for a group's members at
// most once per ttl, each request bounded by timeout (e.g. 700ms, so the
// Slack ack stays well within 3 seconds).
func NewSlackGroups(api GroupMembersAPI, ttl, timeout time.Duration) *SlackGroups {
	return &SlackGroups{api: api, ttl: ttl, timeout: timeout, now: time.Now, cache: map[string]*groupEntry{}}
}

// IsMember reports whether userID belongs to the user group groupID,
// from the cache when fresh. It returns an error when Slack did not answer
// (in time, or at all); the caller then treats the grant as not applying.
func (s *SlackGroups) IsMember(ctx context.Context, groupID, userID string) (bool, error) {
	return s.IsMemberInTeam(ctx, "", groupID, userID)
}

// IsMemberInTeam is [SlackGroups.IsMember] within the Slack workspace
// teamID, which it sends as usergroups.users.list's team_id. Slack requires
// team_id when the bot token is an org-level token (an org-wide install in
// an Enterprise Grid organization) and ignores it with a workspace token,
// so sending the request's own team is right on every install. An empty
// teamID sends none.
func (s *SlackGroups) IsMemberInTeam(ctx context.Context, teamID, groupID, userID string) (bool, error) {
	e := s.entry(ctx, teamID, groupID)
	select {
	case <-e.done:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	if e.err != nil {
		return false, e.err
	}
	_, ok := e.members[userID]
	return ok, nil
}

// entry returns the fresh or in-flight cache entry for groupID in teamID,
// starting a fetch if there is neither.
func (s *SlackGroups) entry(ctx context.Context, teamID, groupID string) *groupEntry {
	key := teamID + "/" + groupID
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.cache[key]; ok {
		select {
		case <-e.done:
			if s.now().Before(e.expires) {
				return e
			}
		default:
			return e // in flight: share it
		}
	}
	e := &groupEntry{done: make(chan struct{})}
	s.cache[key] = e
	// The fetch outlives a caller that gives up early, so that the callers
	// sharing it are not cancelled too; the timeout still bounds it.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	go func() {
		defer cancel()
		var opts []slack.GetUserGroupMembersOption
		if teamID != "" {
			opts = append(opts, slack.GetUserGroupMembersOptionTeamID(teamID))
		}
		ids, err := s.api.GetUserGroupMembersContext(fctx, groupID, opts...)
		if err == nil {
			e.members = make(map[string]struct{}, len(ids))
			for _, id := range ids {
				e.members[id] = struct{}{}
			}
		} else if fctx.Err() != nil {
			err = &lookupTimeoutError{err: err}
		}
		ttl := s.ttl
		if err != nil {
			ttl = min(ttl, failureTTL)
		}
		s.mu.Lock()
		e.err, e.expires = err, s.now().Add(ttl)
		s.mu.Unlock()
		close(e.done)
	}()
	return e
}

// lookupTimeoutError marks a fetch cut off by SlackGroups' own timeout.
type lookupTimeoutError struct{ err error }

func (e *lookupTimeoutError) Error() string {
	return "slack usergroups.users.list: timed out: " + e.err.Error()
}
func (e *lookupTimeoutError) Unwrap() error { return e.err }

// slackCode reports whether s has the shape of Slack's error codes
// (missing_scope, paid_teams_only, …), ^[a-z0-9_.]{1,64}$; anything else is
// not echoed. A loop: that pattern's {1,64} cost every cold start about
// 50 kB and 0.05 ms to compile at package initialization.
func slackCode(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// shortReason turns a group-lookup error into a few words fit for the
// caller: Slack's error code when it gave one, never a URL or token.
func shortReason(err error) string {
	var (
		slackErr slack.SlackErrorResponse
		rateErr  *slack.RateLimitedError
		timeout  *lookupTimeoutError
	)
	switch {
	case errors.As(err, &timeout), errors.Is(err, context.DeadlineExceeded):
		return "Slack did not answer in time"
	case errors.Is(err, context.Canceled):
		return "the request was cancelled"
	case errors.As(err, &rateErr):
		return "Slack is rate limiting the bot"
	case errors.As(err, &slackErr) && slackCode(slackErr.Err):
		return "Slack said " + slackErr.Err
	default:
		return "Slack could not be reached"
	}
}
