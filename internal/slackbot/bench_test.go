package slackbot

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/state"
)

// The ack-path benchmarks that record an operation send benchRequests
// requests in turn, each its own (its own trigger_id, the operation's ID,
// signed), to a real in-memory state table (state.Memory): each Begin is a
// first write, as Slack's requests are, not a replay. After each round of
// them the table is replaced by an empty one (benchState.reset), outside
// the requests; its cost (three allocations) spread over a round is
// nothing. (In Lambda the record is a DynamoDB PutItem;
// BenchmarkJobWrites in internal/state measures those against moto_server.)
const benchRequests = 1024

// benchState is the state table of those benchmarks.
type benchState struct{ *state.Memory }

func newBenchState() *benchState { return &benchState{state.NewMemory()} }

// reset empties the table: the next round's requests are new again.
func (s *benchState) reset() { s.Memory = state.NewMemory() }

// benchTrigger is request i's trigger_id, as long as a real one.
func benchTrigger(i int) string {
	return fmt.Sprintf("8123456789012.1234567890123.%032x", i)
}

// benchLoop runs the requests evs in turn until the benchmark ends, each
// answered as check says; st is emptied after each round of them.
func benchLoop(b *testing.B, h *Handler, st *benchState, evs []events.APIGatewayV2HTTPRequest, check func(events.APIGatewayV2HTTPResponse) bool) {
	ctx := context.Background()
	b.ReportAllocs()
	defer reportCPU(b)()
	i := 0
	for b.Loop() {
		if i == len(evs) {
			i = 0
			if st != nil {
				st.reset()
			}
		}
		resp, err := h.Handle(ctx, evs[i])
		if err != nil || !check(resp) {
			b.Fatalf("Handle = %d %q, %v", resp.StatusCode, resp.Body, err)
		}
		i++
	}
}

// reportCPU, deferred at the start of a benchmark (defer reportCPU(b)()),
// reports the process's CPU time per operation (user and system, every
// thread, the garbage collector's work included) as cpu-ns/op. On a
// shared machine the wall time per operation grows with other work (the
// benchmark waits for a core); its CPU time much less.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sampleBody returns the form body of the sample event events/name.json.
func sampleBody(tb testing.TB, name string) string {
	tb.Helper()
	data, err := os.ReadFile("../../events/" + name + ".json")
	if err != nil {
		tb.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(data, &ev); err != nil {
		tb.Fatal(err)
	}
	if !ev.IsBase64Encoded {
		return ev.Body
	}
	body, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return string(body)
}

// viewSubmissionNow is a minute after the create form of
// events/view-submission.json was opened (its private_metadata).
var viewSubmissionNow = time.Unix(1796601600, 0).Add(time.Minute)

// submissionStub stands in for the create form's view_submission handler:
// it checks what the form reads and answers as a valid form is answered.
type submissionStub struct{}

func (submissionStub) Interaction(_ context.Context, cb *slack.InteractionCallback) []byte {
	if cb.View.CallbackID == "" || cb.View.State == nil || len(cb.View.State.Values) == 0 || cb.User.ID == "" {
		panic("view_submission decoded without its view")
	}
	return nil
}

// BenchmarkViewSubmission measures the ack path of a view_submission in
// Lambda, events/view-submission.json (the create form as Slack posts it,
// 13 kB of form body: the whole view with its blocks and options) in an
// HTTP API v2 event: signature, payload, decoding, then
//
//   - edge: a stub InteractionHandler (the edge's own cost);
//   - form: the create form's handler (form.ParseSubmission, the policy
//     asked twice, the Job built, checked and handed to an in-memory
//     dispatcher), answered with an empty 200 that closes the form.
func BenchmarkViewSubmission(b *testing.B) {
	body := sampleBody(b, "view-submission")
	policy := loadPolicy(b, "  - subjects: [user:U2CERLKJA]\n    projects: [dev]\n    role: GROUP_STREAM_PROCESSING_OWNER\n")
	for _, bc := range []struct {
		name string
		ih   map[slack.InteractionType]InteractionHandler
	}{
		{"edge", map[slack.InteractionType]InteractionHandler{slack.InteractionTypeViewSubmission: submissionStub{}}},
		{"form", nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			st := newBenchState()
			h, err := New(Config{
				Secrets:      newFakeSecrets(testSecret),
				Policy:       policy,
				Dispatcher:   discardDispatcher{},
				Logger:       slogDiscard,
				Now:          func() time.Time { return viewSubmissionNow },
				Interactions: bc.ih,
				State:        st,
			})
			if err != nil {
				b.Fatal(err)
			}
			evs := make([]events.APIGatewayV2HTTPRequest, benchRequests)
			for i := range evs {
				vary := strings.Replace(body, sampleTrigger, url.QueryEscape(benchTrigger(i)), 1)
				if vary == body {
					b.Fatalf("no trigger_id %q in the sample", sampleTrigger)
				}
				evs[i] = withBody(loadEvent(b), vary, testSecret, true)
				evs[i].RawPath, evs[i].RouteKey = "/slack/interactions", "POST /slack/interactions"
			}
			benchLoop(b, h, st, evs, func(resp events.APIGatewayV2HTTPResponse) bool {
				return resp.StatusCode == http.StatusOK && resp.Body == ""
			})
		})
	}
}

// sampleTrigger is the trigger_id of events/view-submission.json.
const sampleTrigger = "8123456789012.1234567890123.0123456789abcdef0123456789abcdef"

// BenchmarkDecodeInteraction compares decoding the payloads of the sample
// events: slack-go's (json.Unmarshal into slack.InteractionCallback) and
// the edge's (decodeInteraction).
func BenchmarkDecodeInteraction(b *testing.B) {
	for _, sample := range []string{"block-actions", "view-submission"} {
		form, err := url.ParseQuery(sampleBody(b, sample))
		if err != nil {
			b.Fatal(err)
		}
		payload := form.Get("payload")
		b.Run(sample+"/slack-go", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var cb slack.InteractionCallback
				if err := json.Unmarshal([]byte(payload), &cb); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(sample+"/lean", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var cb slack.InteractionCallback
				if err := decodeInteraction(payload, &cb); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
