package state_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/motoserver"
	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/internal/state/statetest"
)

func TestMain(m *testing.M) {
	defer motoserver.StopShared()
	m.Run()
}

// clock is a test clock that moves only when told to.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// stores are the implementations every conformance test runs against.
var stores = []struct {
	name string
	new  func(t *testing.T, opts ...state.Option) state.Store
}{
	{"memory", func(t *testing.T, opts ...state.Option) state.Store { return state.NewMemory(opts...) }},
	{"dynamo", newDynamo},
}

// newDynamo returns a store on a new table, made from the template's
// definition, on the shared moto_server, behind a proxy that makes each
// request atomic as DynamoDB's are (see statetest.Serialized: moto's are
// not, and the race tests would fail for moto's sake).
func newDynamo(t *testing.T, opts ...state.Option) state.Store {
	t.Helper()
	cfg := motoserver.Config(context.Background(), statetest.Serialized(t, motoserver.Shared(t)))
	return state.NewDynamo(state.NewDynamoClient(cfg, ""), statetest.NewTable(t, cfg), opts...)
}

// forEachStore runs test against a fresh store of each kind, with its own
// clock.
func forEachStore(t *testing.T, test func(t *testing.T, s state.Store, c *clock)) {
	t.Helper()
	for _, impl := range stores {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			test(t, impl.new(t, state.WithClock(c.Now)), c)
		})
	}
}

const (
	alice = "U0ALICE" // requests
	bob   = "U0BOB"   // approves
	carol = "U0CAROL" // approves too
	group = "6a1b2c3d4e5f6a7b8c9d0e1f"
)

// newOp returns an operation for Begin, queued.
func newOp(id string) state.Operation {
	return state.Operation{
		ID: id, Kind: "create", Requester: alice, TeamID: "T0TEAM", ChannelID: "C0CHAN",
		GroupID: group, ProjectAlias: "prod", Workspace: "orders-ws", Status: state.StatusQueued,
		Request: []byte(`{"op":"create","name":"orders-ws"}`),
	}
}

// pending returns an operation waiting for an approval that expires in an
// hour.
func pending(id string, c *clock) state.Operation {
	op := newOp(id)
	op.Status = state.StatusPendingApproval
	op.ExpiresAt = c.Now().Add(time.Hour)
	return op
}

func mustBegin(t *testing.T, s state.Store, op state.Operation) *state.Operation {
	t.Helper()
	got, err := s.Begin(context.Background(), op)
	if err != nil {
		t.Fatalf("Begin(%q) = %v", op.ID, err)
	}
	return got
}

func mustTransition(t *testing.T, s state.Store, id string, tr state.Transition) *state.Operation {
	t.Helper()
	got, err := s.Transition(context.Background(), id, tr)
	if err != nil {
		t.Fatalf("Transition(%q, to %s) = %v", id, tr.To, err)
	}
	return got
}

// conflict returns err's *ConflictError, failing the test unless err
// matches want (ErrExists or ErrConflict).
func conflict(t *testing.T, err, want error) *state.ConflictError {
	t.Helper()
	var ce *state.ConflictError
	if !errors.Is(err, want) || !errors.As(err, &ce) || ce.Current == nil {
		t.Fatalf("err = %v, want a *ConflictError matching %v with the current item", err, want)
	}
	return ce
}

func TestBeginAndGet(t *testing.T) {
	forEachStore(t, func(t *testing.T, s state.Store, c *clock) {
		ctx := context.Background()
		in := newOp("trigger.1")
		in.Processor = "orders-agg"
		got := mustBegin(t, s, in)

		now := c.Now()
		want := in
		want.CreatedAt, want.UpdatedAt = now, now
		want.TTL = now.Add(state.DefaultRetention)
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("Begin returned (-want +got):\n%s", diff)
		}
		read, err := s.Get(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(&want, read); diff != "" {
			t.Errorf("Get returned (-want +got):\n%s", diff)
		}

		// The store's copy is its own.
		in.Request[0] = 'X'
		if read, _ := s.Get(ctx, in.ID); read.Request[0] != '{' {
			t.Errorf("the stored request changed with the caller's slice: %q", read.Request)
		}
	})
}

func TestBeginOnceReplayFindsTheFirst(t *testing.T) {
	forEachStore(t, func(t *testing.T, s state.Store, c *clock) {
		ctx := context.Background()
		first := mustBegin(t, s, newOp("trigger.replayed"))
		withParent, err := s.SetParent(ctx, first.ID, "C0CHAN", "1765100000.000100")
		if err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Minute)

		replay := newOp("trigger.replayed")
		replay.Requester = "U0MALLORY"
		replay.Workspace = "other-ws"
		_, err = s.Begin(ctx, replay)
		ce := conflict(t, err, state.ErrExists)
		if errors.Is(err, state.ErrConflict) {
			t.Errorf("Begin's conflict matches ErrConflict too; want only ErrExists")
		}
		if ce.Refusal != state.RefusedExists {
			t.Errorf("Refusal = %q, want %q", ce.Refusal, state.RefusedExists)
		}
		// The first request's item, untouched, with the thread to link to.
		if diff := cmp.Diff(withParent, ce.Current); diff != "" {
			t.Errorf("conflict's Current (-want +got):\n%s", diff)
		}
		if read, _ := s.Get(ctx, first.ID); read.Requester != alice || read.Workspace != "orders-ws" {
			t.Errorf("the replay changed the item: %+v", read)
		}
	})
}

func TestBeginRefusesBadOperations(t *testing.T) {
	forEachStore(t, func(t *testing.T, s state.Store, c *clock) {
		tests := []struct {
			name   string
			change func(*state.Operation)
		}{
			{"no id", func(op *state.Operation) { op.ID = "" }},
			{"long id", func(op *state.Operation) { op.ID = string(make([]byte, state.MaxIDLength+1)) }},
			{"no kind", func(op *state.Operation) { op.Kind = "" }},
			{"no requester", func(op *state.Operation) { op.Requester = "" }},
			{"no project", func(op *state.Operation) { op.GroupID = "" }},
			{"begins running", func(op *state.Operation) { op.Status = state.StatusRunning }},
			{"begins approved", func(op *state.Operation) { op.Status = state.StatusApproved }},
			{"unknown status", func(op *state.Operation) { op.Status = "maybe" }},
			{"approval without expiry", func(op *state.Operation) { op.Status = state.StatusPendingApproval }},
			{"approval expired", func(op *state.Operation) {
				op.Status, op.ExpiresAt = state.StatusPendingApproval, c.Now().Add(-time.Second)
			}},
			{"request too large", func(op *state.Operation) { op.Request = make([]byte, state.MaxRequestSize+1) }},
		}
		for i, tc := range tests {
			op := newOp(fmt.Sprintf("bad.%d", i))
			tc.change(&op)
			_, err := s.Begin(context.Background(), op)
			if err == nil || errors.Is(err, state.ErrExists) || errors.Is(err, state.ErrUnavailable) {
				t.Errorf("%s: Begin = %v, want a validation error", tc.name, err)
			}
			if op.ID != "" && len(op.ID) <= state.MaxIDLength {
				if _, err := s.Get(context.Background(), op.ID); !errors.Is(err, state.ErrNotFound) {
					t.Errorf("%s: after a refused Begin, Get = %v, want ErrNotFound", tc.name, err)
				}
			}
		}
	})
}

func TestNotFound(t *testing.T) {
	forEachStore(t, func(t *testing.T, s state.Store, c *clock) {
		ctx := context.Background()
		if _, err := s.Get(ctx, "nobody"); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("Get = %v, want ErrNotFound", err)
		}
		if _, err := s.SetParent(ctx, "nobody", "C1", "1.2"); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("SetParent = %v, want ErrNotFound", err)
		}
		if _, err := s.Transition(ctx, "nobody", state.Claim("w1", c.Now().Add(time.Minute))); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("Transition = %v, want ErrNotFound", err)
		}
		// Neither created an item.
		if _, err := s.Get(ctx, "nobody"); !errors.Is(err, state.ErrNotFound) {
			t.Errorf("after the failed updates, Get = %v, want ErrNotFound", err)
		}
	})
}

func TestSetParentOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, s state.Store, c *clock) {
		ctx := context.Background()
		mustBegin(t, s, newOp("job.1"))
		c.Advance(time.Second)
		got, err := s.SetParent(ctx, "job.1", "C0CHAN", "1765100000.000100")
		if err != nil {
			t.Fatal(err)
		}
		if got.ParentChannel != "C0CHAN" || got.ParentTS != "1765100000.000100" || !got.UpdatedAt.Equal(c.Now()) {
			t.Errorf("SetParent = %+v, want the parent recorded at %v", got, c.Now())
		}
		// A retried worker that posted a second message learns the first.
		_, err = s.SetParent(ctx, "job.1", "C0CHAN", "1765100099.000200")
		ce := conflict(t, err, state.ErrConflict)
		if ce.Refusal != state.RefusedParentSet || ce.Current.ParentTS != "1765100000.000100" {
			t.Errorf("second SetParent: refusal %q, parent %q; want %q and the first parent", ce.Refusal, ce.Current.ParentTS, state.RefusedParentSet)
		}
		if _, err := s.SetParent(ctx, "job.1", "", ""); err == nil || errors.Is(err, state.ErrConflict) {
			t.Errorf("SetParent without a message = %v, want a validation error", err)
		}
	})
}

// step is one call in a transition scenario.
type step struct {
	advance time.Duration
	t       state.Transition
	refusal state.Refusal // "" means the transition must apply
}

func TestTransitions(t *testing.T) {
	base := newClock().Now() // every store's clock starts here
	lease := base.Add(2 * time.Minute)
	tests := []struct {
		name    string
		pending bool // begin pending_approval (else queued)
		steps   []step
		want    func(op *state.Operation) // the item after the last step
	}{
		{
			name:  "claim queued",
			steps: []step{{t: state.Claim("w1", lease)}},
			want: func(op *state.Operation) {
				op.Status, op.Owner, op.LeaseUntil, op.Attempts = state.StatusRunning, "w1", lease, 1
			},
		},
		{
			name: "second claim while the first lives",
			steps: []step{
				{t: state.Claim("w1", lease)},
				{advance: time.Minute, t: state.Claim("w2", lease.Add(time.Minute)), refusal: state.RefusedRunning},
			},
			want: func(op *state.Operation) {
				op.Status, op.Owner, op.LeaseUntil, op.Attempts = state.StatusRunning, "w1", lease, 1
			},
		},
		{
			name: "take over a dead claim, then the dead one cannot finish",
			steps: []step{
				{t: state.Claim("w1", lease)},
				{advance: 3 * time.Minute, t: state.Claim("w2", base.Add(10*time.Minute))},
				{t: state.Finish("w1", state.StatusDone, "created"), refusal: state.RefusedOwner},
				{t: state.Finish("w2", state.StatusDone, "created")},
			},
			want: func(op *state.Operation) {
				op.Status, op.Owner, op.LeaseUntil, op.Attempts = state.StatusDone, "w2", base.Add(10*time.Minute), 2
				op.Outcome = "created"
			},
		},
		{
			name: "finish once",
			steps: []step{
				{t: state.Claim("w1", lease)},
				{t: state.Finish("w1", state.StatusFailed, "INVALID_TIER")},
				{t: state.Finish("w1", state.StatusDone, "created"), refusal: state.RefusedStatus},
				{t: state.Claim("w2", lease), refusal: state.RefusedStatus},
			},
			want: func(op *state.Operation) {
				op.Status, op.Owner, op.LeaseUntil, op.Attempts = state.StatusFailed, "w1", lease, 1
				op.Outcome = "INVALID_TIER"
			},
		},
		{
			name:    "a pending approval cannot be claimed",
			pending: true,
			steps:   []step{{t: state.Claim("w1", lease), refusal: state.RefusedStatus}},
			want:    func(op *state.Operation) {},
		},
		{
			name:    "approve, then claim",
			pending: true,
			steps: []step{
				{advance: time.Minute, t: state.Approve(bob)},
				{t: state.Claim("w1", lease)},
			},
			want: func(op *state.Operation) {
				op.Status, op.DecidedBy, op.DecidedAt = state.StatusRunning, bob, base.Add(time.Minute)
				op.Owner, op.LeaseUntil, op.Attempts = "w1", lease, 1
			},
		},
		{
			name:    "an approval whose Job was not handed over is taken back, then approved again",
			pending: true,
			steps: []step{
				{t: state.Approve(bob)},
				{t: state.Unapprove()},
				{t: state.Claim("w1", lease), refusal: state.RefusedStatus},
				{t: state.Unapprove(), refusal: state.RefusedStatus},
				{advance: time.Minute, t: state.Approve(carol)},
				{t: state.Claim("w1", lease)},
				{t: state.Unapprove(), refusal: state.RefusedStatus},
			},
			want: func(op *state.Operation) {
				op.Status, op.DecidedBy, op.DecidedAt = state.StatusRunning, carol, base.Add(time.Minute)
				op.Owner, op.LeaseUntil, op.Attempts = "w1", lease, 1
			},
		},
		{
			name:    "a rejection is announced once",
			pending: true,
			steps: []step{
				{t: state.Reject(bob, "no")},
				{t: state.Announce(state.StatusRejected, "w1")},
				{t: state.Announce(state.StatusRejected, "w2"), refusal: state.RefusedOwner},
				{t: state.Announce(state.StatusExpired, "w3"), refusal: state.RefusedStatus},
			},
			want: func(op *state.Operation) {
				op.Status, op.DecidedBy, op.DecidedAt, op.Outcome, op.Owner = state.StatusRejected, bob, base, "no", "w1"
			},
		},
		{
			name:    "the requester cannot approve",
			pending: true,
			steps:   []step{{t: state.Approve(alice), refusal: state.RefusedRequester}},
			want:    func(op *state.Operation) {},
		},
		{
			name:    "approve once",
			pending: true,
			steps: []step{
				{t: state.Approve(bob)},
				{t: state.Approve(carol), refusal: state.RefusedStatus},
				{t: state.Reject(carol, "no"), refusal: state.RefusedStatus},
			},
			want: func(op *state.Operation) {
				op.Status, op.DecidedBy, op.DecidedAt = state.StatusApproved, bob, base
			},
		},
		{
			name:    "approve after expiry",
			pending: true,
			steps: []step{
				{advance: time.Hour, t: state.Approve(bob), refusal: state.RefusedExpired},
				{t: state.Reject(bob, "late"), refusal: state.RefusedExpired},
				{t: state.Cancel(alice), refusal: state.RefusedExpired},
				{t: state.Expire()},
				{t: state.Approve(bob), refusal: state.RefusedStatus},
			},
			want: func(op *state.Operation) { op.Status = state.StatusExpired },
		},
		{
			name:    "expire only once expired",
			pending: true,
			steps:   []step{{advance: 59 * time.Minute, t: state.Expire(), refusal: state.RefusedExpired}},
			want:    func(op *state.Operation) {},
		},
		{
			name:    "reject, then nothing can be approved",
			pending: true,
			steps: []step{
				{advance: time.Second, t: state.Reject(bob, "wrong tier")},
				{t: state.Approve(carol), refusal: state.RefusedStatus},
				{t: state.Claim("w1", lease), refusal: state.RefusedStatus},
			},
			want: func(op *state.Operation) {
				op.Status, op.DecidedBy, op.DecidedAt, op.Outcome = state.StatusRejected, bob, base.Add(time.Second), "wrong tier"
			},
		},
		{
			name:    "only the requester cancels; then nothing can be approved",
			pending: true,
			steps: []step{
				{t: state.Cancel(bob), refusal: state.RefusedNotRequester},
				{t: state.Cancel(alice)},
				{t: state.Approve(bob), refusal: state.RefusedStatus},
			},
			want: func(op *state.Operation) {
				op.Status, op.DecidedBy, op.DecidedAt = state.StatusCancelled, alice, base
			},
		},
	}
	forEachStore(t, func(t *testing.T, s state.Store, c *clock) {
		ctx := context.Background()
		for i, tc := range tests {
			id := fmt.Sprintf("op.%d", i)
			in := newOp(id)
			if tc.pending {
				in = pending(id, c)
			}
			c.Set(base) // each scenario starts at the same time
			want := *mustBegin(t, s, in)
			for j, st := range tc.steps {
				c.Advance(st.advance)
				got, err := s.Transition(ctx, id, st.t)
				if st.refusal == "" {
					if err != nil {
						t.Fatalf("%s: step %d (to %s) = %v, want it applied", tc.name, j, st.t.To, err)
					}
					if got.Status != st.t.To || !got.UpdatedAt.Equal(c.Now()) {
						t.Errorf("%s: step %d = status %s updated %v, want %s at %v", tc.name, j, got.Status, got.UpdatedAt, st.t.To, c.Now())
					}
					continue
				}
				var ce *state.ConflictError
				if !errors.As(err, &ce) || !errors.Is(err, state.ErrConflict) || ce.Refusal != st.refusal {
					t.Fatalf("%s: step %d (to %s) = %v, want a conflict refused %q", tc.name, j, st.t.To, err, st.refusal)
				}
				if ce.Current == nil || ce.Current.ID != id {
					t.Errorf("%s: step %d: conflict carries %+v, want the current item", tc.name, j, ce.Current)
				}
			}
			got, err := s.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			tc.want(&want)
			// UpdatedAt is checked step by step above.
			want.UpdatedAt = got.UpdatedAt
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("%s: item after the steps (-want +got):\n%s", tc.name, diff)
			}
		}
	})
}

func TestTransitionRefusesMalformed(t *testing.T) {
	forEachStore(t, func(t *testing.T, s state.Store, c *clock) {
		mustBegin(t, s, newOp("op.1"))
		for _, tr := range []state.Transition{
			{},
			{From: []state.Status{state.StatusQueued}, To: "maybe"},
			{From: []state.Status{"maybe"}, To: state.StatusDone},
			state.Claim("", c.Now()),       // no owner
			state.Claim("w1", time.Time{}), // no lease
			{From: []state.Status{state.StatusPendingApproval}, To: state.StatusApproved, Rule: state.NotRequester}, // no actor
		} {
			if _, err := s.Transition(context.Background(), "op.1", tr); err == nil || errors.Is(err, state.ErrConflict) {
				t.Errorf("Transition(%+v) = %v, want a validation error", tr, err)
			}
		}
		if got, _ := s.Get(context.Background(), "op.1"); got.Status != state.StatusQueued {
			t.Errorf("status = %s after refused transitions, want queued", got.Status)
		}
	})
}

func TestHistory(t *testing.T) {
	const other = "5f1a2b3c4d5e6f7a8b9c0d1e"
	forEachStore(t, func(t *testing.T, s state.Store, c *clock) {
		ctx := context.Background()
		// Oldest first: op.0 .. op.24 alternate between two workspaces; every
		// fifth has no workspace; some are on another project.
		var inA, inB, inProject []string
		for i := range 25 {
			c.Advance(time.Second)
			op := newOp(fmt.Sprintf("op.%02d", i))
			switch {
			case i%7 == 3:
				op.GroupID = other
			case i%5 == 0:
				op.Workspace = ""
				op.Kind = "list"
			case i%2 == 0:
				op.Workspace = "ws-a"
				inA = append(inA, op.ID)
			default:
				op.Workspace = "ws-b"
				inB = append(inB, op.ID)
			}
			if op.GroupID == group {
				inProject = append(inProject, op.ID)
			}
			mustBegin(t, s, op)
		}
		// A transition changes what history shows, not where.
		mustTransition(t, s, "op.01", state.Claim("w1", c.Now().Add(time.Minute)))

		newestFirst := func(ids []string, n int) []string {
			ids = slices.Clone(ids)
			slices.Reverse(ids)
			return ids[:min(n, len(ids))]
		}
		tests := []struct {
			workspace string
			limit     int
			want      []string
		}{
			{"", 0, newestFirst(inProject, state.DefaultHistory)},
			{"", 3, newestFirst(inProject, 3)},
			{"", 1000, newestFirst(inProject, state.MaxHistory)},
			{"ws-a", 0, newestFirst(inA, 20)},
			{"ws-b", 2, newestFirst(inB, 2)},
			{"ws-none", 0, nil},
		}
		for _, tc := range tests {
			ops, err := s.History(ctx, group, tc.workspace, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, op := range ops {
				ids = append(ids, op.ID)
				if op.GroupID != group {
					t.Errorf("History(%q) returned %s of project %s", tc.workspace, op.ID, op.GroupID)
				}
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("History(%q, %d) (-want +got):\n%s", tc.workspace, tc.limit, diff)
			}
		}
		if _, err := s.History(ctx, "", "", 0); err == nil {
			t.Errorf("History without a project = nil error, want one")
		}
		ops, err := s.History(ctx, group, "ws-b", 0)
		if err != nil {
			t.Fatal(err)
		}
		if i := slices.IndexFunc(ops, func(op state.Operation) bool { return op.ID == "op.01" }); i < 0 || ops[i].Status != state.StatusRunning || string(ops[i].Request) == "" {
			t.Errorf("History has op.01 as %+v, want it whole and running", ops)
		}
	})
}

// race runs n goroutines that call fn at once and returns the errors.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWinner fails the test unless exactly one of errs is nil and all
// others match lost.
func oneWinner(t *testing.T, what string, errs []error, lost error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("%s: callers %d and %d both won", what, winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, lost):
			t.Errorf("%s: caller %d: %v, want %v", what, i, err, lost)
		}
	}
	if winner < 0 {
		t.Errorf("%s: nobody won", what)
	}
	return winner
}

const racers = 8

func TestConcurrentBeginOneWinner(t *testing.T) {
	forEachStore(t, func(t *testing.T, s state.Store, c *clock) {
		for round := range 5 {
			id := fmt.Sprintf("trigger.%d", round)
			errs := race(racers, func(i int) error {
				op := newOp(id)
				op.Requester = fmt.Sprintf("U%d", i)
				_, err := s.Begin(context.Background(), op)
				return err
			})
			w := oneWinner(t, "Begin "+id, errs, state.ErrExists)
			if got, err := s.Get(context.Background(), id); err != nil || got.Requester != fmt.Sprintf("U%d", w) {
				t.Errorf("Get(%s) = %+v, %v; want the winner U%d's item", id, got, err, w)
			}
		}
	})
}

func TestConcurrentClaimOneWinner(t *testing.T) {
	forEachStore(t, func(t *testing.T, s state.Store, c *clock) {
		for round := range 5 {
			id := fmt.Sprintf("job.%d", round)
			mustBegin(t, s, newOp(id))
			errs := race(racers, func(i int) error {
				_, err := s.Transition(context.Background(), id, state.Claim(fmt.Sprintf("w%d", i), c.Now().Add(time.Minute)))
				return err
			})
			w := oneWinner(t, "Claim "+id, errs, state.ErrConflict)
			if got, _ := s.Get(context.Background(), id); got.Owner != fmt.Sprintf("w%d", w) || got.Attempts != 1 {
				t.Errorf("after the race: owner %q attempts %d, want w%d and 1", got.Owner, got.Attempts, w)
			}
		}
	})
}

func TestConcurrentApproveOneWinner(t *testing.T) {
	forEachStore(t, func(t *testing.T, s state.Store, c *clock) {
		for round := range 5 {
			id := fmt.Sprintf("approval.%d", round)
			mustBegin(t, s, pending(id, c))
			errs := race(racers, func(i int) error {
				tr := state.Approve(fmt.Sprintf("U0APPROVER%d", i))
				if i%2 == 1 {
					tr = state.Reject(fmt.Sprintf("U0APPROVER%d", i), "no")
				}
				_, err := s.Transition(context.Background(), id, tr)
				return err
			})
			w := oneWinner(t, "decide "+id, errs, state.ErrConflict)
			got, _ := s.Get(context.Background(), id)
			if got.DecidedBy != fmt.Sprintf("U0APPROVER%d", w) {
				t.Errorf("DecidedBy = %q, want the winner U0APPROVER%d", got.DecidedBy, w)
			}
		}
	})
}

func TestConcurrentSetParentOneWinner(t *testing.T) {
	forEachStore(t, func(t *testing.T, s state.Store, c *clock) {
		mustBegin(t, s, newOp("job.p"))
		errs := race(racers, func(i int) error {
			_, err := s.SetParent(context.Background(), "job.p", "C0CHAN", fmt.Sprintf("1765100000.%06d", i))
			return err
		})
		w := oneWinner(t, "SetParent", errs, state.ErrConflict)
		if got, _ := s.Get(context.Background(), "job.p"); got.ParentTS != fmt.Sprintf("1765100000.%06d", w) {
			t.Errorf("ParentTS = %q, want the winner's", got.ParentTS)
		}
	})
}

// A worker killed after posting the parent: its retry, once the dead
// claim's lease has passed, takes the operation over and finds the parent
// to finish, instead of posting a second one.
func TestRetriedWorkerFindsParent(t *testing.T) {
	forEachStore(t, func(t *testing.T, s state.Store, c *clock) {
		ctx := context.Background()
		mustBegin(t, s, newOp("job.killed"))
		first := mustTransition(t, s, "job.killed", state.Claim("attempt-1", c.Now().Add(2*time.Minute)))
		if first.ParentTS != "" {
			t.Fatalf("a fresh claim has a parent: %+v", first)
		}
		if _, err := s.SetParent(ctx, "job.killed", "C0CHAN", "1765100000.000100"); err != nil {
			t.Fatal(err)
		}
		// attempt-1 dies here. Lambda retries a minute later: the lease holds.
		c.Advance(time.Minute)
		_, err := s.Transition(ctx, "job.killed", state.Claim("attempt-2", c.Now().Add(2*time.Minute)))
		if ce := conflict(t, err, state.ErrConflict); ce.Refusal != state.RefusedRunning {
			t.Errorf("retry within the lease: refusal %q, want %q", ce.Refusal, state.RefusedRunning)
		}
		// The next retry, after the lease.
		c.Advance(2 * time.Minute)
		retry := mustTransition(t, s, "job.killed", state.Claim("attempt-3", c.Now().Add(2*time.Minute)))
		if retry.ParentChannel != "C0CHAN" || retry.ParentTS != "1765100000.000100" || retry.Attempts != 2 {
			t.Errorf("the retry's claim = %+v, want the recorded parent and 2 attempts", retry)
		}
		done := mustTransition(t, s, "job.killed", state.Finish("attempt-3", state.StatusDone, "created"))
		if done.ParentTS != "1765100000.000100" || done.Outcome != "created" {
			t.Errorf("finished = %+v", done)
		}
	})
}

// Release gives a claim back to queued, only by its owner; the next
// claim then wins at once and counts a second attempt.
func TestRelease(t *testing.T) {
	forEachStore(t, func(t *testing.T, s state.Store, c *clock) {
		mustBegin(t, s, newOp("rel"))
		mustTransition(t, s, "rel", state.Claim("w1", c.Now().Add(time.Hour)))
		_, err := s.Transition(t.Context(), "rel", state.Release("w2"))
		if ce := conflict(t, err, state.ErrConflict); ce != nil && ce.Refusal != state.RefusedOwner {
			t.Errorf("release by another owner: refusal %s, want owner", ce.Refusal)
		}
		if op := mustTransition(t, s, "rel", state.Release("w1")); op.Status != state.StatusQueued {
			t.Errorf("released status %s, want queued", op.Status)
		}
		if op := mustTransition(t, s, "rel", state.Claim("w3", c.Now().Add(time.Hour))); op.Owner != "w3" || op.Attempts != 2 {
			t.Errorf("claim after release: owner %s, attempts %d; want w3, 2", op.Owner, op.Attempts)
		}
	})
}
