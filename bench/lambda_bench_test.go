package bench_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/streambot/streambot/bench/slashload"
	"github.com/streambot/streambot/internal/lambdatest"
	"github.com/streambot/streambot/internal/motoserver"
	"github.com/streambot/streambot/internal/secrets"
	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/internal/state/statetest"
)

// benchPolicy grants benchUser create in the default project and nothing
// else, so no decision needs a Slack user-group lookup. Both the Lambda
// function and `streambot serve` run with it.
const benchPolicy = `{"projects": {"dev": "6a1b2c3d4e5f6a7b8c9d0e1f"}, "default_project": "dev",
 "grants": [{"subjects": ["user:U0ALICE"], "projects": ["dev"], "role": "GROUP_STREAM_PROCESSING_OWNER"}]}`

// stubAWS plays the Lambda Invoke API answering at once (202, as Lambda
// does for an Event invocation) and, as a guard, a Slack Web API that
// answers nothing: the Slack function's dispatch I/O at its floor, and no
// request ever leaves the machine.
type stubAWS struct {
	*httptest.Server
	invokes atomic.Int64
	last    atomic.Int64 // when the last Invoke arrived, Unix ns
}

// lastInvoke returns when the last Invoke arrived.
func (s *stubAWS) lastInvoke() time.Time { return time.Unix(0, s.last.Load()) }

func newStubAWS(b *testing.B) *stubAWS {
	s := &stubAWS{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", func(w http.ResponseWriter, r *http.Request) {
		s.last.Store(time.Now().UnixNano())
		s.invokes.Add(1)
		w.WriteHeader(http.StatusAccepted)
	})
	s.Server = httptest.NewServer(mux) // 127.0.0.1
	b.Cleanup(s.Close)
	return s
}

// lambdaSetup is what the Lambda benchmarks share.
type lambdaSetup struct {
	hello, slack string // bootstrap paths (built for this machine)
	moto         string // moto_server endpoint
	arn          string // the Slack secret in moto_server
	stub         *stubAWS
	table        string // the state table in moto_server
}

func newLambdaSetup(b *testing.B) *lambdaSetup {
	b.Helper()
	s := &lambdaSetup{
		hello: lambdatest.BuildFunction(b, "./internal/lambdatest/hello"),
		slack: lambdatest.BuildFunction(b, "./functions/slack"),
		moto:  motoserver.Shared(b),
		stub:  newStubAWS(b),
	}
	out, err := s.secrets().CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name:         aws.String("streambot/bench-slack-" + rand.Text()),
		SecretString: aws.String(`{"signing_secret":"` + signingSecret + `","bot_token":"xoxb-bench-not-a-token"}`),
	})
	if err != nil {
		b.Fatalf("CreateSecret: %v", err)
	}
	s.arn = aws.ToString(out.ARN)
	// The state table (required in Lambda): the create's ack path records
	// the operation once, one conditional PutItem to moto_server.
	s.table = statetest.NewTable(b, motoserver.Config(context.Background(), s.moto))
	return s
}

// secrets returns a new Secrets Manager client for moto_server, with a
// connection pool of its own.
func (s *lambdaSetup) secrets() *secretsmanager.Client {
	return secretsmanager.NewFromConfig(motoserver.Config(context.Background(), s.moto))
}

// env returns the Slack function's environment, as infra/template.yaml
// sets it, with the signing secret in moto_server (fromSM) or in
// SLACK_SIGNING_SECRET.
func (s *lambdaSetup) env(fromSM bool) map[string]string {
	env := map[string]string{
		"CREATE_FUNCTION_NAME":      "streambot-create",
		"ACCESS_POLICY":             benchPolicy,
		"LOG_LEVEL":                 "info",
		"AWS_ENDPOINT_URL_LAMBDA":   s.stub.URL,
		"SLACK_API_URL":             s.stub.URL + "/api/",
		"STATE_TABLE":               s.table,
		"AWS_ENDPOINT_URL_DYNAMODB": s.moto,
	}
	if fromSM {
		env["SLACK_SECRET_ARN"] = s.arn
		env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = s.moto
	} else {
		env["SLACK_SIGNING_SECRET"] = signingSecret
		env["SLACK_BOT_TOKEN"] = "xoxb-bench-not-a-token"
	}
	return env
}

// event returns the signed create as an HTTP API event, signed now.
func event(b *testing.B) []byte { return eventText(b, slashload.DefaultText) }

// dryRunText is the create with --dry-run: the Slack function verifies,
// parses, authorizes and answers with the request it would send, and
// neither records nor dispatches anything.
const dryRunText = slashload.DefaultText + " --dry-run"

// eventText returns the signed command text as an HTTP API event, signed now.
func eventText(b *testing.B, text string) []byte {
	b.Helper()
	ev, err := slashload.NewCommand(benchUser, text).Event(signingSecret, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	return ev
}

// checkAck fails the benchmark unless out is the HTTP API response of an
// acknowledged command.
func checkAck(b *testing.B, out []byte) {
	b.Helper()
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		b.Fatalf("response %.300s: %v", out, err)
	}
	if err := slashload.CheckAck(resp.StatusCode, []byte(resp.Body)); err != nil {
		b.Fatalf("response: %v", err)
	}
	if !strings.HasPrefix(resp.Body, `{"response_type":"ephemeral","text":"Working on it`) {
		b.Fatalf("response %.300s: not the create acknowledgement", resp.Body)
	}
}

// checkDryRun fails the benchmark unless out is the HTTP API response of
// an answered dry run.
func checkDryRun(b *testing.B, out []byte) {
	b.Helper()
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		b.Fatalf("response %.300s: %v", out, err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "Dry run: nothing was sent") {
		b.Fatalf("response %d %.300s: not the dry run's answer", resp.StatusCode, resp.Body)
	}
}

// coldStart starts bootstrap under a fresh emulator, invokes it once with a
// freshly signed command (text; "" is the create) and returns the time from
// just before the emulator started to the response, the time from the
// event (the emulator listening, the bootstrap started by this first
// invocation) to the response, and the bootstrap's peak RSS then. check,
// if not nil, checks the response.
func coldStart(b *testing.B, bootstrap string, env map[string]string, text string, check func(*testing.B, []byte)) (d, fromEvent time.Duration, rss int64) {
	b.Helper()
	fn := lambdatest.Start(b, bootstrap, env)
	defer fn.Stop()
	ev := eventText(b, cmp.Or(text, slashload.DefaultText)) // a few microseconds, inside the measured time
	sent := time.Now()
	out, err := fn.Invoke(context.Background(), ev)
	fromEvent = time.Since(sent)
	d = time.Since(fn.Started())
	if err != nil {
		b.Fatalf("cold invoke: %v\n%s", err, fn.Logs())
	}
	if check != nil {
		check(b, out)
	}
	rss, err = fn.PeakRSS()
	if err != nil {
		b.Fatalf("peak RSS: %v", err)
	}
	return d, fromEvent, rss
}

// secretRoundTrip times one GetSecretValue of the Slack secret on a new
// client (so a new connection), the function's own (secrets.Client), as
// the cold start's one fetch is.
func (s *lambdaSetup) secretRoundTrip(b *testing.B) time.Duration {
	b.Helper()
	sm := secrets.NewClient(motoserver.Config(context.Background(), s.moto), "")
	start := time.Now()
	out, err := sm.GetSecretValue(context.Background(), s.arn)
	d := time.Since(start)
	if err != nil || !strings.Contains(aws.ToString(out.String), "signing_secret") {
		b.Fatalf("GetSecretValue: %v", err)
	}
	return d
}

// putRoundTrip times one conditional PutItem of a new operation into the
// state table on a new client (so a new connection), as the Slack
// function's ack path records a create on its cold start.
func (s *lambdaSetup) putRoundTrip(b *testing.B) time.Duration {
	b.Helper()
	st := state.NewDynamo(state.NewDynamoClient(motoserver.Config(context.Background(), s.moto), ""), s.table)
	op := state.Operation{ID: "8123456789012.1234567890123." + rand.Text(), Kind: "create", Requester: benchUser,
		TeamID: "T0BENCH", ChannelID: "C0BENCH", GroupID: "6a1b2c3d4e5f6a7b8c9d0e1f", Workspace: "orders-ws", Status: state.StatusQueued}
	start := time.Now()
	_, err := st.Begin(context.Background(), op)
	d := time.Since(start)
	if err != nil {
		b.Fatalf("Begin: %v", err)
	}
	return d
}

// BenchmarkLambdaColdStart measures the Slack function's cold start under
// the Lambda Runtime Interface Emulator: emulator start → first
// acknowledged create (signature checked with the secret fetched from
// moto_server, policy, dispatch to a stub Lambda answering 202), -runs
// times, interleaved with the same for the hello bootstrap (the emulator
// floor), the Slack function with its secret in the environment (no fetch),
// the Slack function answering a --dry-run create (slack-dry: everything
// the edge does but the state-table write and the dispatch), one
// GetSecretValue round trip on a new client to the same moto_server, and
// one PutItem into the state table on a new client (put). Metrics: median,
// min and max of each in ms; the peak RSS; and, from the medians, own-ms =
// slack − hello − secret (issue 15's formula, written before the ack path
// recorded operations), own-dry-ms = slack-dry − hello − secret (the
// function's own start-up without I/O beyond the secret) and
// own-less-put-ms = own-ms − put.
//
//	STREAMBOT_REQUIRE_TOOLS=1 go test -run '^$' -bench LambdaColdStart -benchtime 1x ./bench -args -runs 20
func BenchmarkLambdaColdStart(b *testing.B) {
	s := newLambdaSetup(b)
	kinds := []string{"hello", "slack", "slack-env", "slack-dry", "secret", "put"}
	times := map[string][]time.Duration{}
	fromEvent := map[string][]time.Duration{} // the same, from the event
	rss := map[string]int64{}
	for b.Loop() {
		for i := range *runs {
			for j := range kinds {
				kind := kinds[(i+j)%len(kinds)]
				var (
					d, e time.Duration
					r    int64
				)
				switch kind {
				case "hello":
					d, e, r = coldStart(b, s.hello, nil, "", nil)
				case "slack":
					before := s.stub.invokes.Load()
					d, e, r = coldStart(b, s.slack, s.env(true), "", checkAck)
					if s.stub.invokes.Load() == before {
						b.Fatal("the acknowledged create was not dispatched")
					}
				case "slack-env":
					d, e, r = coldStart(b, s.slack, s.env(false), "", checkAck)
				case "slack-dry":
					before := s.stub.invokes.Load()
					d, e, r = coldStart(b, s.slack, s.env(true), dryRunText, checkDryRun)
					if s.stub.invokes.Load() != before {
						b.Fatal("a dry run was dispatched")
					}
				case "secret":
					d = s.secretRoundTrip(b)
					e = d
				case "put":
					d = s.putRoundTrip(b)
					e = d
				}
				times[kind] = append(times[kind], d)
				fromEvent[kind] = append(fromEvent[kind], e)
				rss[kind] = max(rss[kind], r)
			}
		}
	}
	for _, k := range kinds {
		sum := slashload.Summarize(times[k])
		b.Logf("cold %-9s %s peak RSS %.1f MB; from the event %s", k, sum, mb(rss[k]), slashload.Summarize(fromEvent[k]))
		b.ReportMetric(ms(sum.P50), k+"-ms-p50")
		b.ReportMetric(ms(sum.Min), k+"-ms-min")
		b.ReportMetric(ms(sum.Max), k+"-ms-max")
		if rss[k] > 0 {
			b.ReportMetric(mb(rss[k]), k+"-rss-MB")
		}
	}
	own := median(times["slack"]) - median(times["hello"]) - median(times["secret"])
	b.ReportMetric(ms(own), "own-ms")
	b.ReportMetric(ms(median(times["slack-dry"])-median(times["hello"])-median(times["secret"])), "own-dry-ms")
	b.ReportMetric(ms(own-median(times["put"])), "own-less-put-ms")
	// The same from the event: without the emulator's own start, whose
	// spread (tens of milliseconds) the medians above carry.
	for _, k := range []string{"hello", "slack", "slack-dry"} {
		b.ReportMetric(ms(median(fromEvent[k])), k+"-event-ms-p50")
	}
	ownEvent := median(fromEvent["slack"]) - median(fromEvent["hello"]) - median(fromEvent["secret"])
	b.ReportMetric(ms(ownEvent), "own-event-ms")
	b.ReportMetric(ms(median(fromEvent["slack-dry"])-median(fromEvent["hello"])-median(fromEvent["secret"])), "own-dry-event-ms")
	b.ReportMetric(ms(ownEvent-median(fromEvent["put"])), "own-less-put-event-ms")
}

// BenchmarkLambdaWarmInvoke measures warm invocations under the emulator:
// the Slack function (secret from moto_server, fetched once at init) and
// the hello floor each get one cold invocation, 20 warm-up ones, then
// -invokes freshly signed creates one after another. Metrics: p50 and p99
// in ms, and the peak RSS after them.
//
//	STREAMBOT_REQUIRE_TOOLS=1 go test -run '^$' -bench LambdaWarmInvoke -benchtime 1x ./bench -args -invokes 200
func BenchmarkLambdaWarmInvoke(b *testing.B) {
	s := newLambdaSetup(b)
	fns := []struct {
		name, bootstrap string
		env             map[string]string
		check           bool
	}{
		{"hello", s.hello, nil, false},
		{"slack", s.slack, s.env(true), true},
	}
	lat := map[string][]time.Duration{}
	rss := map[string]int64{}
	for b.Loop() {
		for _, f := range fns {
			fn := lambdatest.Start(b, f.bootstrap, f.env)
			ctx := context.Background()
			for i := range 21 + *invokes {
				ev := event(b)
				start := time.Now()
				out, err := fn.Invoke(ctx, ev)
				d := time.Since(start)
				if err != nil {
					b.Fatalf("%s invoke %d: %v", f.name, i, err)
				}
				if f.check {
					checkAck(b, out)
				}
				if i > 20 {
					lat[f.name] = append(lat[f.name], d)
				}
			}
			r, err := fn.PeakRSS()
			if err != nil {
				b.Fatalf("%s peak RSS: %v", f.name, err)
			}
			rss[f.name] = max(rss[f.name], r)
			fn.Stop()
		}
	}
	for _, f := range fns {
		sum := slashload.Summarize(lat[f.name])
		b.Logf("warm %-5s %s peak RSS %.1f MB", f.name, sum, mb(rss[f.name]))
		b.ReportMetric(ms(sum.P50), f.name+"-ms-p50")
		b.ReportMetric(ms(sum.P99), f.name+"-ms-p99")
		b.ReportMetric(mb(rss[f.name]), f.name+"-rss-MB")
	}
}
