package slackbot

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/state"
)

// benchState is the state table of the ack-path benchmarks, which send one
// request again and again: each Begin goes to a new, empty in-memory store
// (state.Memory), so that the repeated trigger_id is not a replay and each
// operation pays for the once-only record as the first one does. (In
// Lambda the record is a DynamoDB PutItem; BenchmarkJobWrites in
// internal/state measures those against moto_server.)
type benchState struct{ state.Store }

func (benchState) Begin(ctx context.Context, op state.Operation) (*state.Operation, error) {
	return state.NewMemory().Begin(ctx, op)
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
			h, err := New(Config{
				Secrets:      newFakeSecrets(testSecret),
				Policy:       policy,
				Dispatcher:   discardDispatcher{},
				Logger:       slogDiscard,
				Now:          func() time.Time { return viewSubmissionNow },
				Interactions: bc.ih,
				State:        benchState{state.NewMemory()},
			})
			if err != nil {
				b.Fatal(err)
			}
			ev := withBody(loadEvent(b), body, testSecret, true)
			ev.RawPath, ev.RouteKey = "/slack/interactions", "POST /slack/interactions"
			ctx := context.Background()
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				resp, err := h.Handle(ctx, ev)
				if err != nil || resp.StatusCode != http.StatusOK || resp.Body != "" {
					b.Fatalf("Handle = %d %q, %v", resp.StatusCode, resp.Body, err)
				}
			}
		})
	}
}

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
