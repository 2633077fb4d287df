package provision_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/motoserver"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/internal/state/statetest"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// motoStore is a state table in the shared moto_server, created from the
// template, reached through statetest.Serialized (moto does not apply
// concurrent conditional updates atomically; DynamoDB does).
func motoStore(t *testing.T, now func() time.Time) state.Store {
	t.Helper()
	endpoint := motoserver.Shared(t)
	table := statetest.NewTable(t, motoserver.Config(t.Context(), endpoint))
	cfg := motoserver.Config(t.Context(), statetest.Serialized(t, endpoint))
	return state.NewDynamo(state.NewDynamoClient(cfg, ""), table, state.WithClock(now))
}

func withStore(st state.Store) func(*setting) {
	return func(s *setting) {
		prev := s.deps
		s.deps = func(d *provision.Deps) {
			if prev != nil {
				prev(d)
			}
			d.State = st
		}
	}
}

// lateClock is a clock for a store built before the env whose fake
// clock it reads.
type lateClock struct{ now func() time.Time }

func (c *lateClock) Now() time.Time { return c.now() }

// twoContainers is an env whose worker keeps its state in a table in
// moto_server (the template's own), and another container's worker on the
// same table, Atlas and Slack.
func twoContainers(t *testing.T) (e *env, other *provision.Worker, st state.Store) {
	t.Helper()
	clk := &lateClock{}
	st = motoStore(t, clk.Now)
	e = newEnv(t, withStore(st))
	clk.now = e.clock.Now
	return e, secondWorker(t, e, st), st
}

// secondWorker is another container's worker on e's Atlas and Slack.
func secondWorker(t *testing.T, e *env, st state.Store) *provision.Worker {
	t.Helper()
	w, err := provision.NewWorker(provision.Deps{
		Atlas: provision.NewAtlasClients(e.secrets, provision.AtlasConfig{BaseURL: e.atlas.URL}),
		Slack: provision.NewSlackClients(e.secrets, slack.OptionAPIURL(e.slack.APIURL())),
		Now:   e.clock.Now, Sleep: e.clock.Sleep, State: st,
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// Two worker containers sharing the table are handed the same Job at
// once: one parent, one final answer, one Atlas create.
func TestTwoWorkersOneJob(t *testing.T) {
	e, other, st := twoContainers(t)
	j := e.job()
	var wg sync.WaitGroup
	outcomes := make([]provision.Outcome, 2)
	for i, w := range []*provision.Worker{e.w, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := w.Handle(ctx, j)
			if err != nil {
				t.Errorf("worker %d: %v", i+1, err)
				return
			}
			outcomes[i] = res.Outcome
		}()
	}
	wg.Wait()
	created, dup := 0, 0
	for _, o := range outcomes {
		switch o {
		case provision.OutcomeCreated:
			created++
		case provision.OutcomeDuplicate:
			dup++
		}
	}
	if created != 1 || dup != 1 {
		t.Errorf("outcomes %v, want one created, one duplicate", outcomes)
	}
	posts, _ := e.parents()
	if len(posts) != 1 {
		t.Fatalf("%d parent messages, want 1", len(posts))
	}
	e.final()
	if n := e.atlas.Calls(atlastest.OpCreateStream); n != 1 {
		t.Errorf("%d creates, want 1", n)
	}
	op, err := st.Get(t.Context(), j.ID)
	if err != nil || op.Status != state.StatusDone || op.Outcome != "created" || op.ParentTS != posts[0].TS {
		t.Errorf("record %+v, %v; want done, created, with the parent", op, err)
	}
}

// A worker that dies after recording the parent (the fault hook ends the
// Job there) is retried once its lease has passed: the retry finishes
// that parent, posting no second one.
func TestKilledAfterParentRetryFinishesIt(t *testing.T) {
	clk := &lateClock{}
	st := motoStore(t, clk.Now)
	killed := errors.New("killed after the parent")
	var once sync.Once
	e := newEnv(t, withStore(st), func(s *setting) {
		prev := s.deps
		s.deps = func(d *provision.Deps) {
			prev(d)
			d.AfterParent = func(context.Context, provision.Job) (err error) {
				once.Do(func() { err = killed })
				return err
			}
		}
	})
	clk.now = e.clock.Now
	j := e.job()
	if _, err := e.handle(j); !errors.Is(err, killed) {
		t.Fatalf("first attempt: %v, want it killed", err)
	}
	posts, _ := e.parents()
	if len(posts) != 1 || e.atlas.Calls(atlastest.OpCreateStream) != 0 {
		t.Fatalf("after the kill: %d parents, %d creates; want 1 and 0", len(posts), e.atlas.Calls(atlastest.OpCreateStream))
	}
	// A copy delivered while the dead attempt's lease runs is a duplicate.
	if res, err := e.handle(j); err != nil || res.Outcome != provision.OutcomeDuplicate {
		t.Fatalf("retry within the lease: %+v, %v; want duplicate", res, err)
	}
	// Lambda's retry comes later, in another container: the lease has passed.
	_ = e.clock.Sleep(t.Context(), 2*time.Minute)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	res, err := secondWorker(t, e, st).Handle(ctx, j)
	if err != nil || res.Outcome != provision.OutcomeCreated {
		t.Fatalf("retry: %+v, %v; want created", res, err)
	}
	posts, updates := e.parents()
	if len(posts) != 1 {
		t.Fatalf("%d parent messages, want 1", len(posts))
	}
	if f := e.final(); f.ThreadTS != posts[0].TS {
		t.Errorf("answer in thread %q, want the first parent's %q", f.ThreadTS, posts[0].TS)
	}
	if len(updates) != 1 || updates[0].TS != posts[0].TS || !strings.Contains(updates[0].Text, "✅") {
		t.Errorf("updates %+v, want the first parent marked done", updates)
	}
	if op, err := st.Get(t.Context(), j.ID); err != nil || op.Attempts != 2 || op.Status != state.StatusDone {
		t.Errorf("record %+v, %v; want done after 2 attempts", op, err)
	}
}

// A table that is missing or throttled: the change is not executed, and
// the caller is told.
func TestStateTableUnavailable(t *testing.T) {
	missing := func(t *testing.T) state.Store {
		return state.NewDynamo(state.NewDynamoClient(motoserver.Config(t.Context(), motoserver.Shared(t)), ""), "no-such-table")
	}
	throttled := func(t *testing.T) state.Store { return statetest.Throttled(t) }
	for name, mk := range map[string]func(*testing.T) state.Store{"missing": missing, "throttled": throttled} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, withStore(mk(t)))
			res, err := e.handle(e.job())
			if err != nil || res.Outcome != provision.OutcomeUnrecorded {
				t.Fatalf("Handle() = %+v, %v; want unrecorded", res, err)
			}
			contains(t, e.final(), "state table is unavailable", "nothing was sent to Atlas")
			if n := e.atlas.Calls(atlastest.OpCreateStream) + e.atlas.Calls(atlastest.OpGetStream); n != 0 {
				t.Errorf("%d Atlas calls, want none", n)
			}
			if posts, _ := e.parents(); len(posts) != 0 {
				t.Errorf("%d parent messages, want none", len(posts))
			}
		})
	}
}

// BenchmarkWorkerCreateState is BenchmarkWorkerCreate with the state
// table: each Job is begun first (the edge's write, not timed), then the
// worker claims it, records its parent and its outcome. The difference
// between the two sub-benchmarks is what the table adds to a Job (three
// writes); against moto_server that is a local HTTP round trip per write.
//
//	STREAMBOT_REQUIRE_TOOLS=1 go test -run '^$' -bench WorkerCreateState -benchtime 200x ./internal/provision
func BenchmarkWorkerCreateState(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchWorkerState(b, state.NewMemory()) })
	b.Run("dynamo-moto", func(b *testing.B) {
		cfg := motoserver.Config(context.Background(), motoserver.Shared(b))
		benchWorkerState(b, state.NewDynamo(state.NewDynamoClient(cfg, ""), statetest.NewTable(b, cfg)))
	})
}

func benchWorkerState(b *testing.B, st state.Store) {
	e := newEnv(b, func(s *setting) {
		s.quiet = true
		s.deps = func(d *provision.Deps) {
			d.Sleep = func(context.Context, time.Duration) error { return nil }
			d.State = st
		}
	})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		j := e.job(func(j *provision.Job) { j.ID, j.Name = "bench."+strconv.Itoa(i), "bench-"+strconv.Itoa(i) })
		rec, err := provision.NewOperation(j)
		if err == nil {
			_, err = st.Begin(ctx, rec)
		}
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := e.w.Handle(ctx, j)
		if err != nil || res.Outcome != provision.OutcomeCreated {
			b.Fatalf("Handle() = %+v, %v", res, err)
		}
	}
}

// A Job whose answer reached nobody is handed to Lambda's retry (Handle
// fails), and its claim is given back rather than finished: the retry
// claims it at once and answers, instead of being a silent duplicate.
func TestUndeliveredJobIsAnsweredByTheRetry(t *testing.T) {
	e := newEnv(t)
	e.slack.Inject(slackrec.PostMessage, slackrec.Fault{Times: 20, Error: "account_inactive"})
	e.slack.Inject(slackrec.ResponseURL, slackrec.Fault{Status: 404})
	j := e.job()
	if _, err := e.handle(j); err == nil {
		t.Fatal("Handle() = nil error, want the undelivered answer handed to Lambda's retry")
	}
	res, err := e.handle(j) // Lambda's retry, before the first claim's lease would lapse
	if err != nil || res.Outcome != provision.OutcomeAlreadyExisted || res.Route != reply.RouteResponseEphemeral {
		t.Fatalf("retry = %+v, %v; want already_existed, answered through the response_url", res, err)
	}
	if n := e.atlas.Calls(atlastest.OpCreateStream); n != 1 {
		t.Errorf("%d creates, want 1", n)
	}
}
