package state_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/motoserver"
	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/internal/state/statetest"
)

// BenchmarkJobWrites measures what the state table adds to one Job: the
// edge's Begin and the worker's claim, parent and finish, in order (four
// requests, one operation per iteration). Against moto_server this is a
// local HTTP round trip per write, not DynamoDB's latency (single-digit
// milliseconds in-region); see BENCHMARKS.md.
//
//	STREAMBOT_REQUIRE_TOOLS=1 go test -run '^$' -bench JobWrites -benchtime 2s ./internal/state
func BenchmarkJobWrites(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchJob(b, state.NewMemory()) })
	b.Run("dynamo-moto", func(b *testing.B) {
		cfg := motoserver.Config(context.Background(), motoserver.Shared(b))
		benchJob(b, state.NewDynamo(state.NewDynamoClient(cfg, ""), statetest.NewTable(b, cfg)))
	})
}

func benchJob(b *testing.B, s state.Store) {
	ctx := context.Background()
	op := newOp("")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		op.ID = fmt.Sprintf("bench.%d", i)
		owner := fmt.Sprintf("w%d", i)
		if _, err := s.Begin(ctx, op); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Transition(ctx, op.ID, state.Claim(owner, time.Now().Add(time.Minute))); err != nil {
			b.Fatal(err)
		}
		if _, err := s.SetParent(ctx, op.ID, "C0CHAN", "1765100000.000100"); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Transition(ctx, op.ID, state.Finish(owner, state.StatusDone, "created")); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(i)/4/1000, "ms/write")
}
