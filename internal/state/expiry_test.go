package state_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/motoserver"
	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/internal/state/statetest"
)

// ids returns the operations' IDs, in order.
func ids(ops []state.Operation) []string {
	out := []string{}
	for _, op := range ops {
		out = append(out, op.ID)
	}
	return out
}

// ExpiredApprovals lists exactly the operations whose lapse is still to
// be shown: pending_approval with their expiry passed, or expired and not
// yet announced; oldest expiry first: not those decided (approved,
// rejected, claimed, expired and announced), not queued ones, not those
// still in time; an approval taken back (Unapprove) is listed again.
func TestExpiredApprovals(t *testing.T) {
	forEachStore(t, func(t *testing.T, s state.Store, c *clock) {
		ctx := context.Background()
		list := func(limit int) []string {
			t.Helper()
			ops, err := s.ExpiredApprovals(ctx, limit)
			if err != nil {
				t.Fatalf("ExpiredApprovals(%d) = %v", limit, err)
			}
			for _, op := range ops {
				if !op.ExpiryToShow(c.Now()) || op.ExpiresAt.After(c.Now()) {
					t.Errorf("listed %s: %s until %v at %v (owner %q)", op.ID, op.Status, op.ExpiresAt, c.Now(), op.Owner)
				}
			}
			return ids(ops)
		}
		waiting := func(id string, d time.Duration) {
			t.Helper()
			op := pending(id, c)
			op.ExpiresAt = c.Now().Add(d)
			mustBegin(t, s, op)
		}
		mustBegin(t, s, newOp("queued"))
		waiting("in-an-hour", time.Hour)
		waiting("in-30m", 30*time.Minute)
		waiting("in-2h", 2*time.Hour)
		waiting("rejected", 5*time.Minute)
		mustTransition(t, s, "rejected", state.Reject(bob, "no"))
		waiting("unapproved", 10*time.Minute)
		mustTransition(t, s, "unapproved", state.Approve(bob))
		mustTransition(t, s, "unapproved", state.Unapprove())
		waiting("claimed", 15*time.Minute)
		mustTransition(t, s, "claimed", state.Approve(bob))
		mustTransition(t, s, "claimed", state.Claim("w1", c.Now().Add(time.Minute)))

		if got := list(0); len(got) != 0 {
			t.Errorf("before any expiry: %v, want none", got)
		}
		c.Advance(time.Hour)
		if diff := cmp.Diff([]string{"unapproved", "in-30m", "in-an-hour"}, list(0)); diff != "" {
			t.Errorf("an hour on (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"unapproved"}, list(1)); diff != "" {
			t.Errorf("limit 1 (-want +got):\n%s", diff)
		}
		// Expired (by a sweep or a late click): still listed until its
		// expiry is announced, so that a sweep shows what an earlier one
		// (or a click) recorded and could not show; then no more.
		mustTransition(t, s, "in-30m", state.Expire())
		if diff := cmp.Diff([]string{"unapproved", "in-30m", "in-an-hour"}, list(state.MaxExpired+1)); diff != "" {
			t.Errorf("after Expire (-want +got):\n%s", diff)
		}
		mustTransition(t, s, "in-30m", state.Announce(state.StatusExpired, "w1"))
		if diff := cmp.Diff([]string{"unapproved", "in-an-hour"}, list(state.MaxExpired+1)); diff != "" {
			t.Errorf("after Announce (-want +got):\n%s", diff)
		}
		// The listed operation is the whole record: the sweep needs its Job.
		ops, err := s.ExpiredApprovals(ctx, 1)
		if err != nil || len(ops) != 1 || string(ops[0].Request) != string(newOp("").Request) || ops[0].Requester != alice {
			t.Errorf("ExpiredApprovals(1) = %+v, %v; want the unapproved operation with its request", ops, err)
		}
	})
}

// More lapsed approvals than one call returns: MaxExpired at a time, the
// oldest first.
func TestExpiredApprovalsBounded(t *testing.T) {
	forEachStore(t, func(t *testing.T, s state.Store, c *clock) {
		for i := range state.MaxExpired + 2 {
			op := pending(fmt.Sprintf("p.%03d", i), c)
			op.ExpiresAt = c.Now().Add(time.Minute + time.Duration(i)*time.Second)
			mustBegin(t, s, op)
		}
		c.Advance(time.Hour)
		ops, err := s.ExpiredApprovals(context.Background(), 0)
		if err != nil || len(ops) != state.MaxExpired {
			t.Fatalf("ExpiredApprovals(0) = %d operations, %v; want %d", len(ops), err, state.MaxExpired)
		}
		for i := 1; i < len(ops); i++ {
			if ops[i].ExpiresAt.Before(ops[i-1].ExpiresAt) {
				t.Fatalf("operation %d expires before %d: not oldest first", i, i-1)
			}
		}
		if ops[0].ID != "p.000" {
			t.Errorf("first listed %s, want the oldest expiry p.000", ops[0].ID)
		}
	})
}

// The pending-approvals index is sparse: its key attribute is on an item
// exactly while it is pending_approval. Begin writes it for a pending
// approval only; every transition out of pending_approval removes it and
// Unapprove writes it again. Read raw from moto with the AWS SDK.
func TestPendingAttributeIsSparse(t *testing.T) {
	t.Parallel()
	cfg := motoserver.Config(context.Background(), statetest.Serialized(t, motoserver.Shared(t)))
	table := statetest.NewTable(t, cfg)
	c := newClock()
	s := state.NewDynamo(state.NewDynamoClient(cfg, ""), table, state.WithClock(c.Now))
	sdk := dynamodb.NewFromConfig(cfg)
	has := func(id string) bool {
		t.Helper()
		out, err := sdk.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table),
			Key: map[string]types.AttributeValue{state.KeyAttribute: &types.AttributeValueMemberS{Value: id}}, ConsistentRead: aws.Bool(true)})
		if err != nil || out.Item == nil {
			t.Fatalf("GetItem(%s) = %v, %v", id, out, err)
		}
		_, ok := out.Item[state.PendingAttribute]
		return ok
	}
	type step struct {
		id   string
		tr   *state.Transition
		want bool
	}
	tr := func(t state.Transition) *state.Transition { return &t }
	mustBegin(t, s, newOp("queued"))
	for _, id := range []string{"approve", "reject", "cancel", "expire"} {
		mustBegin(t, s, pending(id, c))
	}
	for _, st := range []step{
		{id: "queued", want: false},
		{id: "approve", want: true},
		{id: "approve", tr: tr(state.Approve(bob)), want: false},
		{id: "approve", tr: tr(state.Unapprove()), want: true},
		{id: "approve", tr: tr(state.Approve(carol)), want: false},
		{id: "approve", tr: tr(state.Claim("w1", c.Now().Add(time.Minute))), want: false},
		{id: "reject", tr: tr(state.Reject(bob, "no")), want: false},
		{id: "cancel", tr: tr(state.Cancel(alice)), want: false},
	} {
		if st.tr != nil {
			mustTransition(t, s, st.id, *st.tr)
		}
		if got := has(st.id); got != st.want {
			name := "begin"
			if st.tr != nil {
				name = string(st.tr.To)
			}
			t.Errorf("%s after %s: %s present = %v, want %v", st.id, name, state.PendingAttribute, got, st.want)
		}
	}
	c.Advance(2 * time.Hour)
	mustTransition(t, s, "expire", state.Expire())
	if !has("expire") {
		t.Errorf("expire after Expire: %s absent, want it kept until the expiry is announced", state.PendingAttribute)
	}
	mustTransition(t, s, "expire", state.Announce(state.StatusExpired, "w1"))
	if has("expire") {
		t.Errorf("expire after Announce: %s present", state.PendingAttribute)
	}
}

// Index items that need no showing (an operation decided by a version
// that did not know the index, or edited by hand) and one that does not
// read as an operation are passed over: they neither stop the listing nor
// hide, by filling its pages, the lapsed request behind them.
func TestExpiredApprovalsPassesOverStrayItems(t *testing.T) {
	t.Parallel()
	cfg := motoserver.Config(context.Background(), motoserver.Shared(t))
	table := statetest.NewTable(t, cfg)
	c := newClock()
	s := state.NewDynamo(state.NewDynamoClient(cfg, ""), table, state.WithClock(c.Now))
	sdk := dynamodb.NewFromConfig(cfg)
	ctx := context.Background()
	set := func(id, update string, values map[string]types.AttributeValue) {
		t.Helper()
		if _, err := sdk.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table),
			Key:              map[string]types.AttributeValue{state.KeyAttribute: &types.AttributeValueMemberS{Value: id}},
			UpdateExpression: aws.String(update), ExpressionAttributeNames: map[string]string{"#s": "status"},
			ExpressionAttributeValues: values}); err != nil {
			t.Fatalf("UpdateItem(%s): %v", id, err)
		}
	}
	// Strays sort first: they lapsed before the real one.
	for i := range 12 {
		id := fmt.Sprintf("stray.%02d", i)
		op := pending(id, c)
		op.ExpiresAt = c.Now().Add(time.Duration(i+1) * time.Second)
		mustBegin(t, s, op)
		set(id, "SET #s = :done", map[string]types.AttributeValue{":done": &types.AttributeValueMemberS{Value: "done"}})
	}
	_, err := sdk.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table),
		Key:                       map[string]types.AttributeValue{state.KeyAttribute: &types.AttributeValueMemberS{Value: "broken"}},
		UpdateExpression:          aws.String("SET #p = :p, expires_at = :e, created_at = :bad, #s = :s"),
		ExpressionAttributeNames:  map[string]string{"#p": state.PendingAttribute, "#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "approval"}, ":e": &types.AttributeValueMemberS{Value: "2026-12-07T09:00:00.000000000Z"}, ":bad": &types.AttributeValueMemberS{Value: "not a time"}, ":s": &types.AttributeValueMemberS{Value: "pending_approval"}}})
	if err != nil {
		t.Fatalf("UpdateItem(broken): %v", err)
	}
	real := pending("real", c)
	real.ExpiresAt = c.Now().Add(time.Minute)
	mustBegin(t, s, real)
	c.Advance(time.Hour)

	ops, err := s.ExpiredApprovals(ctx, 5) // the strays fill more than two pages of 5
	if err != nil {
		t.Fatalf("ExpiredApprovals = %v, want the stray items passed over", err)
	}
	if diff := cmp.Diff([]string{"real"}, ids(ops)); diff != "" {
		t.Errorf("listed (-want +got):\n%s", diff)
	}
}
