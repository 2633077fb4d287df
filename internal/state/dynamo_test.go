package state_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/streambot/streambot/internal/motoserver"
	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/internal/state/statetest"
)

// calls runs every Store method once on s and returns their errors, by name.
func calls(s state.Store) map[string]error {
	ctx := context.Background()
	errs := map[string]error{}
	_, errs["Begin"] = s.Begin(ctx, newOp("op.1"))
	_, errs["Get"] = s.Get(ctx, "op.1")
	_, errs["SetParent"] = s.SetParent(ctx, "op.1", "C0CHAN", "1.2")
	_, errs["Transition"] = s.Transition(ctx, "op.1", state.Claim("w1", time.Now().Add(time.Minute)))
	_, errs["History"] = s.History(ctx, group, "", 0)
	_, errs["ExpiredApprovals"] = s.ExpiredApprovals(ctx, 0)
	return errs
}

func wantUnavailable(t *testing.T, errs map[string]error, reason string) {
	t.Helper()
	for name, err := range errs {
		var ue *state.UnavailableError
		if !errors.Is(err, state.ErrUnavailable) || !errors.As(err, &ue) || ue.Reason != reason {
			t.Errorf("%s = %v, want an *UnavailableError (%s)", name, err, reason)
			continue
		}
		if errors.Is(err, state.ErrConflict) || errors.Is(err, state.ErrExists) || errors.Is(err, state.ErrNotFound) {
			t.Errorf("%s = %v also matches a conflict or not-found", name, err)
		}
	}
}

// A table that does not exist (never created, deleted, wrong name in
// STATE_TABLE) makes every call an UnavailableError: the caller says so and
// does nothing.
func TestDynamoMissingTable(t *testing.T) {
	t.Parallel()
	cfg := motoserver.Config(context.Background(), motoserver.Shared(t))
	s := state.NewDynamo(state.NewDynamoClient(cfg, ""), statetest.TableName(t))
	wantUnavailable(t, calls(s), state.ReasonMissing)
}

// fakeDynamo answers every request with a DynamoDB JSON error of type
// errType and the given status, and counts the requests.
func fakeDynamo(t *testing.T, status int, errType string) (endpoint string, requests *atomic.Int64) {
	t.Helper()
	requests = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":"fake %s"}`, errType, errType)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, requests
}

// clientFor returns a DynamoDB client for endpoint whose retries (3
// attempts) do not wait.
func clientFor(endpoint string) *state.DynamoClient {
	cfg := motoserver.Config(context.Background(), endpoint)
	cfg.RetryMaxAttempts = 3
	return state.NoBackoff(state.NewDynamoClient(cfg, ""))
}

// Throttling is not something moto_server can be made to do, so a fake
// DynamoDB endpoint answers with the wire errors DynamoDB sends; the
// store's client decodes them and retries them first, as the SDK does.
func TestDynamoThrottled(t *testing.T) {
	t.Parallel()
	for _, errType := range []string{"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"} {
		t.Run(errType, func(t *testing.T) {
			t.Parallel()
			endpoint, requests := fakeDynamo(t, http.StatusBadRequest, errType)
			s := state.NewDynamo(clientFor(endpoint), "streambot-state")
			errs := calls(s)
			wantUnavailable(t, errs, state.ReasonThrottled)
			if got, want := requests.Load(), int64(3*len(errs)); got != want {
				t.Errorf("the fake saw %d requests, want %d (3 attempts per call: throttling is retried)", got, want)
			}
		})
	}
}

func TestDynamoUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	endpoint := srv.URL
	srv.Close() // nothing listens there now
	s := state.NewDynamo(clientFor(endpoint), "streambot-state")
	wantUnavailable(t, calls(s), state.ReasonUnreachable)
}

// Other errors (a bad request, access denied) are not "unavailable": they
// are faults to log. They still mean nothing was recorded.
func TestDynamoOtherErrors(t *testing.T) {
	t.Parallel()
	endpoint, _ := fakeDynamo(t, http.StatusBadRequest, "AccessDeniedException")
	s := state.NewDynamo(clientFor(endpoint), "streambot-state")
	for name, err := range calls(s) {
		if err == nil || errors.Is(err, state.ErrUnavailable) || errors.Is(err, state.ErrConflict) ||
			errors.Is(err, state.ErrExists) || errors.Is(err, state.ErrNotFound) {
			t.Errorf("%s = %v, want a plain error", name, err)
		}
	}
}

// An item that is not what the store writes (edited by hand, say) is an
// error, not a panic and not an empty operation.
func TestDynamoMalformedItem(t *testing.T) {
	t.Parallel()
	cfg := motoserver.Config(context.Background(), motoserver.Shared(t))
	client := dynamodb.NewFromConfig(cfg)
	table := statetest.NewTable(t, cfg)
	_, err := client.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(table),
		Item: map[string]types.AttributeValue{
			"id":         &types.AttributeValueMemberS{Value: "op.bad"},
			"status":     &types.AttributeValueMemberS{Value: "half-done"},
			"created_at": &types.AttributeValueMemberN{Value: "12"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := state.NewDynamo(state.NewDynamoClient(cfg, ""), table)
	if op, err := s.Get(context.Background(), "op.bad"); err == nil || errors.Is(err, state.ErrNotFound) {
		t.Errorf("Get = %+v, %v; want a malformed-item error", op, err)
	}
}

// The item as the aws CLI shows it (docs/state-table.md): TTL as epoch
// seconds (DynamoDB's TTL reads nothing else), times as fixed-width UTC
// text, the workspace index key only with a workspace.
func TestDynamoItemLayout(t *testing.T) {
	t.Parallel()
	cfg := motoserver.Config(context.Background(), motoserver.Shared(t))
	client := dynamodb.NewFromConfig(cfg)
	table := statetest.NewTable(t, cfg)
	c := newClock()
	s := state.NewDynamo(state.NewDynamoClient(cfg, ""), table, state.WithClock(c.Now))
	mustBegin(t, s, newOp("op.ws"))
	noWorkspace := newOp("op.list")
	noWorkspace.Workspace = ""
	mustBegin(t, s, noWorkspace)

	raw := func(id string) map[string]types.AttributeValue {
		out, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{
			TableName: aws.String(table), Key: map[string]types.AttributeValue{state.KeyAttribute: &types.AttributeValueMemberS{Value: id}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	item := raw("op.ws")
	wantTTL := fmt.Sprint(c.Now().Add(state.DefaultRetention).Unix())
	if n, ok := item[state.TTLAttribute].(*types.AttributeValueMemberN); !ok || n.Value != wantTTL {
		t.Errorf("%s = %#v, want N %s", state.TTLAttribute, item[state.TTLAttribute], wantTTL)
	}
	if v, ok := item["created_at"].(*types.AttributeValueMemberS); !ok || v.Value != "2026-12-07T09:00:00.000000000Z" {
		t.Errorf("created_at = %#v, want S 2026-12-07T09:00:00.000000000Z", item["created_at"])
	}
	if v, ok := item["workspace_key"].(*types.AttributeValueMemberS); !ok || v.Value != group+"/orders-ws" {
		t.Errorf("workspace_key = %#v, want S %s/orders-ws", item["workspace_key"], group)
	}
	if v, ok := item["status"].(*types.AttributeValueMemberS); !ok || v.Value != "queued" {
		t.Errorf("status = %#v, want S queued", item["status"])
	}
	if _, ok := raw("op.list")["workspace_key"]; ok {
		t.Errorf("an operation without a workspace has a workspace_key (it would be in the workspace index)")
	}
}
