package state_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/streambot/streambot/internal/motoserver"
	"github.com/streambot/streambot/internal/state"
	"github.com/streambot/streambot/internal/state/statetest"
)

func mapEnv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnv(t *testing.T) {
	t.Parallel()
	noConfig := func() (aws.Config, error) {
		t.Error("awsConfig called without STATE_TABLE")
		return aws.Config{}, nil
	}
	errNoCreds := errors.New("no credentials")

	t.Run("unset: memory", func(t *testing.T) {
		s, err := state.FromEnv(mapEnv(nil), noConfig)
		if _, ok := s.(*state.Memory); !ok || err != nil {
			t.Errorf("FromEnv = %T, %v; want *state.Memory", s, err)
		}
	})
	t.Run("unset in Lambda: refused", func(t *testing.T) {
		s, err := state.FromEnv(mapEnv(map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "streambot-create"}), noConfig)
		if !errors.Is(err, state.ErrNoTable) {
			t.Errorf("FromEnv = %T, %v; want ErrNoTable", s, err)
		}
	})
	t.Run("malformed name", func(t *testing.T) {
		if s, err := state.FromEnv(mapEnv(map[string]string{state.EnvTable: "no spaces allowed"}), noConfig); err == nil {
			t.Errorf("FromEnv = %T, want an error", s)
		}
	})
	t.Run("config error", func(t *testing.T) {
		_, err := state.FromEnv(mapEnv(map[string]string{state.EnvTable: "streambot-state"}),
			func() (aws.Config, error) { return aws.Config{}, errNoCreds })
		if !errors.Is(err, errNoCreds) {
			t.Errorf("FromEnv = %v, want %v", err, errNoCreds)
		}
	})
}

// With STATE_TABLE and AWS_ENDPOINT_URL_DYNAMODB, FromEnv's store writes to
// that table on that endpoint (moto_server).
func TestFromEnvDynamoEndpoint(t *testing.T) {
	t.Parallel()
	endpoint := motoserver.Shared(t)
	table := statetest.NewTable(t, motoserver.Config(context.Background(), endpoint))
	env := map[string]string{
		state.EnvTable:              table,
		"AWS_ENDPOINT_URL_DYNAMODB": endpoint,
		"AWS_ENDPOINT_URL":          "http://127.0.0.1:1", // the specific variable wins
	}
	// As the functions build it: no endpoint in the config itself.
	cfg := aws.Config{Region: motoserver.Region, Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")}
	s, err := state.FromEnv(mapEnv(env), func() (aws.Config, error) { return cfg, nil })
	if err != nil {
		t.Fatal(err)
	}
	d, ok := s.(*state.Dynamo)
	if !ok || d.Table() != table {
		t.Fatalf("FromEnv = %T, want a *state.Dynamo on %s", s, table)
	}
	if _, err := s.Begin(context.Background(), newOp("trigger.env")); err != nil {
		t.Fatalf("Begin through FromEnv's store: %v", err)
	}
	reader := state.NewDynamo(newClient(endpoint), table)
	if _, err := reader.Get(context.Background(), "trigger.env"); err != nil {
		t.Errorf("the item is not in %s on the endpoint: %v", table, err)
	}
}

func newClient(endpoint string) *state.DynamoClient {
	return state.NewDynamoClient(motoserver.Config(context.Background(), endpoint), "")
}
