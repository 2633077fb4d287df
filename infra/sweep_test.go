package infra_test

// The approval sweep: an EventBridge schedule that invokes the worker with
// a constant Job (provision.ActionSweepApprovals), which Queries the state
// table's pending_approvals index (statetable_test.go checks the grant).

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/state"
)

func TestApprovalSweepSchedule(t *testing.T) {
	tpl := cloudFormation(t)
	rules := resources(tpl, "AWS::Events::Rule")
	if len(rules) != 1 {
		t.Fatalf("EventBridge rules = %v, want one (the approval sweep)", rules)
	}
	p := get(tpl, "Resources", rules[0], "Properties")
	if s := get(p, "State"); s != "ENABLED" {
		t.Errorf("rule State = %v, want ENABLED", s)
	}
	// Often enough that a lapsed request shows it within minutes of its
	// expiry (1 h by default), rarely enough to cost nothing.
	expr, _ := get(p, "ScheduleExpression").(string)
	m := regexp.MustCompile(`^rate\((\d+) minutes?\)$`).FindStringSubmatch(expr)
	if m == nil {
		t.Fatalf("ScheduleExpression = %q, want rate(N minutes)", expr)
	}
	if n, _ := strconv.Atoi(m[1]); n < 5 || n > 15 {
		t.Errorf("ScheduleExpression = %q, want every 5 to 15 minutes", expr)
	}

	targets := list(get(p, "Targets"))
	if len(targets) != 1 {
		t.Fatalf("rule targets = %v, want one", targets)
	}
	if got := ref(get(targets[0], "Arn")); got != workerName+".Arn" {
		t.Errorf("target = %s, want the worker %s.Arn (never the Slack edge)", got, workerName)
	}
	// The Input is a Job the worker decodes (lambda.Start(w.Handle)): the
	// sweep's action and nothing else, so no Slack target (a direct
	// create's shape) and no operation.
	input, _ := get(targets[0], "Input").(string)
	dec := json.NewDecoder(bytes.NewReader([]byte(input)))
	dec.DisallowUnknownFields()
	var job provision.Job
	if err := dec.Decode(&job); err != nil {
		t.Fatalf("target Input %q does not decode as a provision.Job: %v", input, err)
	}
	if diff := cmp.Diff(provision.Job{Action: provision.ActionSweepApprovals}, job); diff != "" {
		t.Errorf("target Input as a Job (-want +got):\n%s", diff)
	}

	// EventBridge may invoke the worker, from this rule only.
	var perms []doc
	for _, id := range resources(tpl, "AWS::Lambda::Permission") {
		if pp := get(tpl, "Resources", id, "Properties"); get(pp, "Principal") == "events.amazonaws.com" {
			perms = append(perms, pp.(doc))
		}
	}
	if len(perms) != 1 {
		t.Fatalf("%d permissions for events.amazonaws.com, want one", len(perms))
	}
	got := map[string]string{
		"Action":       ref(get(perms[0], "Action")),
		"FunctionName": ref(get(perms[0], "FunctionName")),
		"SourceArn":    ref(get(perms[0], "SourceArn")),
	}
	want := map[string]string{"Action": "lambda:InvokeFunction", "FunctionName": workerName, "SourceArn": rules[0] + ".Arn"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EventBridge's permission (-want +got):\n%s", diff)
	}
}

// The sweep's index: the sparse attribute as its hash key, the expiry as
// its range, so that "lapsed before now" is one key condition.
func TestPendingApprovalsIndex(t *testing.T) {
	tpl := cloudFormation(t)
	p := get(tpl, "Resources", stateTable, "Properties")
	var keys any
	for _, g := range list(get(p, "GlobalSecondaryIndexes")) {
		if get(g, "IndexName") == state.IndexPendingApprovals {
			keys = get(g, "KeySchema")
		}
	}
	want := []any{
		doc{"AttributeName": state.PendingAttribute, "KeyType": "HASH"},
		doc{"AttributeName": "expires_at", "KeyType": "RANGE"},
	}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("%s key schema (-want +got):\n%s", state.IndexPendingApprovals, diff)
	}
	types := map[string]any{}
	for _, a := range list(get(p, "AttributeDefinitions")) {
		types[get(a, "AttributeName").(string)] = get(a, "AttributeType")
	}
	if types[state.PendingAttribute] != "S" || types["expires_at"] != "S" {
		t.Errorf("attribute types %v, want %s and expires_at as S (the store writes strings)", types, state.PendingAttribute)
	}
}
