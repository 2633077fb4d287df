package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/streambot/streambot/internal/motoserver"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/slackbot"
	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/internal/state/statetest"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// sweepInput is the Input of the template's schedule on the worker
// (CreateFunction's ExpireApprovals event): what EventBridge sends.
func sweepInput(t *testing.T) []byte {
	t.Helper()
	typ, input, err := statetest.SweepInput()
	if err != nil {
		t.Fatal(err)
	}
	if typ != "Schedule" || input == "" {
		t.Fatalf("CreateFunction's ExpireApprovals event: type %q, Input %q; want a Schedule with an Input", typ, input)
	}
	return []byte(input)
}

// TestApprovalSweptWhenNobodyClicks: a protected create nobody decides
// lapses; the schedule's Job, sent to the built worker as EventBridge
// sends it, finds it in the state table's pending_approvals index (moto,
// from the template), expires it, re-renders the request without buttons
// and notes it in its thread once. A later sweep does nothing; a late
// click is told it expired; nothing reaches Atlas.
func TestApprovalSweptWhenNobodyClicks(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackConfig{policyExtra: approvalPolicy})
	resp, id := s.command(slash{Text: "create billing-ws --region VIRGINIA_USA --tier SP10 --project prod"})
	if ack := ackText(t, resp); !strings.Contains(ack, "asks for an approval") {
		t.Fatalf("ack %q, want it to say an approval is needed", ack)
	}
	s.settle()
	click := confirmation(t, s.slack, "streambot.approve.create", lead)

	sweep := func() (outcome string, expired int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), createTimeout)
		defer cancel()
		out, err := s.createFn.Invoke(ctx, sweepInput(t))
		if err != nil {
			t.Fatalf("sweep: %v", err)
		}
		var r struct {
			Outcome string
			Expired int
		}
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("sweep answered %s: %v", out, err)
		}
		return r.Outcome, r.Expired
	}
	if o, n := sweep(); o != "swept" || n != 0 {
		t.Fatalf("sweep in time = %s, %d; want swept, 0", o, n)
	}

	// Time passes: the request's expiry moves into the past, in the table
	// itself (the functions' clocks are real).
	ddb := dynamodb.NewFromConfig(motoserver.Config(t.Context(), s.motoEndpoint))
	past := time.Now().Add(-time.Minute).UTC().Format("2006-01-02T15:04:05.000000000Z")
	if _, err := ddb.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.stateTable),
		Key:                       map[string]types.AttributeValue{state.KeyAttribute: &types.AttributeValueMemberS{Value: id}},
		UpdateExpression:          aws.String("SET expires_at = :past"),
		ConditionExpression:       aws.String("attribute_exists(expires_at)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":past": &types.AttributeValueMemberS{Value: past}},
	}); err != nil {
		t.Fatalf("moving the expiry of %s: %v", id, err)
	}
	if o, n := sweep(); o != "swept" || n != 1 {
		t.Fatalf("sweep after the expiry = %s, %d; want swept, 1:\n%s", o, n, describeCalls(s.slack.Calls()))
	}
	if o, n := sweep(); o != "swept" || n != 0 {
		t.Errorf("second sweep = %s, %d; want swept, 0", o, n)
	}

	var rerendered bool
	for _, c := range s.slack.Delivered(slackrec.Update) {
		rerendered = rerendered || c.TS == click.MessageTS && strings.Contains(c.Text, "Expired at") &&
			!strings.Contains(string(c.Blocks), `"actions"`)
	}
	if !rerendered {
		t.Errorf("the request was not re-rendered as expired, without buttons:\n%s", describeCalls(s.slack.Calls()))
	}
	notes := func() int {
		n := 0
		for _, c := range s.slack.Delivered(slackrec.PostMessage) {
			if c.ThreadTS == click.MessageTS && strings.Contains(c.Text, "Nobody approved this in time") {
				n++
			}
		}
		return n
	}
	if n := notes(); n != 1 {
		t.Errorf("%d expiry notes in the request's thread, want 1", n)
	}

	// A click on the (now gone) button, from a client that still shows it.
	s.invoke(apiEventTo("/slack/interactions", slackbot.ClickBody(click), s.signingSecret, time.Now()))
	s.settle()
	var told bool
	for _, c := range s.slack.Delivered(slackrec.ResponseURL) {
		told = told || strings.Contains(c.Text, "This request expired at")
	}
	if !told {
		t.Errorf("the late click was not told the request expired:\n%s", describeCalls(s.slack.Calls()))
	}
	if n := notes(); n != 1 {
		t.Errorf("%d expiry notes after the late click, want 1", n)
	}
	if n := s.atlas.Calls(atlastest.OpCreateStream); n != 0 {
		t.Errorf("%d creates, want none", n)
	}
}
