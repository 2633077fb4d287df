package state_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/streambot/streambot/internal/state"
)

// The once-only steps of one Job, as the Slack edge and the worker take
// them, and what a replay and a second worker see.
func Example() {
	ctx := context.Background()
	s := state.NewMemory() // state.FromEnv in the functions

	// The Slack edge, before it hands off the Job: the first writer wins.
	op := state.Operation{
		ID: "13345224609.738474920.8088930838d88f008e0", Kind: "create", Requester: "U0ALICE",
		GroupID: "6a1b2c3d4e5f6a7b8c9d0e1f", Workspace: "orders-ws", Status: state.StatusQueued,
		Request: []byte(`{"op":"create"}`),
	}
	if _, err := s.Begin(ctx, op); err != nil {
		fmt.Println("not handed off:", err) // ErrUnavailable: "the state table is unavailable, nothing was done"
		return
	}

	// The worker: claim the run once, then post the parent once.
	deadline := time.Now().Add(2 * time.Minute)
	claimed, err := s.Transition(ctx, op.ID, state.Claim("attempt-7f3a", deadline))
	if err != nil {
		fmt.Println("not mine:", err)
		return
	}
	if claimed.ParentTS == "" { // else: a retry; finish the recorded parent
		// ... chat.postMessage → channel C0CHAN, ts 1765100000.000100
		if _, err := s.SetParent(ctx, op.ID, "C0CHAN", "1765100000.000100"); err != nil {
			fmt.Println(err)
		}
	}
	// ... the Atlas call, the answer in the thread ...
	done, _ := s.Transition(ctx, op.ID, state.Finish("attempt-7f3a", state.StatusDone, "created"))
	fmt.Println(done.Status, done.Outcome)

	// A second worker handed the same Job.
	_, err = s.Transition(ctx, op.ID, state.Claim("attempt-91bc", deadline))
	var ce *state.ConflictError
	if errors.As(err, &ce) {
		fmt.Println("second worker:", ce.Refusal, ce.Current.Status)
	}

	// The slash command, replayed.
	_, err = s.Begin(ctx, op)
	if errors.Is(err, state.ErrExists) && errors.As(err, &ce) {
		fmt.Println("replay: already handled in", ce.Current.ParentChannel, ce.Current.ParentTS)
	}
	// Output:
	// done created
	// second worker: status done
	// replay: already handled in C0CHAN 1765100000.000100
}

// An approval: the requester cannot approve, a second person can, once.
func ExampleApprove() {
	ctx := context.Background()
	s := state.NewMemory()
	op := state.Operation{
		ID: "13345224609.1", Kind: "delete", Requester: "U0ALICE", GroupID: "5f1a2b3c4d5e6f7a8b9c0d1e",
		Workspace: "orders-ws", Status: state.StatusPendingApproval, ExpiresAt: time.Now().Add(time.Hour),
	}
	if _, err := s.Begin(ctx, op); err != nil {
		fmt.Println(err)
		return
	}
	for _, approver := range []string{"U0ALICE", "U0BOB", "U0CAROL"} {
		_, err := s.Transition(ctx, op.ID, state.Approve(approver))
		var ce *state.ConflictError
		switch {
		case err == nil:
			fmt.Println(approver, "approved")
		case errors.As(err, &ce) && ce.Refusal == state.RefusedRequester:
			fmt.Println(approver, "may not approve their own request")
		case errors.As(err, &ce):
			fmt.Println(approver, "too late:", ce.Current.Status, "by", ce.Current.DecidedBy)
		}
	}
	// Output:
	// U0ALICE may not approve their own request
	// U0BOB approved
	// U0CAROL too late: approved by U0BOB
}
