package provision_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/secrets"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// handleWithin runs the worker with a deadline of d from now.
func (e *env) handleWithin(d time.Duration, j provision.Job) (*provision.Result, error) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return e.w.Handle(ctx, j)
}

// Everything the worker asks Atlas (and Secrets Manager) before it answers
// stops Reserve before the deadline, so a hanging call still ends in one
// delivered failure, not in a lost Job.
func TestAtlasWorkStopsBeforeTheDeadline(t *testing.T) {
	roles := []string{"GROUP_STREAM_PROCESSING_OWNER"}
	tests := []struct {
		name  string
		hang  func(e *env)
		job   func(*provision.Job)
		want  []string
		route reply.Route
	}{
		{
			name: "credentials read hangs",
			hang: func(e *env) {
				e.secrets.atlasFn = func(ctx context.Context) (secrets.Atlas, error) {
					<-ctx.Done()
					return secrets.Atlas{}, ctx.Err()
				}
			},
			want:  []string{"could not read its Atlas credentials", "timed out"},
			route: reply.RouteResponseEphemeral,
		},
		{
			name: "role check hangs",
			hang: func(e *env) {
				e.slack.AddUser("U012ABCDEF", "ana@example.com")
				e.atlas.Inject(atlastest.OpListUsers, atlastest.Fault{Delay: time.Minute})
			},
			job:   func(j *provision.Job) { j.RequiredRoles = roles },
			want:  []string{"did not answer in time"},
			route: reply.RouteResponseEphemeral,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(s *setting) {
				s.deps = func(d *provision.Deps) { d.Reserve = time.Second }
			})
			tc.hang(e)
			j := e.job()
			if tc.job != nil {
				tc.job(&j)
			}
			res, err := e.handleWithin(3*time.Second, j)
			if err != nil || res.Outcome != provision.OutcomeFailed || res.Route != tc.route {
				t.Fatalf("Handle() = %+v, %v; want a failure delivered by %s", res, err, tc.route)
			}
			contains(t, e.final(), tc.want...)
			if got := e.atlas.Calls(atlastest.OpCreateStream); got != 0 {
				t.Errorf("create calls = %d, want 0", got)
			}
		})
	}
}

// A deadline shorter than twice the Reserve still leaves Atlas time: half
// the time left is kept back for the answer instead.
func TestShortDeadlineStillCreates(t *testing.T) {
	e := newEnv(t) // Reserve is the default 5 s
	res, err := e.handleWithin(4*time.Second, e.job())
	if err != nil || res.Outcome != provision.OutcomeCreated {
		t.Fatalf("Handle() with a 4 s deadline = %+v, %v; want created", res, err)
	}
	contains(t, e.final(), "created")
	if got := e.atlas.Workspaces(groupID); got != 1 {
		t.Errorf("workspaces = %d, want 1", got)
	}
}

// The parent message must not wait out a Slack rate limit into the time
// kept back for the final answer: it gives up, and the answer goes by the
// response_url.
func TestParentRateLimitDoesNotEatTheReserve(t *testing.T) {
	e := newEnv(t) // Reserve 5 s; the deadline 30 s
	e.slack.Inject(slackrec.PostMessage, slackrec.Fault{RetryAfter: "28"})
	res, err := e.handle(e.job())
	if err != nil || res.Outcome != provision.OutcomeCreated {
		t.Fatalf("Handle() = %+v, %v; want created", res, err)
	}
	for _, d := range e.clock.Slept() {
		if d == 28*time.Second {
			t.Errorf("the worker waited %v for the parent, into the reserve; sleeps %v", d, e.clock.Slept())
		}
	}
	if f := e.final(); f.Method != slackrec.ResponseURL || f.ResponseType != reply.Ephemeral {
		t.Errorf("final answer = %s/%s, want response_url/ephemeral", f.Method, f.ResponseType)
	}
}

// A Job whose answer reached nobody is logged once, as lost, with its ID:
// not logged and then returned and logged again.
func TestLostJobLoggedOnce(t *testing.T) {
	e := newEnv(t)
	e.slack.Inject(slackrec.PostMessage, slackrec.Fault{Times: 9, Error: "account_inactive"})
	e.slack.Inject(slackrec.ResponseURL, slackrec.Fault{Status: 404})
	if _, err := e.handle(e.job()); err == nil {
		t.Fatal("Handle() error = nil, want one (nothing reached Slack)")
	}
	var errorLines []string
	for _, l := range strings.Split(strings.TrimSpace(e.logs.String()), "\n") {
		if strings.Contains(l, `"level":"ERROR"`) {
			errorLines = append(errorLines, l)
		}
	}
	if len(errorLines) != 1 || !strings.Contains(errorLines[0], `"msg":"job outcome lost"`) ||
		!strings.Contains(errorLines[0], `"job_id":"3f1a.trigger"`) {
		t.Errorf("error lines = %q, want exactly one \"job outcome lost\" line with the job ID", errorLines)
	}
	if n := strings.Count(e.logs.String(), "response_url: HTTP 404"); n != 1 {
		t.Errorf("the response_url failure is logged %d times, want once:\n%s", n, e.logs)
	}
}

// chat.update failing after the final reply is a logged problem, never a
// second final answer and never an error for Lambda.
func TestParentUpdateFailsAfterTheFinalReply(t *testing.T) {
	for _, f := range []slackrec.Fault{{Times: 9, Status: 500}, {Times: 9, Error: "not_in_channel"}, {Times: 9, RetryAfter: "120"}} {
		t.Run(f.Error+f.RetryAfter, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.slack.Inject(slackrec.Update, f)
			res, err := e.handle(e.job())
			if err != nil || res.Outcome != provision.OutcomeCreated || res.Route != reply.RouteThread {
				t.Fatalf("Handle() = %+v, %v; want created, answered in the thread", res, err)
			}
			if final := e.final(); final.Method != slackrec.PostMessage {
				t.Errorf("final answer by %s, want the thread", final.Method)
			}
			if n := len(e.slack.Calls(slackrec.ResponseURL, slackrec.PostEphemeral)); n != 0 {
				t.Errorf("response_url/ephemeral calls = %d, want 0", n)
			}
			if !strings.Contains(e.logs.String(), `"msg":"slack delivery problem"`) {
				t.Errorf("the failed update was not logged:\n%s", e.logs)
			}
		})
	}
}

// hangingSlack answers the parent message and then never answers again:
// every thread reply, chat.update and response_url post hangs until the
// caller gives up.
func hangingSlack(t *testing.T) *httptest.Server {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		io.Copy(io.Discard, r.Body) // a JSON body too, so a client that gives up is noticed
		if r.URL.Path == "/api/chat.postMessage" && r.PostForm.Get("thread_ts") == "" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"ok":true,"channel":"C0123ABCD","ts":"1700000000.000100"}`)
			return
		}
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(func() { close(stop); srv.Close() })
	return srv
}

// With Atlas hanging to the cut-off (the create and the follow-up check)
// and Slack then hanging on every step of the final answer, Handle still
// returns before the invocation's deadline: the Slack steps share the
// time kept back for them instead of running into the deadline, where
// Lambda would time out, retry and post a second parent.
func TestFinishEndsBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	slackSrv := hangingSlack(t)
	e := newEnv(t, func(s *setting) {
		s.deps = func(d *provision.Deps) {
			d.Reserve = 2 * time.Second
			d.SlackAPIURL = slackSrv.URL + "/api/"
		}
		s.slackSource = func(*env) provision.SlackSource {
			return slackSourceFn(func(context.Context) (provision.SlackAPI, error) {
				return slack.New(botToken, slack.OptionAPIURL(slackSrv.URL+"/api/")), nil
			})
		}
	})
	e.atlas.Inject(atlastest.OpGetStream, atlastest.Fault{Delay: time.Minute, Times: 9})
	e.atlas.Inject(atlastest.OpCreateStream, atlastest.Fault{Delay: time.Minute, Times: 9})
	j := e.job(func(j *provision.Job) { j.Slack.ResponseURL = slackSrv.URL + "/commands/T0001/1/x" })

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	res, err := e.w.Handle(ctx, j)
	if ctx.Err() != nil {
		t.Fatalf("Handle() = %+v, %v returned after the deadline", res, err)
	}
	if res == nil || res.Route != reply.RouteLost {
		t.Errorf("Handle() = %+v, %v; want the answer lost (Slack hangs)", res, err)
	}
	if !strings.Contains(e.logs.String(), `"msg":"job outcome lost"`) {
		t.Errorf("the lost answer was not logged:\n%s", e.logs)
	}
}
