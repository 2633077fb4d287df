package awsreq

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
)

// Protocol describes a service spoken over AWS's JSON protocols (awsJson1_0,
// awsJson1_1): every operation a POST to "/" naming its operation in
// X-Amz-Target, its input and output JSON bodies.
type Protocol struct {
	// Service is the signing name, also the errors' prefix: "dynamodb",
	// "secretsmanager".
	Service string
	// Target prefixes each operation's name in X-Amz-Target, e.g.
	// "DynamoDB_20120810." or "secretsmanager.".
	Target string
	// ContentType is "application/x-amz-json-1.0" or "…-1.1".
	ContentType string
	// MaxAttempts is the SDK client's default number of attempts.
	MaxAttempts int
	// BaseDelay is the backoff's base for errors other than throttling
	// (DynamoDB's client sets 25 ms); zero means DefaultBaseDelay.
	BaseDelay time.Duration
	// CRC32 checks a response's X-Amz-Crc32 header and asks for no gzip,
	// as the SDK's DynamoDB client does.
	CRC32 bool
}

// JSONClient calls the operations of one JSON-protocol service, signed with
// the AWS SDK's Signature Version 4 signer. The SDK's service clients
// (their types, schemas and endpoint rules) would add most of a megabyte
// to each bootstrap and tenths of a millisecond of package initialization
// each; streambot makes four DynamoDB calls and one Secrets Manager call.
//
// It retries as the SDK's clients do by default (retry mode standard): up
// to Protocol.MaxAttempts attempts; a connection error, HTTP 500, 502, 503,
// 504, an unmodeled 429, a RequestTimeout and every throttling error code
// (ThrottlingException, ProvisionedThroughputExceededException,
// RequestLimitExceeded, ...) are retried after a jittered exponential
// backoff (base 1 s for throttling, Protocol.BaseDelay otherwise, at most
// 20 s); a client-wide retry quota (500 tokens; a retry costs 14, 5 after
// throttling; a success gives back) stops retry storms. Every wait ends
// with ctx. What it does not do: clock-skew correction, endpoint
// discovery, account-ID endpoints, x-amz-retry-after. It is safe for
// concurrent use.
type JSONClient struct {
	proto    Protocol
	cfg      aws.Config
	endpoint string // origin, without a trailing slash
	http     *http.Client
	signer   *v4.Signer
	attempts int
	quota    retryQuota

	// Now, Backoff and Sleep are the clock, the wait before retry n
	// (from 1) and the wait itself. Tests replace them, before the client's
	// first call; nothing else may (a client is used concurrently).
	Now     func() time.Time
	Backoff func(retry int, throttled bool) time.Duration
	Sleep   func(context.Context, time.Duration) error
}

// NewJSONClient returns a client of proto's service at endpoint (an
// origin) for cfg's region and credentials (nil or anonymous credentials
// send unsigned requests, for local tests). cfg.RetryMaxAttempts, when
// set, replaces proto.MaxAttempts. A cfg.HTTPClient that is an
// *http.Client is used; otherwise the client has its own.
func NewJSONClient(proto Protocol, cfg aws.Config, endpoint string) *JSONClient {
	hc, ok := cfg.HTTPClient.(*http.Client)
	if !ok || hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	proto.BaseDelay = cmp.Or(proto.BaseDelay, DefaultBaseDelay)
	c := &JSONClient{proto: proto, cfg: cfg, endpoint: strings.TrimRight(endpoint, "/"), http: hc, signer: v4.NewSigner(),
		attempts: cmp.Or(max(cfg.RetryMaxAttempts, 0), proto.MaxAttempts, 1),
		quota:    retryQuota{tokens: quotaTokens}, Now: time.Now, Sleep: Sleep}
	c.Backoff = func(retry int, throttled bool) time.Duration { return SDKBackoff(retry, throttled, proto.BaseDelay) }
	return c
}

// DefaultBaseDelay is the SDK's backoff base for errors other than
// throttling (aws/retry's standard retryer).
const DefaultBaseDelay = 50 * time.Millisecond

// Endpoint returns the origin the client calls.
func (c *JSONClient) Endpoint() string { return c.endpoint }

// MaxAttempts returns how many attempts a call makes at most.
func (c *JSONClient) MaxAttempts() int { return c.attempts }

// SDKBackoff is the SDK's wait before retry n (aws/retry, "retry behavior
// 2.1"): a random wait up to min(base × 2^(retry-1), 20 s), base 1 s after
// throttling and base otherwise.
func SDKBackoff(retry int, throttled bool, base time.Duration) time.Duration {
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

// ErrRetryQuota ends the retries once the quota is spent.
var ErrRetryQuota = errors.New("aws: retry quota exceeded")

// Error is an error answer of the service (or of the endpoint that plays
// it).
type Error struct {
	// Service is the Protocol's.
	Service string
	// StatusCode is the HTTP status; Code the service's error code without
	// its namespace, e.g. "ConditionalCheckFailedException".
	StatusCode int
	Code       string
	Message    string
	// Body is the answer's body, for what an error carries besides (a
	// DynamoDB condition failure's item).
	Body []byte
}

// Error reads like `dynamodb: ThrottlingException (HTTP 400): message`.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d): %s", e.Service, cmp.Or(e.Code, "error"), e.StatusCode, e.Message)
}

// SendError is a request that got no answer (network, or ctx).
type SendError struct {
	Service string
	Err     error
}

func (e *SendError) Error() string { return e.Service + ": send request: " + e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// checksumError is a response body that does not match its X-Amz-Crc32.
type checksumError struct {
	service   string
	want, got uint32
}

func (e *checksumError) Error() string {
	return fmt.Sprintf("%s: response checksum %d, header says %d", e.service, e.got, e.want)
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

// Retryable says whether err, from one attempt, may be retried, and
// whether it is throttling.
func Retryable(err error) (retry, throttled bool) {
	var ae *Error
	var se *SendError
	var ce *checksumError
	switch {
	case errors.As(err, &ae):
		if throttleCodes[ae.Code] {
			return true, true
		}
		switch ae.StatusCode {
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true, false
		case http.StatusTooManyRequests:
			return ae.Code == "", false // an unmodeled 429
		}
		return ae.Code == "RequestTimeout" || ae.Code == "RequestTimeoutException", false
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

// Call makes operation op with the JSON of in, retrying as the SDK does,
// and decodes the answer into out.
func (c *JSONClient) Call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s %s: %w", c.proto.Service, op, err)
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
		retry, throttled := Retryable(err)
		if !retry || attempt >= c.attempts || ctx.Err() != nil {
			return err
		}
		cost = quotaRetryCost
		if throttled {
			cost = quotaThrottleCost
		}
		if !c.quota.take(cost) {
			return errors.Join(err, ErrRetryQuota)
		}
		if serr := c.Sleep(ctx, c.Backoff(attempt, throttled)); serr != nil {
			// As the SDK: the caller's deadline, not the last answer.
			return &SendError{c.proto.Service, fmt.Errorf("%w (waiting to retry after: %v)", serr, err)}
		}
	}
}

// maxResponse bounds a response body: a DynamoDB Query answers at most
// 1 MB, a secret is at most 64 KB.
const maxResponse = 4 << 20

// attempt makes one request.
func (c *JSONClient) attempt(ctx context.Context, op string, body []byte, out any) error {
	svc := c.proto.Service
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s: %w", svc, op, err)
	}
	req.Header.Set("Content-Type", c.proto.ContentType)
	req.Header.Set("X-Amz-Target", c.proto.Target+op)
	if c.proto.CRC32 {
		// No gzip, so X-Amz-Crc32 is of the bytes read.
		req.Header.Set("Accept-Encoding", "identity")
	}
	if err := c.sign(ctx, req, body); err != nil {
		return fmt.Errorf("%s %s: %w", svc, op, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &SendError{svc, err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return &SendError{svc, err}
	}
	if len(raw) > maxResponse {
		return fmt.Errorf("%s %s: response over %d bytes", svc, op, maxResponse)
	}
	if h := resp.Header.Get("X-Amz-Crc32"); c.proto.CRC32 && h != "" {
		want, err := strconv.ParseUint(h, 10, 32)
		if err != nil {
			return fmt.Errorf("%s %s: X-Amz-Crc32 %q: %w", svc, op, h, err)
		}
		if got := crc32.ChecksumIEEE(raw); got != uint32(want) {
			return &checksumError{service: svc, want: uint32(want), got: got}
		}
	}
	if resp.StatusCode != http.StatusOK {
		return decodeError(svc, resp, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", svc, op, err)
	}
	return nil
}

// sign signs req unless the credentials are anonymous (local tests), as
// the SDK's clients decide it: no provider, or aws.AnonymousCredentials
// however it is wrapped (a pointer, a credentials cache).
func (c *JSONClient) sign(ctx context.Context, req *http.Request, body []byte) error {
	if c.cfg.Credentials == nil || aws.IsCredentialsProvider(c.cfg.Credentials, (*aws.AnonymousCredentials)(nil)) {
		return nil
	}
	return Sign(ctx, c.signer, c.cfg, req, body, c.proto.Service, c.Now())
}

// decodeError reads an error answer as the SDK's JSON protocols do: the
// code from X-Amzn-ErrorType, else the body's __type or code, without a
// namespace ("ns#Code") or a suffix ("Code:http://...").
func decodeError(service string, resp *http.Response, raw []byte) error {
	var b struct {
		Type    string `json:"__type"`
		Code    string `json:"code"`
		Message string `json:"message"`
		Upper   string `json:"Message"`
	}
	_ = json.Unmarshal(raw, &b) // an unreadable body still has a status
	code := cmp.Or(resp.Header.Get("X-Amzn-ErrorType"), b.Code, b.Type)
	code, _, _ = strings.Cut(code, ":")
	if i := strings.LastIndex(code, "#"); i >= 0 {
		code = code[i+1:]
	}
	return &Error{Service: service, StatusCode: resp.StatusCode, Code: code, Message: cmp.Or(b.Message, b.Upper), Body: raw}
}

// RetryTokens returns what is left of the client's retry quota.
func (c *JSONClient) RetryTokens() int {
	c.quota.mu.Lock()
	defer c.quota.mu.Unlock()
	return c.quota.tokens
}
