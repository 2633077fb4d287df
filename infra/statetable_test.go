package infra_test

// The state table of issue 12 (internal/state, docs/state-table.md): its
// resource, STATE_TABLE and the DynamoDB grants. TestFunctionSettings and
// TestLeastPrivilege leave STATE_TABLE and dynamodb:* to these tests.

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/internal/state/statetest"
)

const (
	stateTable    = "StateTable"
	stateTableEnv = "STATE_TABLE"
)

func TestStateTable(t *testing.T) {
	tpl := cloudFormation(t)
	if ids := resources(tpl, "AWS::DynamoDB::Table"); !cmp.Equal(ids, []string{stateTable}) {
		t.Fatalf("DynamoDB tables = %v, want [%s]", ids, stateTable)
	}
	r := get(tpl, "Resources", stateTable)
	p := get(r, "Properties")
	got := map[string]any{
		"DeletionPolicy":      get(r, "DeletionPolicy"),
		"UpdateReplacePolicy": get(r, "UpdateReplacePolicy"),
		"BillingMode":         get(p, "BillingMode"),
		"TTL":                 get(p, "TimeToLiveSpecification"),
		"PITR":                get(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"),
		"SSE":                 get(p, "SSESpecification", "SSEEnabled"),
		"Key":                 get(p, "KeySchema"),
		"TableName":           get(p, "TableName"), // CloudFormation names it: stacks can coexist
	}
	want := map[string]any{
		"DeletionPolicy":      "Retain", // an audit record of approvals
		"UpdateReplacePolicy": "Retain",
		"BillingMode":         "PAY_PER_REQUEST",
		"TTL":                 doc{"AttributeName": state.TTLAttribute, "Enabled": true},
		"PITR":                true,
		"SSE":                 true,
		"Key":                 []any{doc{"AttributeName": state.KeyAttribute, "KeyType": "HASH"}},
		"TableName":           nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", stateTable, diff)
	}
	var indexes []string
	for _, g := range list(get(p, "GlobalSecondaryIndexes")) {
		indexes = append(indexes, fmt.Sprint(get(g, "IndexName")))
		if pt := get(g, "Projection", "ProjectionType"); pt != "ALL" {
			t.Errorf("index %v projects %v, want ALL (history shows whole operations)", get(g, "IndexName"), pt)
		}
	}
	sort.Strings(indexes)
	if diff := cmp.Diff([]string{state.IndexProject, state.IndexWorkspace, state.IndexPendingApprovals}, indexes); diff != "" {
		t.Errorf("indexes (-want +got):\n%s", diff)
	}

	// The definition the state tests create their tables from.
	d, err := statetest.ReadDefinition(template)
	if err != nil {
		t.Fatal(err)
	}
	if d.TTLAttribute != state.TTLAttribute || len(d.Create.GlobalSecondaryIndexes) != 3 || d.Create.SSESpecification == nil {
		t.Errorf("statetest.ReadDefinition = TTL %q, %d indexes, SSE %v; want what the template declares",
			d.TTLAttribute, len(d.Create.GlobalSecondaryIndexes), d.Create.SSESpecification)
	}

	for _, id := range []string{edgeName, workerName} {
		if got := ref(get(tpl, "Resources", id, "Properties", "Environment", "Variables", stateTableEnv)); got != stateTable {
			t.Errorf("%s %s = %s, want a Ref to %s", id, stateTableEnv, got, stateTable)
		}
	}
}

// Each function gets exactly the DynamoDB actions internal/state uses for
// its part, on exactly the table (and, for Query, its two indexes):
//   - the Slack edge: Begin (PutItem) to record a command once and
//     recognise a replay, Get (GetItem) of a waiting approval's record to
//     check the approver against it, and the click-time decisions
//     approve/reject/cancel/expire (UpdateItem);
//   - the worker: Get (GetItem), claim, parent and finish (UpdateItem),
//     Begin (PutItem) of a Job sent to it directly, /stream history (Query
//     on the two history indexes) and the sweep of lapsed approvals (Query
//     on the pending_approvals index; never a Scan, never the table).
func TestStateTableGrants(t *testing.T) {
	tpl := cloudFormation(t)
	index := func(name string) string { return "${" + stateTable + ".Arn}/index/" + name }
	got := map[string]map[string][]string{}
	for _, role := range resources(tpl, "AWS::IAM::Role") {
		policies, _ := get(tpl, "Resources", role, "Properties", "Policies").([]any)
		for _, pol := range policies {
			for _, st := range list(get(pol, "PolicyDocument", "Statement")) {
				for _, a := range list(get(st, "Action")) {
					action := a.(string)
					if !strings.HasPrefix(action, "dynamodb:") {
						continue
					}
					if got[role] == nil {
						got[role] = map[string][]string{}
					}
					for _, res := range list(get(st, "Resource")) {
						r := ref(res)
						if sub, ok := get(res, "Fn::Sub").(string); ok {
							r = sub
						}
						got[role][action] = append(got[role][action], r)
					}
					sort.Strings(got[role][action])
				}
			}
		}
	}
	table := stateTable + ".Arn"
	want := map[string]map[string][]string{
		edgeName + "Role": {
			"dynamodb:PutItem":    {table},
			"dynamodb:GetItem":    {table},
			"dynamodb:UpdateItem": {table},
		},
		workerName + "Role": {
			"dynamodb:PutItem":    {table},
			"dynamodb:GetItem":    {table},
			"dynamodb:UpdateItem": {table},
			"dynamodb:Query":      {index(state.IndexProject), index(state.IndexWorkspace), index(state.IndexPendingApprovals)},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DynamoDB grants (-want +got):\n%s", diff)
	}
}
