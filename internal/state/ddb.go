package state

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/streambot/streambot/internal/awsreq"
	"github.com/streambot/streambot/internal/secrets"
)

// DynamoClient calls the four DynamoDB operations [Dynamo] uses (PutItem,
// GetItem, UpdateItem, Query) over DynamoDB's JSON 1.0 protocol, signed
// with the AWS SDK's Signature Version 4 signer. The SDK's DynamoDB client
// (service/dynamodb, its types and schemas) would add about 0.9 MB to each
// bootstrap and 0.6 to 0.9 ms of package initialization for them; like
// dispatch.Client for Lambda's Invoke, this one keeps only what is used.
//
// It retries as the SDK's DynamoDB client does by default (retry mode
// standard): up to 4 attempts; a connection error, HTTP 500, 502, 503,
// 504, an unmodeled 429, a RequestTimeout and every throttling error code
// (ProvisionedThroughputExceededException, ThrottlingException,
// RequestLimitExceeded, ...) are retried after a jittered exponential
// backoff (base 1 s for throttling, 25 ms otherwise, at most 20 s); a
// client-wide retry quota (500 tokens; a retry costs 14, 5 after
// throttling; a success gives back) stops retry storms. Every wait ends
// with ctx. A response with a CRC32 header (X-Amz-Crc32) is checked, and a
// mismatch retried, as the SDK does. What it does not do: clock-skew
// correction, endpoint discovery, account-ID endpoints, x-amz-retry-after.
// It is safe for concurrent use.
//
// See https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.LowLevelAPI.html
type DynamoClient struct {
	cfg         aws.Config
	endpoint    string // origin, without a trailing slash
	http        *http.Client
	signer      *v4.Signer
	maxAttempts int
	now         func() time.Time
	backoff     func(retry int, throttled bool) time.Duration
	sleep       func(context.Context, time.Duration) error
	quota       retryQuota
}

// DefaultMaxAttempts is the SDK's default for DynamoDB: one more than
// other services' (service/dynamodb's resolveRetryer).
const DefaultMaxAttempts = 4

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
	hc, ok := cfg.HTTPClient.(*http.Client)
	if !ok || hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &DynamoClient{cfg: cfg, endpoint: strings.TrimRight(endpoint, "/"), http: hc, signer: v4.NewSigner(),
		maxAttempts: cmp.Or(max(cfg.RetryMaxAttempts, 0), DefaultMaxAttempts),
		now:         time.Now, backoff: sdkBackoff, sleep: awsreq.Sleep, quota: retryQuota{tokens: quotaTokens}}
}

// sdkBackoff is the SDK's (aws/retry, "retry behavior 2.1"): a random
// wait up to min(base × 2^(retry-1), 20 s), base 1 s after throttling and
// 25 ms (DynamoDB's) otherwise.
func sdkBackoff(retry int, throttled bool) time.Duration {
	base := 25 * time.Millisecond
	if throttled {
		base = time.Second
	}
	limit := min(base<<min(retry-1, 20), 20*time.Second)
	return time.Duration(rand.Int64N(int64(limit)))
}

// The retry quota of the SDK's standard retryer (aws/retry, standard.go).
const (
	quotaTokens       = 500
	quotaRetryCost    = 14
	quotaThrottleCost = 5
)

// retryQuota is the SDK's client-side token bucket for retries.
type retryQuota struct {
	mu     sync.Mutex
	tokens int
}

// take takes cost tokens, or reports that there are not enough.
func (q *retryQuota) take(cost int) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.tokens < cost {
		return false
	}
	q.tokens -= cost
	return true
}

func (q *retryQuota) give(n int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tokens = min(q.tokens+n, quotaTokens)
}

// errRetryQuota ends the retries once the quota is spent.
var errRetryQuota = errors.New("dynamodb: retry quota exceeded")

// DynamoError is an error answer of DynamoDB (or of the endpoint that
// plays it).
type DynamoError struct {
	// StatusCode is the HTTP status; Code DynamoDB's error code without
	// its namespace, e.g. "ConditionalCheckFailedException".
	StatusCode int
	Code       string
	Message    string
	// item is a ConditionalCheckFailedException's item (the request asked
	// for ReturnValuesOnConditionCheckFailure ALL_OLD).
	item map[string]attr
}

// Error reads like `dynamodb: ThrottlingException (HTTP 400): message`.
func (e *DynamoError) Error() string {
	return fmt.Sprintf("dynamodb: %s (HTTP %d): %s", cmp.Or(e.Code, "error"), e.StatusCode, e.Message)
}

// sendError is a request that got no answer (network, or ctx).
type sendError struct{ err error }

func (e *sendError) Error() string { return "dynamodb: send request: " + e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

// checksumError is a response body that does not match its X-Amz-Crc32.
type checksumError struct{ want, got uint32 }

func (e *checksumError) Error() string {
	return fmt.Sprintf("dynamodb: response checksum %d, header says %d", e.got, e.want)
}

// throttleCodes are the SDK's throttling error codes
// (retry.DefaultThrottleErrorCodes): retried, with the throttling base
// delay and retry cost.
var throttleCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
	"RequestThrottledException": true, "TooManyRequestsException": true,
	"ProvisionedThroughputExceededException": true, "TransactionInProgressException": true,
	"RequestLimitExceeded": true, "BandwidthLimitExceeded": true, "LimitExceededException": true,
	"RequestThrottled": true, "SlowDown": true, "PriorRequestNotComplete": true, "EC2ThrottledException": true,
}

// retryable says whether err, from one attempt, may be retried, and
// whether it is throttling.
func retryable(err error) (retry, throttled bool) {
	var de *DynamoError
	var se *sendError
	var ce *checksumError
	switch {
	case errors.As(err, &de):
		if throttleCodes[de.Code] {
			return true, true
		}
		switch de.StatusCode {
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true, false
		case http.StatusTooManyRequests:
			return de.Code == "", false // an unmodeled 429
		}
		return de.Code == "RequestTimeout" || de.Code == "RequestTimeoutException", false
	case errors.As(err, &se):
		var dns *net.DNSError
		if errors.As(err, &dns) && dns.IsNotFound {
			return false, false // as the SDK: no such host stays so
		}
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded), false
	case errors.As(err, &ce):
		return true, false
	}
	return false, false
}

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
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("dynamodb %s: %w", op, err)
	}
	var cost int // the last retry's
	for attempt := 1; ; attempt++ {
		err = c.attempt(ctx, op, body, out)
		if err == nil {
			if attempt == 1 {
				c.quota.give(1)
			} else {
				c.quota.give(cost)
			}
			return nil
		}
		retry, throttled := retryable(err)
		if !retry || attempt >= c.maxAttempts || ctx.Err() != nil {
			return err
		}
		cost = quotaRetryCost
		if throttled {
			cost = quotaThrottleCost
		}
		if !c.quota.take(cost) {
			return errors.Join(err, errRetryQuota)
		}
		if serr := c.sleep(ctx, c.backoff(attempt, throttled)); serr != nil {
			// As the SDK: the caller's deadline, not the last answer.
			return &sendError{fmt.Errorf("%w (waiting to retry after: %v)", serr, err)}
		}
	}
}

// maxResponse bounds a response body: a Query answers at most 1 MB.
const maxResponse = 4 << 20

// attempt makes one request.
func (c *DynamoClient) attempt(ctx context.Context, op string, body []byte, out *response) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("dynamodb %s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	// As the SDK's DynamoDB client: no gzip, so X-Amz-Crc32 is of the bytes
	// read.
	req.Header.Set("Accept-Encoding", "identity")
	if err := c.sign(ctx, req, body); err != nil {
		return fmt.Errorf("dynamodb %s: %w", op, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &sendError{err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return &sendError{err}
	}
	if len(raw) > maxResponse {
		return fmt.Errorf("dynamodb %s: response over %d bytes", op, maxResponse)
	}
	if h := resp.Header.Get("X-Amz-Crc32"); h != "" {
		want, err := strconv.ParseUint(h, 10, 32)
		if err != nil {
			return fmt.Errorf("dynamodb %s: X-Amz-Crc32 %q: %w", op, h, err)
		}
		if got := crc32.ChecksumIEEE(raw); got != uint32(want) {
			return &checksumError{want: uint32(want), got: got}
		}
	}
	if resp.StatusCode != http.StatusOK {
		return decodeError(resp, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("dynamodb %s: decode response: %w", op, err)
	}
	return nil
}

// sign signs req unless the credentials are anonymous (local tests).
func (c *DynamoClient) sign(ctx context.Context, req *http.Request, body []byte) error {
	if c.cfg.Credentials == nil {
		return nil
	}
	if _, anon := c.cfg.Credentials.(aws.AnonymousCredentials); anon {
		return nil
	}
	return awsreq.Sign(ctx, c.signer, c.cfg, req, body, "dynamodb", c.now())
}

// decodeError reads an error answer as the SDK's awsJson1_0 protocol does:
// the code from X-Amzn-ErrorType, else the body's __type or code, without
// a namespace ("ns#Code") or a suffix ("Code:http://...").
func decodeError(resp *http.Response, raw []byte) error {
	var b struct {
		Type    string          `json:"__type"`
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Upper   string          `json:"Message"`
		Item    map[string]attr `json:"Item"`
	}
	_ = json.Unmarshal(raw, &b) // an unreadable body still has a status
	code := cmp.Or(resp.Header.Get("X-Amzn-ErrorType"), b.Code, b.Type)
	code, _, _ = strings.Cut(code, ":")
	if i := strings.LastIndex(code, "#"); i >= 0 {
		code = code[i+1:]
	}
	return &DynamoError{StatusCode: resp.StatusCode, Code: code, Message: cmp.Or(b.Message, b.Upper), item: b.Item}
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
}

// response is the output of the four operations.
type response struct {
	Item       map[string]attr   `json:"Item"`       // GetItem
	Attributes map[string]attr   `json:"Attributes"` // UpdateItem with ReturnValues
	Items      []map[string]attr `json:"Items"`      // Query
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
