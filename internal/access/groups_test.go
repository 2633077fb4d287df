package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// fakeGroups is a GroupLookup from a fixed membership table.
type fakeGroups map[string][]string

func (f fakeGroups) IsMember(_ context.Context, groupID, userID string) (bool, error) {
	return slices.Contains(f[groupID], userID), nil
}

// failingGroups is a GroupLookup whose every lookup fails as Slack would.
type failingGroups struct{}

func (failingGroups) IsMember(context.Context, string, string) (bool, error) {
	return false, slack.SlackErrorResponse{Err: "missing_scope"}
}

// fakeAPI is a GroupMembersAPI with a function field, counting calls.
type fakeAPI struct {
	calls     atomic.Int32
	membersFn func(ctx context.Context, group string) ([]string, error)
}

func (f *fakeAPI) GetUserGroupMembersContext(ctx context.Context, group string, _ ...slack.GetUserGroupMembersOption) ([]string, error) {
	f.calls.Add(1)
	return f.membersFn(ctx, group)
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestGroups(api GroupMembersAPI, ttl, timeout time.Duration) (*SlackGroups, *fakeClock) {
	clock := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := NewSlackGroups(api, ttl, timeout)
	s.now = clock.now
	return s, clock
}

func TestSlackGroupsCache(t *testing.T) {
	api := &fakeAPI{membersFn: func(context.Context, string) ([]string, error) { return []string{"U1AB", "U2AB"}, nil }}
	s, clock := newTestGroups(api, time.Minute, time.Second)
	check := func(user string, want bool, wantCalls int32) {
		t.Helper()
		got, err := s.IsMember(t.Context(), "S0PLATFORM", user)
		if err != nil || got != want {
			t.Errorf("IsMember(S0PLATFORM, %s) = %v, %v; want %v, nil", user, got, err, want)
		}
		if got := api.calls.Load(); got != wantCalls {
			t.Errorf("after IsMember(%s): %d API calls, want %d", user, got, wantCalls)
		}
	}
	check("U1AB", true, 1)
	check("U3AB", false, 1) // cache hit
	clock.advance(59 * time.Second)
	check("U2AB", true, 1) // still within the TTL
	clock.advance(2 * time.Second)
	check("U2AB", true, 2) // expired: refetched
	if _, err := s.IsMember(t.Context(), "S0OTHER", "U1AB"); err != nil {
		t.Fatal(err)
	}
	if got := api.calls.Load(); got != 3 {
		t.Errorf("another group: %d API calls, want 3 (one per group)", got)
	}
}

func TestSlackGroupsFailure(t *testing.T) {
	fail := true
	var mu sync.Mutex
	api := &fakeAPI{membersFn: func(context.Context, string) ([]string, error) {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return nil, slack.SlackErrorResponse{Err: "missing_scope"}
		}
		return []string{"U0PLATFORM"}, nil
	}}
	s, clock := newTestGroups(api, time.Hour, time.Second)
	p := loadTestPolicy(t).WithLogger(discardLogger()).WithGroups(s)
	req := Request{UserID: "U0PLATFORM", ChannelID: "C0OTHER", Action: ActionCreate, Project: "dev"}

	d := p.Authorize(t.Context(), req)
	want := "create on project dev needs " + createRoles + "; your user groups could not be checked: Slack said missing_scope, so try again or ask a policy admin"
	if d.Allowed || d.Reason != want {
		t.Errorf("Authorize() = %+v, want a denial %q", d, want)
	}
	// The failure is remembered only briefly.
	p.Authorize(t.Context(), req)
	if got := api.calls.Load(); got != 1 {
		t.Errorf("API calls right after a failure = %d, want 1", got)
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	clock.advance(failureTTL)
	if d := p.Authorize(t.Context(), req); !d.Allowed {
		t.Errorf("Authorize() after Slack recovered = %+v, want allowed", d)
	}
	if got := api.calls.Load(); got != 2 {
		t.Errorf("API calls after the failure expired = %d, want 2", got)
	}
}

func TestSlackGroupsTimeout(t *testing.T) {
	var sawDeadline atomic.Bool
	api := &fakeAPI{membersFn: func(ctx context.Context, _ string) ([]string, error) {
		_, ok := ctx.Deadline()
		sawDeadline.Store(ok)
		<-ctx.Done() // Slack never answers
		return nil, fmt.Errorf("post usergroups.users.list: %w", ctx.Err())
	}}
	s, _ := newTestGroups(api, time.Hour, 20*time.Millisecond)
	// The caller's own context has no deadline: the lookup's timeout must
	// still end the call.
	_, err := s.IsMember(context.Background(), "S0PLATFORM", "U0PLATFORM")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("IsMember() error = %v, want context.DeadlineExceeded", err)
	}
	if !sawDeadline.Load() {
		t.Error("the Slack call got a context without a deadline")
	}
	p := loadTestPolicy(t).WithLogger(discardLogger()).WithGroups(s)
	d := p.Authorize(t.Context(), Request{UserID: "U0PLATFORM", ChannelID: "C0OTHER", Action: ActionCreate})
	if d.Allowed || !strings.Contains(d.Reason, "your user groups could not be checked: Slack did not answer in time") {
		t.Errorf("Authorize() = %+v, want a denial saying Slack did not answer in time", d)
	}
}

func TestSlackGroupsSharedFetch(t *testing.T) {
	release := make(chan struct{})
	api := &fakeAPI{membersFn: func(context.Context, string) ([]string, error) {
		<-release
		return []string{"U1AB"}, nil
	}}
	s, _ := newTestGroups(api, time.Hour, time.Minute)
	first := s.entry(t.Context(), "", "S1AB")
	for range 5 {
		if e := s.entry(t.Context(), "", "S1AB"); e != first {
			t.Fatal("a second lookup while a fetch is in flight started its own")
		}
	}
	// A caller that gives up does not cancel the shared fetch.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.IsMember(ctx, "S1AB", "U1AB"); !errors.Is(err, context.Canceled) {
		t.Errorf("IsMember(cancelled ctx) error = %v, want context.Canceled", err)
	}
	close(release)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if ok, err := s.IsMember(t.Context(), "S1AB", "U1AB"); !ok || err != nil {
				t.Errorf("IsMember() = %v, %v; want true, nil", ok, err)
			}
		})
	}
	wg.Wait()
	if got := api.calls.Load(); got != 1 {
		t.Errorf("API calls = %d, want 1", got)
	}
}

func TestUserGrantSkipsGroupLookup(t *testing.T) {
	api := &fakeAPI{membersFn: func(context.Context, string) ([]string, error) { return nil, nil }}
	s, _ := newTestGroups(api, time.Hour, time.Second)
	p := loadTestPolicy(t).WithLogger(discardLogger()).WithGroups(s)
	if d := p.Authorize(t.Context(), Request{UserID: "U012ABCDEF", ChannelID: "C0OTHER", Action: ActionCreate}); !d.Allowed {
		t.Fatalf("Authorize() = %+v, want allowed", d)
	}
	if got := api.calls.Load(); got != 0 {
		t.Errorf("API calls = %d, want 0: a user grant allowed", got)
	}
	// A denial that no group grant could turn asks Slack nothing either.
	if d := p.Authorize(t.Context(), Request{UserID: "U0NOBODY", ChannelID: "C0OTHER", Action: ActionCreate, Project: "prod"}); d.Allowed {
		t.Fatalf("Authorize() = %+v, want denied", d)
	}
	if got := api.calls.Load(); got != 0 {
		t.Errorf("API calls = %d, want 0: no group grant covers prod for create", got)
	}
}

func TestGroupGrantWithoutLookup(t *testing.T) {
	p := loadTestPolicy(t).WithLogger(discardLogger())
	d := p.Authorize(t.Context(), Request{UserID: "U0PLATFORM", ChannelID: "C0OTHER", Action: ActionCreate})
	want := "create on project dev needs " + createRoles + "; your user groups could not be checked: no user-group lookup is configured, so try again or ask a policy admin"
	if d.Allowed || d.Reason != want {
		t.Errorf("Authorize() = %+v, want a denial %q", d, want)
	}
}

func TestSlackGroupsConcurrent(t *testing.T) {
	api := &fakeAPI{membersFn: func(_ context.Context, g string) ([]string, error) {
		if g == "S0BAD" {
			return nil, errors.New("connection refused")
		}
		return []string{"U1AB"}, nil
	}}
	s, clock := newTestGroups(api, time.Second, time.Second)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if i%10 == 0 {
				clock.advance(time.Second)
			}
			for _, g := range []string{"S0A", "S0B", "S0BAD"} {
				ok, err := s.IsMember(t.Context(), g, "U1AB")
				if (g == "S0BAD") != (err != nil) || (err == nil && !ok) {
					t.Errorf("IsMember(%s) = %v, %v", g, ok, err)
				}
			}
		})
	}
	wg.Wait()
}

func TestShortReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&lookupTimeoutError{err: errors.New("x")}, "Slack did not answer in time"},
		{fmt.Errorf("post: %w", context.DeadlineExceeded), "Slack did not answer in time"},
		{context.Canceled, "the request was cancelled"},
		{&slack.RateLimitedError{RetryAfter: time.Second}, "Slack is rate limiting the bot"},
		{slack.SlackErrorResponse{Err: "paid_teams_only"}, "Slack said paid_teams_only"},
		{slack.SlackErrorResponse{Err: "<!channel> https://x"}, "Slack could not be reached"},
		{errors.New(`Post "https://slack.com/api/usergroups.users.list": dial tcp: refused`), "Slack could not be reached"},
	}
	for _, tc := range tests {
		if got := shortReason(tc.err); got != tc.want {
			t.Errorf("shortReason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
