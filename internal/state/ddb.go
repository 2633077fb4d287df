package state

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/streambot/streambot/internal/awsreq"
	"github.com/streambot/streambot/internal/secrets"
)

// DynamoClient calls the four DynamoDB operations [Dynamo] uses (PutItem,
// GetItem, UpdateItem, Query) over DynamoDB's JSON 1.0 protocol, through
// [awsreq.JSONClient]: signed with the AWS SDK's Signature Version 4
// signer, retried as the SDK's DynamoDB client retries by default (4
// attempts, a 25 ms backoff base), each response's X-Amz-Crc32 checked.
// The SDK's DynamoDB client (service/dynamodb, its types and schemas)
// would add about 0.9 MB to each bootstrap and 0.6 to 0.9 ms of package
// initialization for them; like dispatch.Client for Lambda's Invoke, this
// one keeps only what is used. It is safe for concurrent use.
//
// See https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.LowLevelAPI.html
type DynamoClient struct {
	*awsreq.JSONClient
}

// DefaultMaxAttempts is the SDK's default for DynamoDB: one more than
// other services' (service/dynamodb's resolveRetryer).
const DefaultMaxAttempts = 4

// dynamoProtocol is DynamoDB's, as its SDK client speaks it.
var dynamoProtocol = awsreq.Protocol{
	Service: "dynamodb", Target: "DynamoDB_20120810.", ContentType: "application/x-amz-json-1.0",
	MaxAttempts: DefaultMaxAttempts, BaseDelay: 25 * time.Millisecond, CRC32: true,
}

// NewDynamoClient returns a client for cfg's region and credentials (nil or
// anonymous credentials send unsigned requests, for local tests). endpoint
// overrides the regional endpoint (AWS_ENDPOINT_URL_DYNAMODB, see
// secrets.EnvEndpoint); "" means cfg.BaseEndpoint when set, else
// https://dynamodb.REGION.amazonaws.com (or the region's partition's
// domain). cfg.RetryMaxAttempts, when set, replaces [DefaultMaxAttempts]. A
// cfg.HTTPClient that is an *http.Client is used; otherwise the client has
// its own.
func NewDynamoClient(cfg aws.Config, endpoint string) *DynamoClient {
	if endpoint == "" && cfg.BaseEndpoint != nil {
		endpoint = *cfg.BaseEndpoint
	}
	if endpoint == "" {
		endpoint = secrets.RegionalEndpoint("dynamodb", cfg.Region)
	}
	return &DynamoClient{awsreq.NewJSONClient(dynamoProtocol, cfg, endpoint)}
}

// DynamoError is an error answer of DynamoDB (or of the endpoint that
// plays it).
type DynamoError = awsreq.Error

// The DynamoDB operations the client makes.
const (
	opPutItem    = "PutItem"
	opGetItem    = "GetItem"
	opUpdateItem = "UpdateItem"
	opQuery      = "Query"
)

// call makes operation op with in, retrying as the SDK does, and decodes
// the answer into out.
func (c *DynamoClient) call(ctx context.Context, op string, in *request, out *response) error {
	return c.Call(ctx, op, in, out)
}

// request is the input of the four operations, as DynamoDB's JSON names
// it; each operation sets its own fields.
type request struct {
	TableName                           string            `json:"TableName"`
	IndexName                           string            `json:"IndexName,omitempty"`
	Item                                map[string]attr   `json:"Item,omitempty"`
	Key                                 map[string]attr   `json:"Key,omitempty"`
	KeyConditionExpression              string            `json:"KeyConditionExpression,omitempty"`
	UpdateExpression                    string            `json:"UpdateExpression,omitempty"`
	ConditionExpression                 string            `json:"ConditionExpression,omitempty"`
	ExpressionAttributeNames            map[string]string `json:"ExpressionAttributeNames,omitempty"`
	ExpressionAttributeValues           map[string]attr   `json:"ExpressionAttributeValues,omitempty"`
	ConsistentRead                      bool              `json:"ConsistentRead,omitempty"`
	ScanIndexForward                    *bool             `json:"ScanIndexForward,omitempty"`
	Limit                               int               `json:"Limit,omitempty"`
	ReturnValues                        string            `json:"ReturnValues,omitempty"`
	ReturnValuesOnConditionCheckFailure string            `json:"ReturnValuesOnConditionCheckFailure,omitempty"`
	ExclusiveStartKey                   map[string]attr   `json:"ExclusiveStartKey,omitempty"` // Query: the page after
}

// response is the output of the four operations.
type response struct {
	Item       map[string]attr   `json:"Item"`       // GetItem
	Attributes map[string]attr   `json:"Attributes"` // UpdateItem with ReturnValues
	Items      []map[string]attr `json:"Items"`      // Query
	// LastEvaluatedKey is where a Query page ended when more may follow.
	LastEvaluatedKey map[string]attr `json:"LastEvaluatedKey"`
}

// attr is one AttributeValue in DynamoDB's JSON: exactly one member set.
// The store writes S, N and B; the rest are read so that an attribute a
// later version (or a person) adds does not make an item unreadable. B is
// base64 in JSON, as encoding/json writes a []byte.
type attr struct {
	S    *string         `json:"S,omitempty"`
	N    *string         `json:"N,omitempty"`
	B    []byte          `json:"B,omitempty"`
	BOOL *bool           `json:"BOOL,omitempty"`
	NULL bool            `json:"NULL,omitempty"`
	M    map[string]attr `json:"M,omitempty"`
	L    []attr          `json:"L,omitempty"`
	SS   []string        `json:"SS,omitempty"`
	NS   []string        `json:"NS,omitempty"`
	BS   [][]byte        `json:"BS,omitempty"`
}
