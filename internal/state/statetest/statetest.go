// Package statetest creates state tables for tests, from the definition in
// infra/template.yaml, so that the table the tests use and the table AWS
// gets cannot drift apart: a key, an index or an attribute type changed in
// the template changes the tests' table too.
//
// With moto_server (internal/motoserver):
//
//	cfg := motoserver.Config(ctx, motoserver.Shared(t))
//	store := state.NewDynamo(state.NewDynamoClient(cfg, ""), statetest.NewTable(t, cfg))
//
// Tests that race conditional writes against moto_server (several
// goroutines or processes on one item) must put [Serialized] in front of
// it: see there.
package statetest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.yaml.in/yaml/v3"

	"github.com/streambot/streambot/internal/state"
)

// TemplatePath is the template's path from the module root.
const TemplatePath = "infra/template.yaml"

// LogicalID is the table's resource in the template.
const LogicalID = "StateTable"

// tableResource is the part of an AWS::DynamoDB::Table resource that
// CreateTable takes, as CloudFormation spells it.
type tableResource struct {
	Type       string `yaml:"Type"`
	Properties struct {
		BillingMode          string `yaml:"BillingMode"`
		AttributeDefinitions []struct {
			AttributeName string `yaml:"AttributeName"`
			AttributeType string `yaml:"AttributeType"`
		} `yaml:"AttributeDefinitions"`
		KeySchema              []keyElement `yaml:"KeySchema"`
		GlobalSecondaryIndexes []struct {
			IndexName  string       `yaml:"IndexName"`
			KeySchema  []keyElement `yaml:"KeySchema"`
			Projection struct {
				ProjectionType   string   `yaml:"ProjectionType"`
				NonKeyAttributes []string `yaml:"NonKeyAttributes"`
			} `yaml:"Projection"`
		} `yaml:"GlobalSecondaryIndexes"`
		TimeToLiveSpecification struct {
			AttributeName string `yaml:"AttributeName"`
			Enabled       bool   `yaml:"Enabled"`
		} `yaml:"TimeToLiveSpecification"`
		SSESpecification struct {
			SSEEnabled bool `yaml:"SSEEnabled"`
		} `yaml:"SSESpecification"`
	} `yaml:"Properties"`
}

type keyElement struct {
	AttributeName string `yaml:"AttributeName"`
	KeyType       string `yaml:"KeyType"`
}

// Definition is the state table as the template declares it.
type Definition struct {
	// Create is the CreateTable request for the table (TableName unset).
	Create dynamodb.CreateTableInput
	// TTLAttribute is the attribute DynamoDB's time to live reads ("" when
	// TTL is not enabled).
	TTLAttribute string
}

// ReadDefinition reads the [LogicalID] resource of the SAM template at path.
func ReadDefinition(path string) (*Definition, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// The template uses CloudFormation's short tags (!Ref, !Sub, ...), which
	// decode fine into yaml.Node; the table resource itself has none.
	var root struct {
		Resources map[string]yaml.Node `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	node, ok := root.Resources[LogicalID]
	if !ok {
		return nil, fmt.Errorf("%s: no resource %s", path, LogicalID)
	}
	var r tableResource
	if err := node.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", path, LogicalID, err)
	}
	if r.Type != "AWS::DynamoDB::Table" {
		return nil, fmt.Errorf("%s: %s is a %s, want AWS::DynamoDB::Table", path, LogicalID, r.Type)
	}
	p := r.Properties
	in := dynamodb.CreateTableInput{BillingMode: types.BillingMode(p.BillingMode)}
	for _, a := range p.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName), AttributeType: types.ScalarAttributeType(a.AttributeType),
		})
	}
	in.KeySchema = keySchema(p.KeySchema)
	for _, g := range p.GlobalSecondaryIndexes {
		proj := &types.Projection{ProjectionType: types.ProjectionType(g.Projection.ProjectionType)}
		if len(g.Projection.NonKeyAttributes) > 0 {
			proj.NonKeyAttributes = g.Projection.NonKeyAttributes
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName: aws.String(g.IndexName), KeySchema: keySchema(g.KeySchema), Projection: proj,
		})
	}
	if p.SSESpecification.SSEEnabled {
		in.SSESpecification = &types.SSESpecification{Enabled: aws.Bool(true)}
	}
	if len(in.KeySchema) == 0 || len(in.AttributeDefinitions) == 0 {
		return nil, fmt.Errorf("%s: %s has no key schema or attribute definitions", path, LogicalID)
	}
	d := &Definition{Create: in}
	if p.TimeToLiveSpecification.Enabled {
		d.TTLAttribute = p.TimeToLiveSpecification.AttributeName
	}
	return d, nil
}

func keySchema(ks []keyElement) []types.KeySchemaElement {
	var out []types.KeySchemaElement
	for _, k := range ks {
		out = append(out, types.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: types.KeyType(k.KeyType)})
	}
	return out
}

// CreateTable creates the table name as d defines it (and its TTL), and
// waits until it is active.
func (d *Definition) CreateTable(ctx context.Context, client *dynamodb.Client, name string) error {
	in := d.Create
	in.TableName = aws.String(name)
	if _, err := client.CreateTable(ctx, &in); err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 10 * time.Millisecond
		o.MaxDelay = 200 * time.Millisecond
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	if d.TTLAttribute != "" {
		_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{
				AttributeName: aws.String(d.TTLAttribute), Enabled: aws.Bool(true),
			},
		})
		if err != nil {
			return fmt.Errorf("enable TTL on %s: %w", name, err)
		}
	}
	return nil
}

// ModuleRoot returns the directory holding go.mod, searched upwards from
// the working directory (a package's directory under go test).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("statetest: no go.mod above the working directory")
		}
		dir = parent
	}
}

var seq atomic.Int64

// unsafeChars are those a table name may not contain.
var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// TableName returns a table name unique to this test and this run (tests
// sharing one moto_server, -count=N), valid for DynamoDB.
func TableName(t testing.TB) string {
	base := unsafeChars.ReplaceAllString(t.Name(), "-")
	suffix := fmt.Sprintf("-%d-%d-%d", os.Getpid(), time.Now().UnixNano()%1e9, seq.Add(1))
	return "st-" + base[:min(len(base), 200)] + suffix
}

// NewTable creates a state table from the module's template on the
// DynamoDB that cfg points at, under a name unique to the test, and
// returns the name. It fails the test on any error.
func NewTable(t testing.TB, cfg aws.Config) string {
	t.Helper()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	d, err := ReadDefinition(filepath.Join(root, TemplatePath))
	if err != nil {
		t.Fatal(err)
	}
	name := TableName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := d.CreateTable(ctx, dynamodb.NewFromConfig(cfg), name); err != nil {
		t.Fatal(err)
	}
	return name
}

// Serialized starts a reverse proxy to endpoint (a moto_server) that
// forwards one request at a time, and returns its URL; it stops in
// t.Cleanup. Point every client of a race test at it.
//
// Why: DynamoDB applies a conditional write atomically per item, and the
// once-only guarantees of internal/state rest on that. moto_server does
// not: its threaded server checks an UpdateItem's condition, then parses
// and applies the update expression (moto/dynamodb/models/__init__.py,
// update_item), so two concurrent updates can both pass the same
// condition; racing tests then fail for moto's sake, not ours. One request
// at a time restores DynamoDB's atomicity; the requests still arrive
// concurrently and in any order, so the race in our code is still tested.
func Serialized(t testing.TB, endpoint string) string {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatalf("statetest: endpoint %q: %v", endpoint, err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		proxy.ServeHTTP(w, r) // returns once the whole response is copied
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Throttled returns a store on a fake DynamoDB endpoint that answers every
// request with DynamoDB's throttling error (moto_server cannot throttle),
// decoded and retried by the store's client (two attempts, with its real
// backoff), so callers see what a throttled table gives them: an error
// matching state.ErrUnavailable.
func Throttled(t testing.TB) *state.Dynamo {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}`))
	}))
	t.Cleanup(srv.Close)
	client := state.NewDynamoClient(aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{},
		RetryMaxAttempts: 2}, srv.URL)
	return state.NewDynamo(client, "streambot-state")
}

// SweepEvent is the schedule on the worker that sweeps the state table's
// lapsed approvals: CreateFunction's ExpireApprovals event in the template.
const (
	SweepFunction = "CreateFunction"
	SweepEvent    = "ExpireApprovals"
)

// SweepInput returns the type of the template's sweep event and its
// Input: the Job EventBridge sends the worker. e2e sends it to the built
// worker; events/ checks its sample event against it.
func SweepInput() (eventType, input string, err error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", "", err
	}
	b, err := os.ReadFile(filepath.Join(root, TemplatePath))
	if err != nil {
		return "", "", err
	}
	var tpl struct {
		Resources map[string]yaml.Node `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &tpl); err != nil {
		return "", "", err
	}
	var fn struct {
		Properties struct {
			Events map[string]struct {
				Type       string `yaml:"Type"`
				Properties struct {
					Input string `yaml:"Input"`
				} `yaml:"Properties"`
			} `yaml:"Events"`
		} `yaml:"Properties"`
	}
	node := tpl.Resources[SweepFunction]
	if err := node.Decode(&fn); err != nil {
		return "", "", fmt.Errorf("statetest: %s: %w", SweepFunction, err)
	}
	ev, ok := fn.Properties.Events[SweepEvent]
	if !ok {
		return "", "", fmt.Errorf("statetest: %s has no %s event", SweepFunction, SweepEvent)
	}
	return ev.Type, ev.Properties.Input, nil
}
