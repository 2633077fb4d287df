package state

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/streambot/streambot/internal/secrets"
)

// The environment variables [FromEnv] reads.
const (
	// EnvTable names the DynamoDB table (infra/template.yaml sets it to the
	// StateTable resource for both functions).
	EnvTable = "STATE_TABLE"
	// EnvEndpointService is the suffix of AWS_ENDPOINT_URL_DYNAMODB, the
	// AWS SDK's variable for a local DynamoDB (moto_server), which
	// [DynamoClient] honours too.
	EnvEndpointService = "DYNAMODB"
	// envLambda is set by the Lambda runtime in every function.
	envLambda = "AWS_LAMBDA_FUNCTION_NAME"
)

// ErrNoTable is returned by [FromEnv] in AWS Lambda without STATE_TABLE:
// an in-memory store there would give every container its own idea of
// what has happened once.
var ErrNoTable = errors.New("state: " + EnvTable + " is not set; in AWS Lambda the state table is required")

// validTableName reports whether s follows DynamoDB's rule for table
// names, ^[A-Za-z0-9_.-]{3,255}$. A loop rather than that regular
// expression: compiling its {3,255} at package initialization cost every
// cold start of both functions about 0.2 ms and 230 kB.
func validTableName(s string) bool {
	if len(s) < 3 || len(s) > 255 {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// FromEnv returns the store the environment configures: with STATE_TABLE
// set, a [Dynamo] on that table, whose [DynamoClient] is built from
// awsConfig (for the functions, secrets.EnvAWSConfig) and
// AWS_ENDPOINT_URL_DYNAMODB (or AWS_ENDPOINT_URL) when set; without it, a [Memory] (local runs only:
// FromEnv refuses it with [ErrNoTable] inside AWS Lambda). awsConfig is
// called only for the table, so local runs need no AWS credentials.
func FromEnv(getenv func(string) string, awsConfig func() (aws.Config, error), opts ...Option) (Store, error) {
	table := getenv(EnvTable)
	if table == "" {
		if getenv(envLambda) != "" {
			return nil, ErrNoTable
		}
		return NewMemory(opts...), nil
	}
	if !validTableName(table) {
		return nil, fmt.Errorf("state: %s=%q is not a DynamoDB table name", EnvTable, table)
	}
	cfg, err := awsConfig()
	if err != nil {
		return nil, fmt.Errorf("state: %s: %w", EnvTable, err)
	}
	client := NewDynamoClient(cfg, secrets.EnvEndpoint(getenv, EnvEndpointService))
	return NewDynamo(client, table, opts...), nil
}
