package atlas

import (
	"context"
	"crypto/md5"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/testtools"
	"github.com/streambot/streambot/pkg/atlas/atlasspec"
)

const (
	testGroupID = "32b6e34b3d91647abb20e7b8"
	testClient  = "mdb_sa_id_0123456789abcdef"
	testSecret  = "mdb_sa_sk_T0pS3cret-do-not-leak"

	// baseURLPath prefixes every URL the client is given, as go-github's
	// tests do: a request that ignores the configured base fails loudly.
	baseURLPath = "/prefix"
)

// testServer is an Atlas stand-in for one test: the token endpoint, the
// auth check (bearer or digest) and a mux for the API paths, behind a
// transport that requires the base URL prefix and checks every API request
// and response against the spec.
type testServer struct {
	t   *testing.T
	mux *http.ServeMux // API handlers, registered with full paths (/api/atlas/v2/...)
	url string         // the origin given to WithBaseURL, prefix included

	tokenTTL    atomic.Int64 // expires_in of issued tokens, seconds
	tokenStatus atomic.Int32 // when non-zero, the token endpoint fails with it
	tokenCalls  atomic.Int32
	apiCalls    atomic.Int32 // requests that reached the API, authenticated or not

	mu     sync.Mutex
	tokens map[string]bool // issued bearer tokens
	sleeps []time.Duration // waits the client asked for

	digestUser, digestPass string // when set, the API requires Digest instead of bearer tokens

	offSpec atomic.Bool // the test answers off-spec on purpose: response violations are expected
}

// setup starts a test server and returns a service-account client for it,
// the API mux and the server. The client never really sleeps: waits are
// recorded in ts.sleeps.
func setup(t *testing.T, opts ...Option) (*Client, *http.ServeMux, *testServer) {
	t.Helper()
	ts := newTestServer(t)
	c := ts.newClient(WithServiceAccount(testClient, testSecret), opts...)
	return c, ts.mux, ts
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	ts := &testServer{t: t, mux: http.NewServeMux(), tokens: map[string]bool{}}
	ts.tokenTTL.Store(3600)
	root := http.NewServeMux()
	root.HandleFunc("/api/oauth/token", ts.token)
	root.HandleFunc("/api/atlas/v2/", func(w http.ResponseWriter, r *http.Request) {
		ts.apiCalls.Add(1)
		if !ts.authorized(w, r) {
			return
		}
		ts.mux.ServeHTTP(w, r)
	})
	root.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(root)
	t.Cleanup(srv.Close)
	ts.url = srv.URL + baseURLPath
	return ts
}

// newClient returns a client for ts with the given auth option. Its wire
// transport is: prefix guard → atlasspec.CheckingTransport → a transport
// without keep-alives (so net/http never replays a request on its own).
func (ts *testServer) newClient(auth Option, opts ...Option) *Client {
	t := ts.t
	t.Helper()
	report := func(err error) {
		if ts.offSpec.Load() && strings.HasPrefix(err.Error(), "atlasspec: response") {
			return
		}
		t.Error(err)
	}
	wire := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(wire.CloseIdleConnections)
	hc := &http.Client{Transport: prefixGuard{t: t, next: atlasspec.CheckingTransport(wire, report)}}
	all := append([]Option{WithBaseURL(ts.url), WithHTTPClient(hc), auth}, opts...)
	c, err := NewClient(all...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	c.now = func() time.Time { return testNow }
	c.jitter = func(d time.Duration) time.Duration { return d } // exact waits to assert
	c.sleep = func(ctx context.Context, d time.Duration) error {
		ts.mu.Lock()
		ts.sleeps = append(ts.sleeps, d)
		ts.mu.Unlock()
		return ctx.Err()
	}
	return c
}

// testNow is the clock of test clients.
var testNow = time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC)

func (ts *testServer) waits() []time.Duration {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]time.Duration(nil), ts.sleeps...)
}

// prefixGuard fails a request outside the base URL prefix and strips the
// prefix from the others, so the spec check and the server see Atlas paths.
type prefixGuard struct {
	t    *testing.T
	next http.RoundTripper
}

func (g prefixGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	rest, ok := strings.CutPrefix(r.URL.Path, baseURLPath+"/")
	if !ok {
		g.t.Errorf("request %s %s ignores the base URL prefix %s", r.Method, r.URL.Path, baseURLPath)
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, errors.New("request outside the base URL")
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + rest
	r2.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, baseURLPath)
	return g.next.RoundTrip(r2)
}

// token is the OAuth token endpoint: client credentials in the Basic header.
func (ts *testServer) token(w http.ResponseWriter, r *http.Request) {
	ts.tokenCalls.Add(1)
	t := ts.t
	if r.Method != http.MethodPost {
		t.Errorf("token request method = %s, want POST", r.Method)
	}
	if err := r.ParseForm(); err != nil {
		t.Errorf("token request form: %v", err)
	}
	if got := r.PostForm.Get("grant_type"); got != "client_credentials" {
		t.Errorf("token request grant_type = %q, want client_credentials", got)
	}
	if r.PostForm.Has("client_secret") {
		t.Error("token request carries the secret in the body, want the Basic header")
	}
	id, secret, ok := r.BasicAuth()
	if st := ts.tokenStatus.Load(); st != 0 || !ok || id != testClient || secret != testSecret {
		if st == 0 {
			st = http.StatusUnauthorized
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(st))
		// An endpoint that echoes what it got, to prove the client does not repeat it.
		fmt.Fprintf(w, `{"error":"invalid_client","error_description":"bad credentials for %s:%s"}`, id, secret)
		return
	}
	n := ts.tokenCalls.Load()
	tok := fmt.Sprintf("token-%d", n)
	ts.mu.Lock()
	ts.tokens[tok] = true
	ts.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":%d}`, tok, ts.tokenTTL.Load())
}

const unauthorizedBody = `{"detail":"You are not authorized for this resource.","error":401,"errorCode":"NOT_ORG_GROUP_CREATOR","parameters":[],"reason":"Unauthorized"}`

// authorized checks the request's credentials and answers 401 (with a
// digest challenge in digest mode) when they are missing or wrong.
func (ts *testServer) authorized(w http.ResponseWriter, r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	if ts.digestUser != "" {
		if checkDigest(r, ts.digestUser, ts.digestPass) {
			return true
		}
		w.Header().Set("WWW-Authenticate", `Digest realm="MMS Public API", domain="", nonce="`+digestNonce+`", algorithm=MD5, qop="auth", stale=false`)
		writeError(w, http.StatusUnauthorized, unauthorizedBody)
		return false
	}
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	ts.mu.Lock()
	ok = ok && ts.tokens[tok]
	ts.mu.Unlock()
	if !ok {
		writeError(w, http.StatusUnauthorized, unauthorizedBody)
	}
	return ok
}

const digestNonce = "sOrsMRi0kSA8rYZx8Ia7Wj4SA6IJ3kXl"

// checkDigest verifies an RFC 2617 Digest Authorization header (MD5,
// qop=auth) for user and pass. The prefix guard removed baseURLPath from
// the path after the client signed it.
func checkDigest(r *http.Request, user, pass string) bool {
	h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Digest ")
	if !ok {
		return false
	}
	p := map[string]string{}
	for part := range strings.SplitSeq(h, ", ") {
		k, v, _ := strings.Cut(part, "=")
		p[k] = strings.Trim(v, `"`)
	}
	md := func(s string) string { return fmt.Sprintf("%x", md5.Sum([]byte(s))) }
	ha1 := md(user + ":" + p["realm"] + ":" + pass)
	ha2 := md(r.Method + ":" + p["uri"])
	want := md(ha1 + ":" + p["nonce"] + ":" + p["nc"] + ":" + p["cnonce"] + ":" + p["qop"] + ":" + ha2)
	return p["username"] == user && p["nonce"] == digestNonce && p["qop"] == "auth" &&
		p["uri"] == baseURLPath+r.URL.RequestURI() && p["response"] == want // the client signed the prefixed URI
}

// writeJSON answers a successful call in the media type the request asked for.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, body string) {
	w.Header().Set("Content-Type", r.Header.Get("Accept"))
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// writeError answers with an ApiError body, as Atlas does (application/json).
func writeError(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if got := r.Method; got != want {
		t.Errorf("Request method: %v, want %v", got, want)
	}
}

func testHeader(t *testing.T, r *http.Request, header, want string) {
	t.Helper()
	if got := r.Header.Get(header); got != want {
		t.Errorf("Header.Get(%q) returned %q, want %q", header, got, want)
	}
}

func testQuery(t *testing.T, r *http.Request, want url.Values) {
	t.Helper()
	if diff := cmp.Diff(want, r.URL.Query()); diff != "" {
		t.Errorf("query mismatch (-want +got):\n%s", diff)
	}
}

// testJSONBody reads r's body and compares it with want as JSON values.
func testJSONBody(t *testing.T, r *http.Request, want string) []byte {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	var got, w any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("request body %q is not JSON: %v", b, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %q is not JSON: %v", want, err)
	}
	if diff := cmp.Diff(w, got); diff != "" {
		t.Errorf("request body mismatch (-want +got):\n%s", diff)
	}
	return b
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkGolden compares got with testdata/name, rewriting it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	testtools.Golden(t, filepath.Join("testdata", name), got)
}

func TestNewClient(t *testing.T) {
	// Distinctive credentials, so that an error repeating one is caught.
	const saSecret, privKey = "sa-secret-5b1f", "priv-key-9c2e"
	sa := WithServiceAccount("id", saSecret)
	tests := []struct {
		name    string
		opts    []Option
		wantErr bool
		wantURL string
	}{
		{name: "defaults", opts: []Option{sa}, wantURL: "https://cloud.mongodb.com/api/atlas/v2/"},
		{name: "api key", opts: []Option{WithAPIKey("pub", privKey)}, wantURL: "https://cloud.mongodb.com/api/atlas/v2/"},
		{name: "origin with slash", opts: []Option{sa, WithBaseURL("http://127.0.0.1:8080/")}, wantURL: "http://127.0.0.1:8080/api/atlas/v2/"},
		{name: "origin with prefix", opts: []Option{sa, WithBaseURL("http://127.0.0.1:8080/x/y")}, wantURL: "http://127.0.0.1:8080/x/y/api/atlas/v2/"},
		{name: "all options", opts: []Option{sa, WithUserAgent("ua/1"), WithAPIVersion("2023-02-01"), WithTimeout(time.Second),
			WithMaxAttempts(1), WithHTTPClient(&http.Client{})}, wantURL: "https://cloud.mongodb.com/api/atlas/v2/"},
		{name: "no auth", opts: nil, wantErr: true},
		{name: "two auths", opts: []Option{sa, WithAPIKey("pub", privKey)}, wantErr: true},
		{name: "two service accounts", opts: []Option{sa, sa}, wantErr: true},
		{name: "empty client id", opts: []Option{WithServiceAccount("", saSecret)}, wantErr: true},
		{name: "empty client secret", opts: []Option{WithServiceAccount("id", "")}, wantErr: true},
		{name: "empty public key", opts: []Option{WithAPIKey("", privKey)}, wantErr: true},
		{name: "empty private key", opts: []Option{WithAPIKey("pub", "")}, wantErr: true},
		{name: "not a url", opts: []Option{sa, WithBaseURL("://nope")}, wantErr: true},
		{name: "no scheme", opts: []Option{sa, WithBaseURL("cloud.mongodb.com")}, wantErr: true},
		{name: "ftp scheme", opts: []Option{sa, WithBaseURL("ftp://cloud.mongodb.com")}, wantErr: true},
		{name: "no host", opts: []Option{sa, WithBaseURL("https://")}, wantErr: true},
		{name: "user info", opts: []Option{sa, WithBaseURL("https://u:p@cloud.mongodb.com")}, wantErr: true},
		{name: "query", opts: []Option{sa, WithBaseURL("https://cloud.mongodb.com?x=1")}, wantErr: true},
		{name: "fragment", opts: []Option{sa, WithBaseURL("https://cloud.mongodb.com#x")}, wantErr: true},
		{name: "bad version", opts: []Option{sa, WithAPIVersion("2025-13-01")}, wantErr: true},
		{name: "version not a date", opts: []Option{sa, WithAPIVersion("v2")}, wantErr: true},
		{name: "nil http client", opts: []Option{sa, WithHTTPClient(nil)}, wantErr: true},
		{name: "empty user agent", opts: []Option{sa, WithUserAgent(" ")}, wantErr: true},
		{name: "multi-line user agent", opts: []Option{sa, WithUserAgent("a\r\nX-Evil: 1")}, wantErr: true},
		{name: "zero timeout", opts: []Option{sa, WithTimeout(0)}, wantErr: true},
		{name: "zero attempts", opts: []Option{sa, WithMaxAttempts(0)}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewClient(tc.opts...)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("NewClient() = %v, nil; want an error", c.BaseURL())
				}
				if strings.Contains(err.Error(), saSecret) || strings.Contains(err.Error(), privKey) {
					t.Errorf("error %q repeats a credential", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewClient() error = %v", err)
			}
			if got := c.BaseURL(); got != tc.wantURL {
				t.Errorf("BaseURL() = %q, want %q", got, tc.wantURL)
			}
		})
	}
}

func TestNewClient_doesNotModifyCallerClient(t *testing.T) {
	hc := &http.Client{}
	if _, err := NewClient(WithHTTPClient(hc), WithServiceAccount("id", "secret")); err != nil {
		t.Fatal(err)
	}
	if hc.Transport != nil || hc.Timeout != 0 {
		t.Errorf("caller's client changed: Transport=%v Timeout=%v", hc.Transport, hc.Timeout)
	}
}

func TestNewClient_timeout(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want time.Duration
	}{
		{"default", nil, DefaultTimeout},
		{"from http client", []Option{WithHTTPClient(&http.Client{Timeout: 3 * time.Second})}, 3 * time.Second},
		{"explicit wins", []Option{WithHTTPClient(&http.Client{Timeout: 3 * time.Second}), WithTimeout(5 * time.Second)}, 5 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewClient(append(tc.opts, WithAPIKey("pub", "priv"))...)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.client.Timeout; got != tc.want {
				t.Errorf("timeout = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNewRequest(t *testing.T) {
	c, err := NewClient(WithAPIKey("pub", "priv"), WithBaseURL("https://atlas.example/p"), WithUserAgent("ua/9"), WithAPIVersion("2023-02-01"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := c.NewRequest(context.Background(), http.MethodPost, "groups/g/streams?pretty=true", &StreamWorkspace{Name: "a<b>"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := req.URL.String(), "https://atlas.example/p/api/atlas/v2/groups/g/streams?pretty=true"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	testHeader(t, req, "Accept", "application/vnd.atlas.2023-02-01+json")
	testHeader(t, req, "Content-Type", "application/vnd.atlas.2023-02-01+json")
	testHeader(t, req, "User-Agent", "ua/9")
	b, _ := io.ReadAll(req.Body)
	if got, want := string(b), `{"name":"a<b>"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
	if req.GetBody == nil {
		t.Error("GetBody is nil: the body cannot be resent")
	}

	get, err := c.NewRequest(context.Background(), http.MethodGet, "groups/g/streams", nil)
	if err != nil {
		t.Fatal(err)
	}
	testHeader(t, get, "Content-Type", "")
	testHeader(t, get, "Accept", "application/vnd.atlas.2023-02-01+json")

	if _, err := c.NewRequest(context.Background(), http.MethodGet, "/api/atlas/v2/groups/g/streams", nil); err == nil {
		t.Error("NewRequest with an absolute path: no error")
	}
	if _, err := c.NewRequest(context.Background(), http.MethodGet, "%zz", nil); err == nil {
		t.Error("NewRequest with a malformed path: no error")
	}
	if _, err := c.NewRequest(context.Background(), http.MethodPost, "x", func() {}); err == nil {
		t.Error("NewRequest with an unencodable body: no error")
	}
	if _, err := c.NewRequest(context.Background(), "BAD METHOD", "x", nil); err == nil {
		t.Error("NewRequest with an invalid method: no error")
	}
}

func TestPathEscaping(t *testing.T) {
	tests := []struct {
		groupID, name string
		want          string
	}{
		{testGroupID, "orders-ws", "groups/" + testGroupID + "/streams/orders-ws"},
		{"a/b", "c d", "groups/a%2Fb/streams/c%20d"},
		{"g", "x?y#z", "groups/g/streams/x%3Fy%23z"},
		{"g", "%2F", "groups/g/streams/%252F"},
	}
	for _, tc := range tests {
		got := streamPath(tc.groupID, tc.name)
		if got != tc.want {
			t.Errorf("streamPath(%q, %q) = %q, want %q", tc.groupID, tc.name, got, tc.want)
		}
	}

	// Escaped separators survive into the request URL.
	c, err := NewClient(WithAPIKey("pub", "priv"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := c.NewRequest(context.Background(), http.MethodGet, streamPath("a/b", "c d?e"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := req.URL.EscapedPath(), "/api/atlas/v2/groups/a%2Fb/streams/c%20d%3Fe"; got != want {
		t.Errorf("EscapedPath() = %q, want %q", got, want)
	}
	if req.URL.RawQuery != "" {
		t.Errorf("RawQuery = %q, want none: a name must not start a query", req.URL.RawQuery)
	}
}

func TestPathEscaping_onTheWire(t *testing.T) {
	// Valid names and IDs need no escaping; the server sees them verbatim.
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/streams/{name}", func(w http.ResponseWriter, r *http.Request) {
		if got, want := r.URL.EscapedPath(), "/api/atlas/v2/groups/"+testGroupID+"/streams/Orders-2"; got != want {
			t.Errorf("path = %q, want %q", got, want)
		}
		if got := r.PathValue("name"); got != "Orders-2" {
			t.Errorf("name = %q, want Orders-2", got)
		}
		writeJSON(w, r, 200, `{"name":"Orders-2"}`)
	})
	if _, err := c.GetStreamWorkspace(context.Background(), testGroupID, "Orders-2"); err != nil {
		t.Fatal(err)
	}
}
