package dispatch

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/streambot/streambot/internal/awsreq"
	"github.com/streambot/streambot/internal/secrets"
)

// Client calls Lambda's Invoke API for asynchronous invocations, signed
// with the AWS SDK's Signature Version 4 signer. It is the one call the
// Slack function makes to Lambda; the SDK's Lambda client would add about
// 650 kB to the bootstrap and 0.5 ms of package initialization (its
// schemas package describes every Lambda operation) for it.
//
// Like the SDK client with its default retryer, it makes up to three
// attempts, retrying a connection error, 429 (TooManyRequestsException),
// 500, 502, 503 and 504, with a jittered backoff; unlike it, the backoff is
// short (at most 50 ms, then 100 ms), as the caller is inside Slack's 3 s.
//
// See https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
type Client struct {
	cfg      aws.Config
	endpoint string // origin, without a trailing slash
	http     *http.Client
	signer   *v4.Signer
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
}

// maxAttempts is the SDK's default, retry.DefaultMaxAttempts.
const maxAttempts = 3

// NewClient returns a client for cfg's region and credentials. endpoint
// overrides the regional endpoint (AWS_ENDPOINT_URL_LAMBDA, see
// secrets.EnvEndpoint); "" means https://lambda.REGION.amazonaws.com, or the
// region's partition's domain. A nil cfg.HTTPClient means a client of its
// own; it must be an *http.Client otherwise.
func NewClient(cfg aws.Config, endpoint string) *Client {
	if endpoint == "" {
		endpoint = secrets.RegionalEndpoint("lambda", cfg.Region)
	}
	hc, ok := cfg.HTTPClient.(*http.Client)
	if !ok || hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{cfg: cfg, endpoint: strings.TrimRight(endpoint, "/"), http: hc, signer: v4.NewSigner(),
		now: time.Now, sleep: awsreq.Sleep}
}

// InvokeError is an Invoke call that Lambda refused, or that did not end
// in a queued event.
type InvokeError struct {
	StatusCode    int
	Type          string // Lambda's error type, e.g. "TooManyRequestsException"
	Message       string
	FunctionError string // X-Amz-Function-Error, for an invocation that failed
}

func (e *InvokeError) Error() string {
	msg := fmt.Sprintf("lambda invoke: HTTP %d", e.StatusCode)
	if e.Type != "" {
		msg += " " + e.Type
	}
	if e.FunctionError != "" {
		msg += " function error " + e.FunctionError
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// InvokeEvent implements [Invoker]: one Invoke of functionName with
// InvocationType Event, which Lambda answers 202 once the event is queued.
func (c *Client) InvokeEvent(ctx context.Context, functionName string, payload []byte) error {
	var err error
	for attempt := range maxAttempts {
		if attempt > 0 {
			backoff := awsreq.SDKBackoff(attempt, false, awsreq.DefaultBaseDelay)
			if serr := c.sleep(ctx, backoff); serr != nil {
				return errors.Join(err, serr)
			}
		}
		var retry bool
		retry, err = c.invoke(ctx, functionName, payload)
		if err == nil || !retry || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// invoke makes one attempt, and says whether a failure may be retried.
func (c *Client) invoke(ctx context.Context, functionName string, payload []byte) (retry bool, err error) {
	escaped := "/2015-03-31/functions/" + escapeLabel(functionName) + "/invocations"
	u, err := url.Parse(c.endpoint + escaped)
	if err != nil {
		return false, fmt.Errorf("lambda invoke: endpoint: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(payload))
	if err != nil {
		return false, fmt.Errorf("lambda invoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Amz-Invocation-Type", "Event")
	if err := awsreq.Sign(ctx, c.signer, c.cfg, req, payload, "lambda", c.now()); err != nil {
		return false, fmt.Errorf("lambda invoke: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return true, fmt.Errorf("lambda invoke: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fnErr := resp.Header.Get("X-Amz-Function-Error")
	if resp.StatusCode == http.StatusAccepted && fnErr == "" {
		return false, nil
	}
	e := &InvokeError{StatusCode: resp.StatusCode, FunctionError: fnErr}
	// Lambda names the error in X-Amzn-ErrorType ("Type:more") and
	// describes it in a JSON body.
	e.Type, _, _ = strings.Cut(resp.Header.Get("X-Amzn-ErrorType"), ":")
	var b struct {
		Type    string `json:"__type"`
		Message string `json:"Message"`
		Lower   string `json:"message"`
	}
	if json.Unmarshal(body, &b) == nil {
		if e.Type == "" {
			_, e.Type, _ = cutLast(b.Type, "#") // "namespace#Type"
		}
		e.Message = cmp.Or(b.Message, b.Lower)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		retry = fnErr == ""
	}
	return retry, e
}

// escapeLabel escapes a path label as the SDK does: everything but
// unreserved characters (RFC 3986), so that an ARN's colons are %3A.
func escapeLabel(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// cutLast returns s before and after the last sep, or "", s when there is
// none.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return "", s, false
}
