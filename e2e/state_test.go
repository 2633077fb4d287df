package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/lambdatest"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/slackbot"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// The state table under the emulator: both functions share one in
// moto_server (behind statetest.Serialized, as DynamoDB applies
// conditional writes atomically and moto does not).

// parents returns the parent messages posted.
func parents(sl *slackrec.Server) []slackrec.Call {
	var out []slackrec.Call
	for _, c := range sl.Delivered(slackrec.PostMessage) {
		if isParent(c) {
			out = append(out, c)
		}
	}
	return out
}

// TestSlashReplayedIsAlreadyHandled: Slack's signed request sent again
// within the 5-minute window (same trigger_id) is answered "already
// handled" with a link to the first one's thread, and does nothing.
func TestSlashReplayedIsAlreadyHandled(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{})
	body := s.form(slash{Text: createText})
	first := s.invoke(apiEvent(body, s.signingSecret, time.Now()))
	if !strings.Contains(ackText(t, first), "Working on it") {
		t.Fatalf("first ack %q", first.Body)
	}
	s.settle()
	replay := s.invoke(apiEvent(body, s.signingSecret, time.Now()))
	s.settle()

	ps := parents(s.slack)
	if len(ps) != 1 {
		t.Fatalf("%d parent messages, want 1:\n%s", len(ps), describeCalls(s.slack.Calls()))
	}
	link := reply.Permalink(channelID, ps[0].TS)
	if got := ackText(t, replay); !strings.Contains(got, "already handled") || !strings.Contains(got, link) {
		t.Errorf("replay ack %q, want \"already handled\" with %s", got, link)
	}
	if n := len(s.relay.Results()); n != 1 {
		t.Errorf("the worker was invoked %d times, want 1", n)
	}
	if n := s.atlas.Calls(atlastest.OpCreateStream); n != 1 {
		t.Errorf("Atlas got %d creates, want 1", n)
	}
	s.oneAnswer()
}

// TestTwoWorkersOneJob: two worker containers (emulators) sharing the
// state table are handed the same Job at once (Lambda's duplicate
// delivery): one parent message, one final answer, one Atlas write.
func TestTwoWorkersOneJob(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{atlasOpts: []atlastest.Option{atlastest.WithHostnameDelay(1)}})
	second := s.startFunction(createPkg, s.createEnv(), false,
		lambdatest.WithFunctionName(createFunctionName), lambdatest.WithTimeout(createTimeout))
	job := jobJSON{ID: "dup." + randomHex(8), Action: "create", GroupID: devGroupID, ProjectAlias: "dev", Name: "orders-ws",
		Provider: "AWS", Region: "VIRGINIA_USA", Tier: "SP30",
		Slack: slackJSON{TeamID: teamID, ChannelID: channelID, UserID: creator, ResponseURL: s.slack.ResponseURL("dup"), Command: "/stream"}}
	payload, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	outcomes := make([]string, 2)
	for i, fn := range []*lambdatest.Function{s.createFn, second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(t.Context(), createTimeout)
			defer cancel()
			out, err := fn.Invoke(ctx, payload)
			if err != nil {
				t.Errorf("worker %d: %v", i+1, err)
				return
			}
			var r struct{ Outcome string }
			_ = json.Unmarshal(out, &r)
			outcomes[i] = r.Outcome
		}()
	}
	wg.Wait()
	if !(outcomes[0] == "created" && outcomes[1] == "duplicate" || outcomes[0] == "duplicate" && outcomes[1] == "created") {
		t.Errorf("outcomes %q, want one created and one duplicate", outcomes)
	}
	if n := len(parents(s.slack)); n != 1 {
		t.Errorf("%d parent messages, want 1:\n%s", n, describeCalls(s.slack.Calls()))
	}
	s.oneAnswer()
	if n := len(s.rec.Creates()); n != 1 {
		t.Errorf("Atlas got %d create requests, want 1", n)
	}
}

// TestWorkerKilledAfterParentIsFinishedByRetry: the worker dies after
// posting (and recording) the parent message, in the middle of the create;
// Lambda's retry, in a new container once the dead attempt's lease has
// passed, finishes that parent: no second parent, one answer in its
// thread, the parent marked done, one workspace.
func TestWorkerKilledAfterParentIsFinishedByRetry(t *testing.T) {
	t.Parallel()
	const timeout = 6 * time.Second // the dead attempt's lease ends with it
	s := newStack(t, stackConfig{createTimeout: timeout})
	s.atlas.Inject(atlastest.OpCreateStream, atlastest.Fault{Delay: time.Minute}) // the first attempt hangs in the create
	started := time.Now()
	s.command(slash{Text: createText})

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for s.atlas.Calls(atlastest.OpCreateStream) == 0 { // the parent is posted and recorded before the create
		select {
		case <-ctx.Done():
			t.Fatal("the create request never reached Atlas")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := syscall.Kill(s.createFn.BootstrapPID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.settle()
	results := s.relay.Results()
	if len(results) != 1 || len(parents(s.slack)) != 1 {
		t.Fatalf("%d invocations, %d parents before the retry; want 1 and 1", len(results), len(parents(s.slack)))
	}

	// Lambda retries the event in a new container after a while; by then
	// the dead attempt's lease (its deadline) has passed.
	select {
	case <-time.After(time.Until(started.Add(timeout + time.Second))):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	retry := s.startFunction(createPkg, s.createEnv(), false,
		lambdatest.WithFunctionName(createFunctionName), lambdatest.WithTimeout(createTimeout))
	out, err := retry.Invoke(t.Context(), results[0].Payload)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	var r struct{ Outcome, Delivered string }
	if err := json.Unmarshal(out, &r); err != nil || r.Outcome != "created" || r.Delivered != "thread" {
		t.Errorf("retry result %s, want created in the thread", out)
	}
	ps := parents(s.slack)
	if len(ps) != 1 {
		t.Fatalf("%d parent messages, want 1:\n%s", len(ps), describeCalls(s.slack.Calls()))
	}
	ans := s.oneAnswer()
	if ans.ThreadTS != ps[0].TS {
		t.Errorf("the answer is in thread %q, want the first parent's %q", ans.ThreadTS, ps[0].TS)
	}
	updates := s.slack.Delivered(slackrec.Update)
	if len(updates) != 1 || updates[0].TS != ps[0].TS || !strings.Contains(updates[0].Text, "✅") {
		t.Errorf("parent updates %+v, want the first parent marked done", updates)
	}
	if n := s.atlas.Workspaces(devGroupID); n != 1 {
		t.Errorf("Atlas holds %d workspaces, want 1", n)
	}
}

// approvalPolicy lets the creator create on prod, which needs an
// approval by someone else among the creator and U0LEAD.
const approvalPolicy = `  - subjects: [user:` + creator + `]
    projects: [prod]
    role: GROUP_STREAM_PROCESSING_OWNER
approvals:
  - projects: [prod]
    actions: [create]
    approvers: [user:` + creator + `, user:` + lead + `]
    expires: 1h
`

const lead = "U0LEAD"

// TestApprovalByClick is an approval's whole road through the built
// bootstraps and the shared state table: the protected create waits with
// its request in the channel; the requester's own Approve is refused; the
// lead's Approve, double-clicked, runs the create once, answered in the
// request's thread, and the request is re-rendered without buttons.
func TestApprovalByClick(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{policyExtra: approvalPolicy})
	resp, _ := s.command(slash{Text: "create billing-ws --region VIRGINIA_USA --tier SP10 --project prod"})
	if ack := ackText(t, resp); !strings.Contains(ack, "asks for an approval") {
		t.Fatalf("ack %q, want it to say an approval is needed", ack)
	}
	s.settle()
	if n := s.atlas.Calls(atlastest.OpCreateStream); n != 0 {
		t.Fatalf("%d creates before the approval", n)
	}
	self := confirmation(t, s.slack, "streambot.approve.create", creator)
	s.invoke(apiEventTo("/slack/interactions", slackbot.ClickBody(self), s.signingSecret, time.Now()))
	s.settle()
	if n := s.atlas.Calls(atlastest.OpCreateStream); n != 0 {
		t.Fatalf("%d creates after the requester's own approval", n)
	}
	click := confirmation(t, s.slack, "streambot.approve.create", lead)
	body := slackbot.ClickBody(click)
	for range 2 {
		s.invoke(apiEventTo("/slack/interactions", body, s.signingSecret, time.Now()))
	}
	s.settle()

	if n := s.atlas.Calls(atlastest.OpCreateStream); n != 1 {
		t.Errorf("%d creates, want 1", n)
	}
	if _, ok := s.atlas.Workspace(prodGroupID, "billing-ws"); !ok {
		t.Error("the workspace was not created on prod")
	}
	var answered, noted bool
	for _, c := range s.slack.Delivered(slackrec.PostMessage) {
		if c.ThreadTS == click.MessageTS {
			answered = answered || strings.Contains(c.Text, "billing-ws")
			noted = noted || strings.Contains(c.Text, "<@"+lead+"> approved this")
		}
	}
	if !answered || !noted {
		t.Errorf("thread of the request: answer %t, approval noted %t; want both:\n%s", answered, noted, describeCalls(s.slack.Calls()))
	}
	var rerendered bool
	for _, c := range s.slack.Delivered(slackrec.Update) {
		rerendered = rerendered || c.TS == click.MessageTS && strings.Contains(c.Text, "done (created)") && !strings.Contains(string(c.Blocks), `"actions"`)
	}
	if !rerendered {
		t.Error("the request was not re-rendered as done, without buttons")
	}
	var refused, twice bool
	for _, c := range s.slack.Delivered(slackrec.ResponseURL) {
		refused = refused || strings.Contains(c.Text, "someone else must approve")
		twice = twice || strings.Contains(c.Text, "already approved")
	}
	if !refused || !twice {
		t.Errorf("private answers: self-approval refused %t, second click told %t; want both", refused, twice)
	}
}
