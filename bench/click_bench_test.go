package bench_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streambot/streambot/bench/slashload"
	"github.com/streambot/streambot/internal/lambdatest"
)

// click invokes fn with a freshly signed click (slashload.ClickBody) and
// times the Job's hand-off to the stub Lambda and the acknowledgement; it
// fails unless the click was acknowledged with an empty 200 and exactly
// one Job was handed over.
func click(b *testing.B, fn *lambdatest.Function, stub *stubAWS, n int) edgeRun {
	b.Helper()
	ev, err := slashload.Event("/slack/interactions", slashload.ClickBody(benchUser), signingSecret, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	before := stub.invokes.Load()
	start := time.Now()
	out, err := fn.Invoke(context.Background(), ev)
	acked := time.Since(start)
	if err != nil {
		b.Fatalf("click %d: %v\n%s", n, err, fn.Logs())
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != http.StatusOK || resp.Body != "" {
		b.Fatalf("click %d answered %.300s (%v), want an empty 200", n, out, err)
	}
	if got := stub.invokes.Load() - before; got != 1 {
		b.Fatalf("click %d handed %d Jobs to the worker, want 1\n%s", n, got, fn.Logs())
	}
	at := stub.lastInvoke()
	return edgeRun{toEffect: at.Sub(start), toAck: acked, fromStart: at.Sub(fn.Started())}
}

// BenchmarkLambdaClick measures a button click's path to the worker: the
// Slack function under the emulator (its secret in moto_server, as
// deployed) gets a signed block_actions event (slashload.ClickBody: the
// Describe button on a list row) and hands one Job to the Lambda Invoke
// API (a stub answering 202) before it acknowledges. Timed from the event
// being handed to the emulator to the Invoke arriving (job) and to the
// acknowledgement (ack): cold (a fresh emulator each time; the emulator
// starts the bootstrap on the first invocation, as Lambda does, so the
// process start and the init — secret fetch, policy — are inside) -runs
// times, then warm -invokes times on one function after 5 warm-ups; for
// the cold runs also from the emulator's start. Metrics: medians and
// maxima in ms.
//
//	STREAMBOT_REQUIRE_TOOLS=1 go test -run '^$' -bench LambdaClick -benchtime 1x ./bench -args -runs 20 -invokes 200
func BenchmarkLambdaClick(b *testing.B) {
	s := newLambdaSetup(b)
	env := s.env(true)
	var cold, warm []edgeRun
	n := 0
	for b.Loop() {
		for range *runs {
			fn := lambdatest.Start(b, s.slack, env)
			cold = append(cold, click(b, fn, s.stub, n))
			n++
			fn.Stop()
		}
		fn := lambdatest.Start(b, s.slack, env)
		for i := range 5 + *invokes {
			c := click(b, fn, s.stub, n)
			n++
			if i >= 5 {
				warm = append(warm, c)
			}
		}
		fn.Stop()
	}
	reportEdgeRuns(b, "Job dispatched", "job", cold, warm)
}
