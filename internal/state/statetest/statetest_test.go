package statetest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/state/statetest"
)

func TestReadDefinitionFromTheTemplate(t *testing.T) {
	root, err := statetest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	d, err := statetest.ReadDefinition(filepath.Join(root, statetest.TemplatePath))
	if err != nil {
		t.Fatal(err)
	}
	in := d.Create
	if in.BillingMode != types.BillingModePayPerRequest || d.TTLAttribute == "" || in.SSESpecification == nil {
		t.Errorf("billing %q, TTL %q, SSE %v; want on-demand, a TTL attribute, SSE", in.BillingMode, d.TTLAttribute, in.SSESpecification)
	}
	if len(in.KeySchema) != 1 || in.KeySchema[0].KeyType != types.KeyTypeHash {
		t.Errorf("key schema = %+v, want one hash key", in.KeySchema)
	}
	// Every key attribute of the table and its indexes is defined, and
	// nothing else (CreateTable refuses both mistakes).
	defined := map[string]bool{}
	for _, a := range in.AttributeDefinitions {
		defined[aws.ToString(a.AttributeName)] = true
	}
	used := map[string]bool{}
	for _, k := range in.KeySchema {
		used[aws.ToString(k.AttributeName)] = true
	}
	for _, g := range in.GlobalSecondaryIndexes {
		for _, k := range g.KeySchema {
			used[aws.ToString(k.AttributeName)] = true
		}
	}
	if diff := cmp.Diff(defined, used); diff != "" {
		t.Errorf("attribute definitions vs key attributes (-defined +used):\n%s", diff)
	}
}

func TestReadDefinitionErrors(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"no resource": "Resources:\n  Other:\n    Type: AWS::SQS::Queue\n",
		"wrong type":  "Resources:\n  StateTable:\n    Type: AWS::SQS::Queue\n",
		"no keys":     "Resources:\n  StateTable:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      BillingMode: PAY_PER_REQUEST\n",
		"not yaml":    "Resources: [\n",
	} {
		path := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := statetest.ReadDefinition(path); err == nil {
			t.Errorf("%s: ReadDefinition = nil error", name)
		}
	}
	if _, err := statetest.ReadDefinition(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Errorf("missing file: ReadDefinition = nil error")
	}
}
