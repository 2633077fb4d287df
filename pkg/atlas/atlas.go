// Package atlas is a small client for the MongoDB Atlas Administration API v2,
// covering what streambot needs: Atlas Stream Processing workspaces (create,
// get, list, delete) and a project's users and their roles.
//
// It follows the go-github mould. [NewClient] takes options and returns an
// error for an invalid one; [Client.NewRequest] builds a request against the
// versioned API base; [Client.Do] sends it, turns any non-2xx answer into an
// [APIError] and decodes the rest. Authentication (service account or API
// key) lives in the [http.RoundTripper] of the client's HTTP client, never in
// request code.
//
//	c, err := atlas.NewClient(atlas.WithServiceAccount(id, secret))
//	ws, err := c.CreateStreamWorkspace(ctx, groupID, &atlas.StreamWorkspace{...})
//
// Every method validates its input (see [ValidateCreate]) before anything is
// sent. Idempotent calls are retried a few times on 429, 502, 503, 504 and
// connection errors; a create is repeated only after a 429. Anything beyond
// that is returned to the caller, who decides.
//
// Reference: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/
package atlas

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults used by [NewClient].
const (
	// DefaultBaseURL is the Atlas origin.
	DefaultBaseURL = "https://cloud.mongodb.com"
	// DefaultAPIVersion is the date in the versioned media type, as
	// MongoDB's reference page for the create call sends it.
	DefaultAPIVersion = "2025-03-12"
	// DefaultUserAgent is sent unless [WithUserAgent] replaces it.
	DefaultUserAgent = "streambot-atlas/1"
	// DefaultTimeout bounds one HTTP attempt when the injected client has
	// no timeout of its own; it is a backstop to the context.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxAttempts is how often a retryable call is tried in all.
	DefaultMaxAttempts = 4

	apiPath   = "api/atlas/v2/"
	tokenPath = "api/oauth/token"

	maxErrorBody   = 1 << 20  // bytes of an error body read
	maxSuccessBody = 32 << 20 // bytes of a success body read
	maxBodyExcerpt = 512      // bytes of a non-JSON error body kept in APIError.Body
)

// Client talks to the Atlas Administration API v2. Build it with
// [NewClient]; it is safe for concurrent use and meant to be built once per
// process (a Lambda container reuses it, and its cached token, across
// invocations).
type Client struct {
	client     *http.Client // with the auth transport on top of the caller's
	baseURL    *url.URL     // origin + "/api/atlas/v2/", always with a trailing slash
	userAgent  string
	apiVersion string

	maxAttempts int
	minBackoff  time.Duration
	maxBackoff  time.Duration
	maxWait     time.Duration // the longest Retry-After honoured
	jitter      func(time.Duration) time.Duration

	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// settings collects the options before NewClient checks them.
type settings struct {
	baseURL     string
	httpClient  *http.Client
	userAgent   string
	apiVersion  string
	timeout     time.Duration
	maxAttempts int
	auth        []authenticator
}

// Option configures a [Client]; see [NewClient].
type Option func(*settings) error

// WithBaseURL sets the Atlas origin, such as "https://cloud.mongodb.com" or
// an httptest server's URL. The API base is origin + "/api/atlas/v2/" and
// the token URL origin + "/api/oauth/token". An origin may carry a path
// prefix (tests use one), but no query, fragment or user information.
func WithBaseURL(origin string) Option {
	return func(s *settings) error { s.baseURL = origin; return nil }
}

// WithHTTPClient sets the HTTP client whose transport carries every request.
// The authentication transport is layered on top of it, so a transport given
// here sees requests as they go on the wire (tests inject a spec-checking
// transport this way). Its Timeout, if set, replaces [DefaultTimeout].
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return errors.New("atlas: WithHTTPClient: nil client")
		}
		s.httpClient = hc
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(s *settings) error {
		if strings.TrimSpace(ua) == "" || strings.ContainsAny(ua, "\r\n") {
			return errors.New("atlas: WithUserAgent: empty or multi-line user agent")
		}
		s.userAgent = ua
		return nil
	}
}

// WithAPIVersion sets the date in the versioned media type
// application/vnd.atlas.<date>+json, for example "2023-02-01" (the resource
// version the spec declares for stream workspaces). The default is
// [DefaultAPIVersion].
func WithAPIVersion(date string) Option {
	return func(s *settings) error {
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			return fmt.Errorf("atlas: WithAPIVersion: %q is not a date like 2025-03-12", date)
		}
		s.apiVersion = date
		return nil
	}
}

// WithTimeout bounds each HTTP attempt (the client's backstop to the
// context). The default is [DefaultTimeout].
func WithTimeout(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return errors.New("atlas: WithTimeout: the timeout must be positive")
		}
		s.timeout = d
		return nil
	}
}

// WithMaxAttempts sets how many times a retryable call is tried in all; 1
// turns retries off. The default is [DefaultMaxAttempts].
func WithMaxAttempts(n int) Option {
	return func(s *settings) error {
		if n < 1 {
			return errors.New("atlas: WithMaxAttempts: at least one attempt is needed")
		}
		s.maxAttempts = n
		return nil
	}
}

// NewClient returns a client configured by opts. Exactly one of
// [WithServiceAccount] and [WithAPIKey] is required; an invalid option, a
// missing or second auth option, or empty credentials are an error.
func NewClient(opts ...Option) (*Client, error) {
	s := settings{baseURL: DefaultBaseURL, userAgent: DefaultUserAgent, apiVersion: DefaultAPIVersion, maxAttempts: DefaultMaxAttempts}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&s); err != nil {
			return nil, err
		}
	}
	switch len(s.auth) {
	case 0:
		return nil, errors.New("atlas: no credentials: use WithServiceAccount or WithAPIKey")
	case 1:
	default:
		return nil, errors.New("atlas: more than one auth option: use exactly one of WithServiceAccount and WithAPIKey")
	}
	origin, err := parseOrigin(s.baseURL)
	if err != nil {
		return nil, err
	}
	base, _ := url.Parse(origin + "/" + apiPath) // parseOrigin checked the parts

	hc := &http.Client{}
	if s.httpClient != nil {
		*hc = *s.httpClient // copy: never modify the caller's client
	}
	if s.timeout > 0 {
		hc.Timeout = s.timeout
	} else if hc.Timeout == 0 {
		hc.Timeout = DefaultTimeout
	}
	wire := hc.Transport
	if wire == nil {
		wire = http.DefaultTransport
	}
	hc.Transport = s.auth[0](wire, origin+"/"+tokenPath, hc.Timeout)

	return &Client{
		client:      hc,
		baseURL:     base,
		userAgent:   s.userAgent,
		apiVersion:  s.apiVersion,
		maxAttempts: s.maxAttempts,
		minBackoff:  500 * time.Millisecond,
		maxBackoff:  8 * time.Second,
		maxWait:     time.Minute,
		now:         time.Now,
		sleep:       sleepCtx,
		jitter:      equalJitter,
	}, nil
}

// parseOrigin checks an origin and returns it without a trailing slash.
func parseOrigin(origin string) (string, error) {
	u, err := url.Parse(origin)
	if err != nil {
		return "", errors.New("atlas: WithBaseURL: not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("atlas: WithBaseURL: the scheme must be http or https")
	case u.Host == "":
		return "", errors.New("atlas: WithBaseURL: a host is required")
	case u.User != nil:
		return "", errors.New("atlas: WithBaseURL: user information is not allowed in the URL")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", errors.New("atlas: WithBaseURL: a query or fragment is not allowed")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// BaseURL returns the API base the client resolves paths against, such as
// https://cloud.mongodb.com/api/atlas/v2/.
func (c *Client) BaseURL() string { return c.baseURL.String() }

// mediaType returns the versioned media type for date.
func mediaType(date string) string { return "application/vnd.atlas." + date + "+json" }

// encodeJSON is the one body encoding the client uses, on the wire and in
// [PreviewCreate]: compact JSON without HTML escaping and without a
// trailing newline.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// NewRequest builds a request for path, which is resolved relative to the
// API base and must not start with a slash (so "groups/x/streams", not
// "/groups/x/streams"). A non-nil body is JSON-encoded. The request carries
// the versioned Accept header (and Content-Type when there is a body) and
// the User-Agent.
func (c *Client) NewRequest(ctx context.Context, method, path string, body any) (*http.Request, error) {
	if strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("atlas: path %q must be relative to the API base", path)
	}
	u, err := c.baseURL.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("atlas: path %q: %w", path, err)
	}
	var rd io.Reader
	if body != nil {
		b, err := encodeJSON(body)
		if err != nil {
			return nil, fmt.Errorf("atlas: encode %s %s body: %w", method, path, err)
		}
		rd = bytes.NewReader(b) // sets GetBody, so retries and digest auth can resend it
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("atlas: new request: %w", err)
	}
	mt := mediaType(c.apiVersion)
	req.Header.Set("Accept", mt)
	if body != nil {
		req.Header.Set("Content-Type", mt)
	}
	req.Header.Set("User-Agent", c.userAgent)
	return req, nil
}

// Do sends req and decodes a successful JSON answer into v (v may be nil).
// Any non-2xx answer, or an enveloped answer whose status is not 2xx,
// becomes an [APIError]. When the request asked for envelope=true, the
// envelope is removed before decoding, so v receives the same result either
// way.
//
// GET, HEAD and DELETE are retried on 429, 502, 503 and 504 and on
// connection errors; other methods only on 429, which Atlas sends before
// processing a request. A request whose body cannot be rewound (no
// GetBody) is never repeated. Waits follow Retry-After when present and a
// capped exponential backoff otherwise; the context bounds them, and a wait
// that would outlast its deadline is not started. The last error is
// returned when the attempts run out.
//
// If the context is done, Do returns its error (wrapped) rather than the
// transport's. The returned response's body has been read and closed.
func (c *Client) Do(req *http.Request, v any) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil { // before any token exchange or dial
			return nil, fmt.Errorf("atlas: %s %s: %w", req.Method, c.displayPath(req), err)
		}
		r := req
		if attempt > 1 {
			r = req.Clone(ctx)
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, fmt.Errorf("atlas: %s %s: rewind body: %w", req.Method, c.displayPath(req), err)
				}
				r.Body = body
			}
		}
		resp, transient, err := c.do(r, v)
		if err == nil || !transient || attempt >= c.maxAttempts || !retryable(req.Method, err) || !rewindable(req) {
			return resp, err
		}
		wait := c.backoff(attempt)
		var ae *APIError
		if errors.As(err, &ae) && ae.RetryAfter > 0 {
			wait = ae.RetryAfter
		}
		if wait > c.maxWait {
			return resp, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return resp, err // waiting cannot help: the caller's deadline comes first
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("atlas: %s %s: %w", req.Method, c.displayPath(req), serr)
		}
	}
}

// do makes one attempt. transient reports whether the error came from the
// transport or from an error status (as opposed to a bad success body).
func (c *Client) do(req *http.Request, v any) (resp *http.Response, transient bool, err error) {
	ctx := req.Context()
	resp, err = c.client.Do(req)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, false, fmt.Errorf("atlas: %s %s: %w", req.Method, c.displayPath(req), cerr)
		}
		var ae *APIError
		if errors.As(err, &ae) { // the token exchange failed
			return nil, true, ae
		}
		return nil, true, fmt.Errorf("atlas: %s %s: %w", req.Method, c.displayPath(req), err)
	}
	defer resp.Body.Close()

	limit := int64(maxSuccessBody)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		limit = maxErrorBody
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return resp, false, fmt.Errorf("atlas: %s %s: %w", req.Method, c.displayPath(req), cerr)
		}
		return resp, true, fmt.Errorf("atlas: %s %s: read body: %w", req.Method, c.displayPath(req), err)
	}

	status, payload := resp.StatusCode, body
	if req.URL.Query().Get("envelope") == "true" {
		status, payload = unwrapEnvelope(status, body)
	}
	if status < 200 || status > 299 {
		return resp, true, c.newAPIError(req, resp, status, payload)
	}
	if v == nil || len(bytes.TrimSpace(payload)) == 0 {
		return resp, false, nil
	}
	if err := json.Unmarshal(payload, v); err != nil {
		return resp, false, fmt.Errorf("atlas: %s %s: decode %d response: %w", req.Method, c.displayPath(req), status, err)
	}
	return resp, false, nil
}

// unwrapEnvelope removes the envelope Atlas adds for envelope=true: a single
// result arrives as {"status": 200, "content": {...}}, a list keeps its
// results object and gains a "status" field. It returns the status in the
// body (or the HTTP status when there is none) and the payload.
func unwrapEnvelope(httpStatus int, body []byte) (int, []byte) {
	var env struct {
		Status  *int            `json:"status"`
		Content json.RawMessage `json:"content"`
	}
	if json.Unmarshal(body, &env) != nil || env.Status == nil {
		return httpStatus, body
	}
	if len(env.Content) > 0 && !bytes.Equal(env.Content, []byte("null")) {
		return *env.Status, env.Content
	}
	return *env.Status, body
}

// rewindable reports whether req's body, if any, can be sent again.
// [Client.NewRequest] always sets GetBody; a request built elsewhere with
// a one-shot body is tried once.
func rewindable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// retryable reports whether err may be retried for method.
func retryable(method string, err error) bool {
	idempotent := method == http.MethodGet || method == http.MethodHead || method == http.MethodDelete
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.StatusCode {
		case http.StatusTooManyRequests:
			return true
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return idempotent
		}
		return false
	}
	return idempotent // a connection error
}

// backoff returns the wait after the given failed attempt (1-based): a
// capped exponential step, jittered so that many workers refused at the same
// moment do not all come back at the same moment.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.minBackoff
	for i := 1; i < attempt && d < c.maxBackoff; i++ {
		d *= 2
	}
	return c.jitter(min(d, c.maxBackoff))
}

// equalJitter returns a random wait between d/2 and d ("equal jitter").
func equalJitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// displayPath is the request path relative to the API base, as error
// messages show it ("groups/…/streams"). The query is left out.
func (c *Client) displayPath(req *http.Request) string {
	p := req.URL.EscapedPath()
	if rest, ok := strings.CutPrefix(p, c.baseURL.EscapedPath()); ok {
		return rest
	}
	return p
}

// CallOption adjusts a single call; see [WithEnvelope] and [WithPretty].
type CallOption func(url.Values)

// WithEnvelope asks Atlas to wrap the answer in an envelope
// (envelope=true), for clients that cannot see HTTP status codes. The
// client unwraps it, so results and errors are the same as without.
func WithEnvelope() CallOption { return func(q url.Values) { q.Set("envelope", "true") } }

// WithPretty asks Atlas to pretty-print the answer (pretty=true).
func WithPretty() CallOption { return func(q url.Values) { q.Set("pretty", "true") } }

// withQuery returns path with the call options' query parameters added to
// those already in q (q may be nil).
func withQuery(path string, q url.Values, opts []CallOption) string {
	if q == nil {
		q = url.Values{}
	}
	for _, o := range opts {
		if o != nil {
			o(q)
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
