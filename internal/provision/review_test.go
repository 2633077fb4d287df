package provision_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// Tests from the adversarial review of the interactive paths (clicks,
// approvals, history) after the merge of issues 10-14.

// hangingEnv is a worker whose Slack answers a channel post (no thread_ts)
// and then hangs on every other step, with the default 5 s reserve: Handle
// keeps a fifth of it (1 s) to return, a margin that holds on a loaded
// machine (with 2 s, 0.4 s did not, under the whole suite with -race).
func hangingEnv(t *testing.T, opts ...func(*setting)) *env {
	t.Helper()
	slackSrv := hangingSlack(t)
	return newEnv(t, append([]func(*setting){func(s *setting) {
		prev := s.deps
		s.deps = func(d *provision.Deps) {
			if prev != nil {
				prev(d)
			}
			d.Reserve = provision.DefaultReserve
			d.SlackAPIURL = slackSrv.URL + "/api/"
		}
		s.slackSource = func(*env) provision.SlackSource {
			return slackSourceFn(func(context.Context) (provision.SlackAPI, error) {
				return slack.New(botToken, slack.OptionAPIURL(slackSrv.URL+"/api/")), nil
			})
		}
	}}, opts...)...)
}

// A confirmation's click (Delete) and a recorded approval decision
// (Reject) with Slack hanging on chat.update and the thread reply: every
// Slack step is bounded by the reserve (issue 14 item 4), so Handle
// returns inside the invocation. Before, the re-render ran on the
// invocation's own context, into the deadline (a Lambda timeout, a retry).
func TestClickAndApprovalSlackStepsEndBeforeTheDeadline(t *testing.T) {
	t.Run("confirmation click", func(t *testing.T) {
		t.Parallel()
		e := hangingEnv(t)
		e.seed()
		j := e.job(deleteJob, func(j *provision.Job) {
			j.ID = "click.1"
			j.Slack.ResponseURL = "" // nothing but the hanging Web API
			j.Click = &provision.Click{Step: "confirm", OpID: "op.1", Requester: j.Slack.UserID,
				MessageTS: "1700000000.000100", IssuedAt: e.clock.Now()}
		})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := e.w.Handle(ctx, j)
		if ctx.Err() != nil {
			t.Fatalf("Handle() = %+v, %v returned after the deadline", res, err)
		}
	})
	t.Run("rejected approval", func(t *testing.T) {
		t.Parallel()
		clk := &lateClock{}
		st := state.NewMemory(state.WithClock(clk.Now))
		e := hangingEnv(t, withStore(st))
		clk.now = e.clock.Now
		j := e.job()
		j.Approval = &provision.ApprovalStep{Step: provision.ApprovalRequest, Approvers: []string{"<@U0LEAD>"},
			ExpiresAt: e.clock.Now().Add(time.Hour).UTC()}
		beginPending(t, st, j)
		if _, err := st.SetParent(t.Context(), j.ID, "C0123ABCD", "1700000000.000100"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Transition(t.Context(), j.ID, state.Reject("U0LEAD", "rejected")); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := e.w.Handle(ctx, decided(t, st, j.ID, provision.ApprovalRejected, "U0LEAD"))
		if ctx.Err() != nil {
			t.Fatalf("Handle() = %+v, %v returned after the deadline", res, err)
		}
	})
}

// A Job that says a waiting request was rejected (or cancelled, or
// expired) when the state table says it still waits is not believed: the
// request keeps its Approve button and its thread gets no "decided" note.
// Whoever may invoke the worker could otherwise take a pending request's
// buttons away.
func TestApproval_decisionNotInTheRecordChangesNothing(t *testing.T) {
	for _, step := range []string{provision.ApprovalRejected, provision.ApprovalCancelled, provision.ApprovalExpired, "bogus"} {
		t.Run(step, func(t *testing.T) {
			e, st, j := approvalSetup(t)
			if res, err := e.handle(j); err != nil || res.Outcome != provision.OutcomeAwaitingApproval {
				t.Fatalf("Handle(request) = %+v, %v", res, err)
			}
			before := len(e.slack.Calls(slackrec.Update, slackrec.PostMessage))
			forged := decided(t, st, j.ID, step, "U0LEAD")
			res, err := e.handle(forged)
			if err != nil || res.Outcome == provision.OutcomeRejected || res.Outcome == provision.OutcomeCancelled || res.Outcome == provision.OutcomeExpired {
				t.Errorf("Handle(%s while pending) = %+v, %v; want nothing decided", step, res, err)
			}
			if after := len(e.slack.Calls(slackrec.Update, slackrec.PostMessage)); after != before {
				t.Errorf("%d Slack posts or updates for a decision the record does not hold, want none", after-before)
			}
			if op, _ := st.Get(t.Context(), j.ID); op.Status != state.StatusPendingApproval {
				t.Errorf("record %s, want still pending", op.Status)
			}
		})
	}
}

// historyFails is a store whose History fails as DynamoDB's AccessDenied
// does: with the table's ARN, the account and the role in its text.
type historyFails struct{ state.Store }

const awsDetail = "arn:aws:sts::123456789012:assumed-role/streambot-CreateFunctionRole/x is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:us-east-1:123456789012:table/streambot-state/index/by_project"

func (historyFails) History(context.Context, string, string, int) ([]state.Operation, error) {
	return nil, errors.New("operation error DynamoDB: Query, AccessDeniedException: User: " + awsDetail)
}

// /stream history with an unreadable table says so in words for the
// channel; the AWS error (ARNs, account ID) goes to the log only (issue 14
// item 5 on the new path).
func TestHistoryFailureKeepsAWSDetailsOutOfSlack(t *testing.T) {
	e := newEnv(t, withStore(historyFails{state.NewMemory()}))
	res, err := e.handle(e.job(func(j *provision.Job) { j.Action, j.Name = provision.ActionHistory, "" }))
	if err != nil || res.Outcome != provision.OutcomeFailed {
		t.Fatalf("Handle(history) = %+v, %v; want a failure answered", res, err)
	}
	f := e.final()
	contains(t, f, "could not read its state table", "3f1a.trigger")
	for _, leak := range []string{"123456789012", "arn:aws", "AccessDenied"} {
		if strings.Contains(f.Text+string(f.Blocks), leak) {
			t.Errorf("the answer quotes %q: %s", leak, f.Text)
		}
	}
	if !strings.Contains(e.logs.String(), "123456789012") {
		t.Error("the log lacks the AWS error: an operator cannot tell what failed")
	}
}

// hangingTable is a store whose every call hangs until its context ends.
type hangingTable struct{ state.Store }

func (hangingTable) Transition(ctx context.Context, _ string, _ state.Transition) (*state.Operation, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (hangingTable) Get(ctx context.Context, _ string) (*state.Operation, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// A state table that hangs at the claim (or at an approval's read) is
// given up on where Atlas work would be, so the person still hears that
// nothing was done, inside the invocation, instead of a Lambda timeout.
func TestHangingStateTableStillAnswers(t *testing.T) {
	for name, mod := range map[string]func(*provision.Job){
		"claim": nil,
		"approval read": func(j *provision.Job) {
			j.Approval = &provision.ApprovalStep{Step: provision.ApprovalApproved, By: "U0LEAD"}
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withStore(hangingTable{state.NewMemory()}), func(s *setting) {
				prev := s.deps
				s.deps = func(d *provision.Deps) { prev(d); d.Reserve = 2 * time.Second }
			})
			var mods []func(*provision.Job)
			if mod != nil {
				mods = append(mods, mod)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
			defer cancel()
			res, err := e.w.Handle(ctx, e.job(mods...))
			if ctx.Err() != nil {
				t.Fatalf("Handle() = %+v, %v returned after the deadline", res, err)
			}
			if err != nil || res.Outcome != provision.OutcomeUnrecorded {
				t.Errorf("Handle() = %+v, %v; want unrecorded, answered", res, err)
			}
			contains(t, e.final(), "state table is unavailable")
		})
	}
}

// The response_url allowlist holds on every path that answers through a
// response_url, not only a command's: a refused click's notice, a
// confirmation's click (its message ephemeral, so the answer goes by the
// click's response_url), history, and an approval's private note.
func TestForeignResponseURLIsNeverPostedOnClickPaths(t *testing.T) {
	var hits atomic.Int32
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(foreign.Close)
	for name, mod := range map[string]func(e *env, j *provision.Job){
		"notice": func(_ *env, j *provision.Job) { j.Action, j.Notice = provision.ActionNotice, "This button is old." },
		"denial": func(_ *env, j *provision.Job) { j.Action, j.Denial = provision.ActionNotice, "ask user:U0LEAD" },
		"confirmation click": func(e *env, j *provision.Job) {
			deleteJob(j)
			j.Click = &provision.Click{Step: "confirm", OpID: "op.foreign", Requester: j.Slack.UserID, IssuedAt: e.clock.Now()}
		},
		"history": func(_ *env, j *provision.Job) { j.Action, j.Name = provision.ActionHistory, "" },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.seed()
			e.slack.Inject(slackrec.PostMessage, slackrec.Fault{Times: 9, Error: "not_in_channel"})
			e.slack.Inject(slackrec.PostEphemeral, slackrec.Fault{Times: 9, Error: "not_in_channel"})
			before := hits.Load()
			res, _ := e.handle(e.job(func(j *provision.Job) {
				mod(e, j)
				j.Slack.ResponseURL = foreign.URL + "/commands/T0001/1/x"
			}))
			if n := hits.Load() - before; n != 0 {
				t.Errorf("the foreign server got %d requests, want 0", n)
			}
			if res == nil || res.Route == reply.RouteResponseEphemeral || res.Route == reply.RouteResponseInChannel {
				t.Errorf("Handle() = %+v, want no response_url delivery", res)
			}
		})
	}
}

// Cancel on a confirmation the bot could only show privately (it is not
// in the channel, so there is no message to re-render): the person is
// told, privately, instead of hearing nothing.
func TestCancelOfAPrivateConfirmationIsAnswered(t *testing.T) {
	e := newEnv(t)
	e.seed()
	res, err := e.handle(e.job(deleteJob, func(j *provision.Job) {
		j.ID = "click.cancel"
		j.Click = &provision.Click{Step: "cancel", OpID: "op.private", Requester: j.Slack.UserID, IssuedAt: e.clock.Now()}
	}))
	if err != nil || res.Outcome != provision.OutcomeCancelled || res.Route != reply.RouteResponseEphemeral {
		t.Fatalf("Handle() = %+v, %v; want cancelled, answered privately", res, err)
	}
	contains(t, e.final(), "cancelled by <@U012ABCDEF>")
	if _, ok := e.atlas.Workspace(groupID, "orders-ws"); !ok {
		t.Error("the workspace is gone after a Cancel")
	}
}

// An approved Job runs what was approved: the request as its record holds
// it, not what the Job handed over says (a Job written by whoever may
// invoke the worker, naming another workspace, tier or channel, under an
// approved request's ID).
func TestApproval_approvedRunsTheRecordedRequest(t *testing.T) {
	e, st, j := approvalSetup(t)
	if res, err := e.handle(j); err != nil || res.Outcome != provision.OutcomeAwaitingApproval {
		t.Fatalf("Handle(request) = %+v, %v", res, err)
	}
	if _, err := st.Transition(t.Context(), j.ID, state.Approve("U0LEAD")); err != nil {
		t.Fatal(err)
	}
	forged := decided(t, st, j.ID, provision.ApprovalApproved, "U0LEAD")
	forged.Name, forged.Tier, forged.MaxTier = "other-ws", "SP50", "SP50"
	forged.Slack.ChannelID = "C0ELSEWHERE"
	res, err := e.handle(forged)
	if err != nil || res.Outcome != provision.OutcomeCreated {
		t.Fatalf("Handle(approved) = %+v, %v; want created", res, err)
	}
	if _, ok := e.atlas.Workspace(groupID, "other-ws"); ok {
		t.Error("the Job's own workspace was created, not the approved one")
	}
	if ws, ok := e.atlas.Workspace(groupID, "orders-ws"); !ok || ws.StreamConfig == nil || ws.StreamConfig.Tier != "SP30" {
		t.Errorf("approved workspace = %+v, %v; want orders-ws at SP30 as asked", ws, ok)
	}
	for _, c := range e.slack.Calls(slackrec.PostMessage, slackrec.PostEphemeral) {
		if c.Channel == "C0ELSEWHERE" {
			t.Errorf("posted in the Job's channel, not the request's: %+v", c)
		}
	}
}

// A Job cannot take over another operation's record by naming its ID: a
// click Job whose operation, project, workspace or processor differ from
// the record's gives the claim back untouched and does nothing.
func TestClickNamingAnotherOperationDoesNothing(t *testing.T) {
	clk := &lateClock{}
	st := state.NewMemory(state.WithClock(clk.Now))
	e := newEnv(t, withStore(st))
	clk.now = e.clock.Now
	e.seed()
	// Someone's delete of orders-ws, waiting for its confirming click.
	victim := e.job(deleteJob, func(j *provision.Job) { j.ID = "op.victim" })
	rec, _ := provision.NewOperation(victim)
	if _, err := st.Begin(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	forged := e.job(func(j *provision.Job) {
		j.ID, j.Action, j.Name, j.Tier, j.MaxTier, j.Provider, j.Region = "click.forged", provision.ActionUpdate, "orders-ws", "SP50", "SP50", "", ""
		j.Click = &provision.Click{Step: "confirm", OpID: "op.victim", Requester: j.Slack.UserID, IssuedAt: e.clock.Now()}
	})
	res, err := e.handle(forged)
	if err != nil || res.Outcome != provision.OutcomeFailed {
		t.Errorf("Handle() = %+v, %v; want refused", res, err)
	}
	if n := e.atlas.Calls(atlastest.OpUpdateStream) + e.atlas.Calls(atlastest.OpDeleteStream); n != 0 {
		t.Errorf("%d Atlas changes, want none", n)
	}
	if op, _ := st.Get(t.Context(), "op.victim"); op.Status != state.StatusQueued || op.Outcome != "" {
		t.Errorf("the victim's record is %s (%q), want still queued", op.Status, op.Outcome)
	}
	// Its own click still works.
	own := victim
	own.ID, own.Click = "click.own", &provision.Click{Step: "confirm", OpID: "op.victim", Requester: victim.Slack.UserID, IssuedAt: e.clock.Now()}
	if res, err := e.handle(own); err != nil || res.Outcome != provision.OutcomeDeleted {
		t.Errorf("the real click: Handle() = %+v, %v; want deleted", res, err)
	}
}
