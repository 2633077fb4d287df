package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasdk "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/streambot/streambot/internal/lambdatest"
	"github.com/streambot/streambot/internal/motoserver"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

const createText = "create orders-ws --region VIRGINIA_USA --tier SP30"

// seed reads one of the seed document's example bodies (MongoDB's
// create-workspace reference), kept in pkg/atlas/testdata.
func seed(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../pkg/atlas/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// outcome is the worker's result summary, as the relay received it.
type outcome struct {
	Outcome   string `json:"outcome"`
	Delivered string `json:"delivered"`
}

// lastOutcome decodes the worker's answer to the last invocation.
func (s *stack) lastOutcome() (outcome, lambdatest.Result) {
	s.t.Helper()
	results := s.relay.Results()
	if len(results) == 0 {
		s.t.Fatal("the worker was never invoked")
	}
	r := results[len(results)-1]
	var o outcome
	if r.Err == nil {
		if err := json.Unmarshal(r.Response, &o); err != nil {
			s.t.Fatalf("worker result %q: %v", r.Response, err)
		}
	}
	return o, r
}

// TestAtlasFaults injects each way Atlas can fail a create. Each ends in
// exactly one final answer in Slack, saying what happened, and never in a
// second workspace: the create requests and the workspaces are counted at
// the simulator.
func TestAtlasFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     stackConfig
		op      atlastest.Op
		faults  []atlastest.Fault
		outcome string
		creates int      // create requests Atlas received
		ws      int      // workspaces in the end
		says    []string // the answer carries each
		notSays []string // and none of these
		minTook time.Duration
	}{
		{
			name: "400 from the seed document", op: atlastest.OpCreateStream,
			faults:  []atlastest.Fault{{Status: 400, Body: seed(t, "seed_error_400.json")}},
			outcome: "failed", creates: 1, ws: 0,
			says: []string{"HTTP 400", "VALIDATION_ERROR", "No provider AWS exists"},
		},
		{
			// A 401 makes the worker re-read the secret once and try
			// again; a second 401 is final.
			name: "401", op: atlastest.OpCreateStream,
			faults:  []atlastest.Fault{{Status: 401, Times: 2, Body: seed(t, "seed_error_401.json")}},
			outcome: "failed", creates: 2, ws: 0,
			says: []string{"HTTP 401", "NOT_ORG_GROUP_CREATOR"},
		},
		{
			name: "402", op: atlastest.OpCreateStream,
			faults:  []atlastest.Fault{{Status: 402}},
			outcome: "failed", creates: 1, ws: 0,
			says: []string{"HTTP 402", "billing"},
		},
		{
			name: "403", op: atlastest.OpCreateStream,
			faults:  []atlastest.Fault{{Status: 403, Body: seed(t, "seed_error_403.json")}},
			outcome: "failed", creates: 1, ws: 0,
			says: []string{"HTTP 403", "CANNOT_CHANGE_GROUP_NAME"},
		},
		{
			name: "404", op: atlastest.OpCreateStream,
			faults:  []atlastest.Fault{{Status: 404, Body: seed(t, "seed_error_404.json")}},
			outcome: "failed", creates: 1, ws: 0,
			says: []string{"HTTP 404", "RESOURCE_NOT_FOUND"},
		},
		{
			name: "409", op: atlastest.OpCreateStream,
			faults:  []atlastest.Fault{{Status: 409}},
			outcome: "failed", creates: 1, ws: 0,
			says: []string{"HTTP 409", "pick another name"},
		},
		{
			// The client waits out Retry-After and repeats the create,
			// which succeeds.
			name: "429 with Retry-After, then success", op: atlastest.OpCreateStream,
			faults:  []atlastest.Fault{{Status: 429, RetryAfter: "1"}},
			outcome: "created", creates: 2, ws: 1,
			says: []string{"created", "orders-ws"}, minTook: time.Second,
		},
		{
			name: "500", op: atlastest.OpCreateStream,
			faults:  []atlastest.Fault{{Status: 500, Body: seed(t, "seed_error_500.json")}},
			outcome: "failed", creates: 1, ws: 0,
			says: []string{"HTTP 500", "UNEXPECTED_ERROR", "safe to try again"},
		},
		{
			// Atlas created the workspace but answered 500: the worker's
			// follow-up read finds it, and it is reported as created.
			name: "500 after the create was applied", op: atlastest.OpCreateStream,
			faults:  []atlastest.Fault{{Status: 500, AfterApply: true}},
			outcome: "created", creates: 1, ws: 1,
			says: []string{"created", "orders-ws"},
		},
		{
			name: "connection dropped after the create was applied", op: atlastest.OpCreateStream,
			faults:  []atlastest.Fault{{DropConnection: true, AfterApply: true}},
			outcome: "created", creates: 1, ws: 1,
			says: []string{"created", "orders-ws"},
		},
		{
			name: "garbled answer after the create was applied", op: atlastest.OpCreateStream,
			faults:  []atlastest.Fault{{Malformed: true, Status: 201, AfterApply: true}},
			outcome: "created", creates: 1, ws: 1,
			says: []string{"created", "orders-ws"},
		},
		{
			// The create hangs past the worker's Atlas budget: the
			// function timeout (6 s here) less what provision keeps back
			// for Slack (5 s, at most half the time: 3 s here). The
			// worker gives up, checks by name, finds nothing and says so,
			// well before the function times out.
			name: "create hangs past the budget", op: atlastest.OpCreateStream,
			cfg:     stackConfig{createTimeout: 6 * time.Second},
			faults:  []atlastest.Fault{{Delay: time.Minute}},
			outcome: "failed", creates: 1, ws: 0,
			says: []string{"did not answer in time"},
		},
		{
			// The token exchange is refused: the worker re-reads the
			// secret once, is refused again, and says so.
			name: "service account refused", op: atlastest.OpToken,
			faults: []atlastest.Fault{{Status: 401, Times: 10,
				Body: `{"error":"invalid_client","error_description":"Invalid client credentials."}`}},
			outcome: "failed", creates: 0, ws: 0,
			says: []string{"refused the bot's service account credentials", "HTTP 401"},
		},
		{
			// The token endpoint is down, which is not a refusal of the
			// credentials.
			name: "token endpoint down", op: atlastest.OpToken,
			faults:  []atlastest.Fault{{Status: 503, Times: 10}},
			outcome: "failed", creates: 0, ws: 0,
			says: []string{"HTTP 503"}, notSays: []string{"refused"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, tc.cfg)
			for _, f := range tc.faults {
				s.atlas.Inject(tc.op, f)
			}
			start := time.Now()
			resp, _ := s.command(slash{Text: createText})
			if text := ackText(t, resp); !strings.HasPrefix(text, "Working on it") {
				t.Fatalf("ack = %q", text)
			}
			s.settle()
			took := time.Since(start)

			o, r := s.lastOutcome()
			if r.Err != nil || o.Outcome != tc.outcome {
				t.Errorf("worker result %s (%v), want outcome %s", r.Response, r.Err, tc.outcome)
			}
			ans := s.oneAnswer()
			for _, w := range tc.says {
				if !strings.Contains(ans.Text, w) {
					t.Errorf("answer lacks %q:\n%s", w, ans.Text)
				}
			}
			for _, w := range tc.notSays {
				if strings.Contains(ans.Text, w) {
					t.Errorf("answer says %q:\n%s", w, ans.Text)
				}
			}
			if n := s.atlas.Calls(atlastest.OpCreateStream); n != tc.creates {
				t.Errorf("Atlas got %d create requests, want %d", n, tc.creates)
			}
			if n := s.atlas.Workspaces(devGroupID); n != tc.ws {
				t.Errorf("Atlas holds %d workspaces, want %d", n, tc.ws)
			}
			if took < tc.minTook {
				t.Errorf("the Job took %v, want at least %v", took, tc.minTook)
			}
			if tc.cfg.createTimeout > 0 && took >= tc.cfg.createTimeout {
				t.Errorf("the Job took %v, past the function timeout %v", took, tc.cfg.createTimeout)
			}
		})
	}
}

// TestSlackFaults covers Slack refusing the worker's posts: a rate limit is
// waited out, and a channel the bot is not in is answered through the
// response_url in the channel.
func TestSlackFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		method   string
		fault    slackrec.Fault
		route    string // where the answer went
		respType string
	}{
		{"parent rate limited", slackrec.PostMessage, slackrec.Fault{RetryAfter: "1"}, "thread", ""},
		{"thread reply rate limited", slackrec.PostMessage, slackrec.Fault{After: 1, RetryAfter: "1"}, "thread", ""},
		{"not in channel", slackrec.PostMessage, slackrec.Fault{Error: "not_in_channel"}, "response_url_channel", "in_channel"},
		{"thread reply not in channel", slackrec.PostMessage, slackrec.Fault{After: 1, Error: "not_in_channel"}, "response_url_channel", "in_channel"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, stackConfig{})
			s.slack.Inject(tc.method, tc.fault)
			s.command(slash{Text: createText})
			s.settle()
			o, r := s.lastOutcome()
			if r.Err != nil || o.Outcome != "created" || o.Delivered != tc.route {
				t.Errorf("worker result %s (%v), want created, delivered %s", r.Response, r.Err, tc.route)
			}
			ans := s.oneAnswer()
			if ans.ResponseType != tc.respType || !strings.Contains(ans.Text, "orders-ws") {
				t.Errorf("answer %+v, want response_type %q about orders-ws", ans, tc.respType)
			}
			failed := 0
			for _, c := range s.slack.Calls() {
				if c.Failed {
					failed++
				}
			}
			if failed != 1 {
				t.Errorf("%d failed Slack calls, want the 1 injected:\n%s", failed, describeCalls(s.slack.Calls()))
			}
			if n := s.atlas.Calls(atlastest.OpCreateStream); n != 1 || s.atlas.Workspaces(devGroupID) != 1 {
				t.Errorf("%d creates, %d workspaces; want 1 and 1", n, s.atlas.Workspaces(devGroupID))
			}
		})
	}
}

// TestAtlasSecretFaults breaks the Atlas secret: missing, not JSON, and a
// service-account pair with a key missing. The worker answers once, through
// the response_url, without calling Atlas and without quoting the secret.
func TestAtlasSecretFaults(t *testing.T) {
	t.Parallel()
	leak := "hunter2-" + randomHex(12)
	notJSON := "client_id=mdb_sa_id_x&client_secret=" + leak
	halfPair := `{"client_id":"mdb_sa_id_x","client_secret":"","note":"` + leak + `"}`
	tests := []struct {
		name string
		cfg  stackConfig
		says string
	}{
		{"missing", stackConfig{noAtlasSecret: true}, "could not read its Atlas credentials"},
		{"not JSON", stackConfig{atlasSecret: &notJSON}, "could not read its Atlas credentials"},
		{"half a pair", stackConfig{atlasSecret: &halfPair}, "client_secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, tc.cfg)
			s.command(slash{Text: createText})
			s.settle()
			o, r := s.lastOutcome()
			if r.Err != nil || o.Outcome != "failed" || o.Delivered != "response_url_ephemeral" {
				t.Errorf("worker result %s (%v), want failed, delivered response_url_ephemeral", r.Response, r.Err)
			}
			ans := s.oneAnswer()
			if !strings.Contains(ans.Text, tc.says) || strings.Contains(ans.Text, leak) {
				t.Errorf("answer %q: want it to say %q and not quote the secret", ans.Text, tc.says)
			}
			if n := s.atlasCalls(); n != 0 {
				t.Errorf("Atlas got %d calls, want 0", n)
			}
			if strings.Contains(s.createFn.Logs(), leak) {
				t.Error("the worker's output quotes the broken secret")
			}
		})
	}
}

// clock is an adjustable clock for the simulator.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// TestAtlasSecretRotated rotates the service account while a warm worker
// holds a client and a token for the old one: the old account is revoked
// in Atlas (its secret changed and every token it holds expired) and the
// secret in Secrets Manager now names a new account. The next Job gets a
// 401, re-reads the secret once, and succeeds with the new account.
func TestAtlasSecretRotated(t *testing.T) {
	t.Parallel()
	var clk clock
	s := newStack(t, stackConfig{atlasOpts: []atlastest.Option{atlastest.WithClock(clk.Now)}})
	s.command(slash{Text: "create first-ws --region VIRGINIA_USA"})
	s.settle()
	if o, _ := s.lastOutcome(); o.Outcome != "created" {
		t.Fatalf("the first create: %+v", o)
	}
	tokensBefore := s.atlas.Calls(atlastest.OpToken)

	// Rotate: a new account, the old one revoked, the secret updated.
	newID, newSecret := "mdb_sa_id_"+randomHex(12), "mdb_sa_sk_"+randomHex(20)
	s.atlas.AddServiceAccount(newID, newSecret)
	s.atlas.AddServiceAccount(s.clientID, "revoked-"+randomHex(20))
	clk.Advance(2 * atlastest.DefaultTokenTTL)
	if _, err := s.sm.PutSecretValue(t.Context(), &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(s.atlasSecretARN), SecretString: aws.String(s.serviceAccountJSON(newID, newSecret)),
	}); err != nil {
		t.Fatal(err)
	}
	s.moreSecrets = append(s.moreSecrets, newSecret) // both must stay out of the logs

	s.command(slash{Text: "create second-ws --region VIRGINIA_USA"})
	s.settle()
	o, r := s.lastOutcome()
	if r.Err != nil || o.Outcome != "created" {
		t.Errorf("the create after the rotation: %s (%v), want created", r.Response, r.Err)
	}
	if _, ok := s.atlas.Workspace(devGroupID, "second-ws"); !ok || s.atlas.Workspaces(devGroupID) != 2 {
		t.Errorf("Atlas holds %d workspaces, want first-ws and second-ws", s.atlas.Workspaces(devGroupID))
	}
	if n := s.atlas.Calls(atlastest.OpToken) - tokensBefore; n < 1 {
		t.Errorf("%d token requests after the rotation, want the new account's", n)
	}
	if got := len(finalAnswers(s.slack)); got != 2 {
		t.Errorf("%d final answers for two commands, want 2", got)
	}
	if n := s.atlas.Calls(atlastest.OpCreateStream); n != 2 {
		t.Errorf("%d create requests for two commands, want 2", n)
	}
}

// invokeAsync is what Lambda does for an asynchronous invocation and its
// retries: an Event invoke through the real SDK.
func invokeAsync(t *testing.T, endpoint string, payload []byte) {
	t.Helper()
	client := lambdasdk.NewFromConfig(motoserver.Config(t.Context(), endpoint))
	out, err := client.Invoke(t.Context(), &lambdasdk.InvokeInput{
		FunctionName: aws.String(createFunctionName), InvocationType: types.InvocationTypeEvent, Payload: payload,
	})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("Event invoke: %v (%+v)", err, out)
	}
}

// onFailureRecord is the message the create function's OnFailure
// destination (the SQS queue CreateFailureQueue in infra/template.yaml)
// receives when an asynchronous invocation has failed every attempt: Lambda
// sends it after MaximumRetryAttempts (2) retries, or when the event is
// older than MaximumEventAgeInSeconds. The fields below are the ones
// Lambda documents for an invocation record; the emulator has no
// destinations, so the suite builds the record from what the relay saw
// and checks it carries what an operator needs: the Job and the error.
//
//	{"version":"1.0","timestamp":"…",
//	 "requestContext":{"requestId":"…","functionArn":"…:function:streambot-create:$LATEST",
//	   "condition":"RetriesExhausted","approximateInvokeCount":3},
//	 "requestPayload":<the Job>,
//	 "responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},
//	 "responsePayload":{"errorMessage":"… Task timed out after 6.00 seconds"}}
type onFailureRecord struct {
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext struct {
		StatusCode    int    `json:"statusCode"`
		FunctionError string `json:"functionError"`
	} `json:"responseContext"`
	ResponsePayload struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType,omitempty"`
	} `json:"responsePayload"`
}

// recordFor builds the on-failure record for a failed invocation: a
// handler error or a timeout (the emulator answers 200 with the error) or
// a runtime that died (the emulator answers 502 with the same kind of
// error body, which Lambda hands to the destination as the payload).
func recordFor(r lambdatest.Result) (onFailureRecord, bool) {
	var rec onFailureRecord
	var fe *lambdatest.FunctionError
	var se *lambdatest.StatusError
	switch {
	case errors.As(r.Err, &fe):
		rec.ResponsePayload.ErrorMessage = fe.Message
		if fe.Type != "TimeoutError" { // a timeout's payload has only the message
			rec.ResponsePayload.ErrorType = fe.Type
		}
	case errors.As(r.Err, &se):
		if json.Unmarshal(se.Body, &rec.ResponsePayload) != nil || rec.ResponsePayload.ErrorType == "" {
			return onFailureRecord{}, false
		}
	default:
		return onFailureRecord{}, false
	}
	rec.RequestPayload = r.Payload
	rec.ResponseContext.StatusCode = 200
	rec.ResponseContext.FunctionError = "Unhandled"
	return rec, true
}

// TestWorkerKilledMidJob stops the worker while its create request is in
// flight, in the two ways Lambda ends an invocation from outside: the
// runtime freezes or overruns until the function timeout (the emulator
// times the invocation out and kills the bootstrap, as Lambda does), or
// the process dies (out of memory, a crash). Either way the relay
// receives the error Lambda would retry and finally hand to the OnFailure
// destination, and nothing reaches Slack. Lambda's retry (sent here by
// hand: the emulator has no retries) then finishes the Job: one final
// answer, one workspace.
func TestWorkerKilledMidJob(t *testing.T) {
	t.Parallel()
	// The timeout leaves the worker 3.5 s of Atlas budget (provision keeps
	// 5 s, at most half the time, back for Slack): ample time to stop it
	// while the create hangs.
	const timeout = 7 * time.Second
	tests := []struct {
		name      string
		signal    syscall.Signal
		errorType string
		message   string // in the on-failure record's responsePayload
	}{
		{"timed out", syscall.SIGSTOP, "TimeoutError", "Task timed out after 7.00 seconds"},
		{"crashed", syscall.SIGKILL, "Runtime.ExitError", "signal: killed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, stackConfig{createTimeout: timeout})
			s.atlas.Inject(atlastest.OpCreateStream, atlastest.Fault{Delay: time.Minute})
			started := time.Now()
			s.command(slash{Text: createText})

			// Wait for the create request to reach Atlas, then stop the worker.
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			for s.atlas.Calls(atlastest.OpCreateStream) == 0 {
				select {
				case <-ctx.Done():
					t.Fatal("the create request never reached Atlas")
				case <-time.After(5 * time.Millisecond):
				}
			}
			pid := s.createFn.BootstrapPID()
			if pid == 0 {
				t.Fatal("no worker process")
			}
			if err := syscall.Kill(pid, tc.signal); err != nil {
				t.Fatal(err)
			}
			s.settle()

			results := s.relay.Results()
			if len(results) != 1 {
				t.Fatalf("%d results, want 1", len(results))
			}
			rec, ok := recordFor(results[0])
			if !ok {
				t.Fatalf("the invocation ended with %v (%q), want a function error", results[0].Err, results[0].Response)
			}
			got := rec.ResponsePayload
			if tc.errorType == "TimeoutError" {
				var fe *lambdatest.FunctionError
				if errors.As(results[0].Err, &fe) {
					got.ErrorType = fe.Type
				}
			}
			if got.ErrorType != tc.errorType || !strings.Contains(got.ErrorMessage, tc.message) {
				t.Errorf("on-failure responsePayload %+v, want %s: %q", got, tc.errorType, tc.message)
			}
			var job jobJSON
			if err := json.Unmarshal(rec.RequestPayload, &job); err != nil || job.Name != "orders-ws" || job.Action != "create" {
				t.Errorf("on-failure requestPayload %s, want the Job", rec.RequestPayload)
			}
			if got := finalAnswers(s.slack); len(got) != 0 {
				t.Errorf("the stopped worker answered:\n%s", describeCalls(got))
			}
			if lambdatest.Alive(pid) {
				t.Errorf("the stopped worker %d is still there", pid)
			}

			// Lambda's first retry: the same event, a fresh execution
			// environment, a minute or more later in AWS; by then the dead
			// attempt's claim on the operation (the state table's lease,
			// its deadline) has lapsed, so wait at least that long.
			select {
			case <-time.After(time.Until(started.Add(timeout + time.Second))):
			case <-t.Context().Done():
				t.Fatal(t.Context().Err())
			}
			invokeAsync(t, s.relay.Endpoint(), results[0].Payload)
			s.settle()
			o, r := s.lastOutcome()
			if r.Err != nil || o.Outcome != "created" {
				t.Errorf("the retry: %s (%v), want created", r.Response, r.Err)
			}
			s.oneAnswer()
			if n := s.atlas.Workspaces(devGroupID); n != 1 {
				t.Errorf("Atlas holds %d workspaces, want 1", n)
			}
			if n := s.atlas.Calls(atlastest.OpCreateStream); n != 2 {
				t.Errorf("Atlas got %d create requests, want 2 (the first was never applied)", n)
			}
		})
	}
}

// TestSlackDownThenRetry takes every Slack path away from the worker: the
// Job still creates the workspace, but with nothing delivered it returns an
// error, which is what makes Lambda retry. The retry (Slack back) finds the
// workspace by name and answers once, "already existed"; nothing is created
// twice.
func TestSlackDownThenRetry(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	s.slack.Inject(slackrec.PostMessage, slackrec.Fault{Status: 500})
	s.slack.Inject(slackrec.ResponseURL, slackrec.Fault{Status: 500})
	s.command(slash{Text: createText})
	s.settle()
	results := s.relay.Results()
	rec, ok := recordFor(results[0])
	if !ok {
		t.Fatalf("with Slack down the worker returned %q, %v; want an error so that Lambda retries", results[0].Response, results[0].Err)
	}
	if strings.Contains(rec.ResponsePayload.ErrorMessage, "/commands/") {
		t.Errorf("the error Lambda records quotes the response_url: %q", rec.ResponsePayload.ErrorMessage)
	}
	if len(finalAnswers(s.slack)) != 0 || s.atlas.Workspaces(devGroupID) != 1 {
		t.Fatalf("%d answers and %d workspaces with Slack down, want 0 and 1", len(finalAnswers(s.slack)), s.atlas.Workspaces(devGroupID))
	}

	// Slack is back (the injected faults are used up); Lambda retries.
	invokeAsync(t, s.relay.Endpoint(), results[0].Payload)
	s.settle()
	o, r := s.lastOutcome()
	if r.Err != nil || o.Outcome != "already_existed" || o.Delivered != "thread" {
		t.Errorf("the retry: %s (%v), want already_existed in the thread", r.Response, r.Err)
	}
	if ans := s.oneAnswer(); !strings.Contains(ans.Text, "already existed") {
		t.Errorf("answer %q, want it to say the workspace already existed", ans.Text)
	}
	if n := s.atlas.Calls(atlastest.OpCreateStream); n != 1 || s.atlas.Workspaces(devGroupID) != 1 {
		t.Errorf("%d create requests, %d workspaces; want 1 and 1", n, s.atlas.Workspaces(devGroupID))
	}
}
