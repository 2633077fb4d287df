package atlastest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streambot/streambot/pkg/atlas/atlasspec"
)

const (
	groupID      = "6a1b2c3d4e5f6a7b8c9d0e1f"
	otherGroupID = "5f1a2b3c4d5e6f7a8b9c0d1e"
	clientID     = "mdb_sa_id_0123456789abcdef"
	clientSecret = "mdb_sa_sk_secret"
	publicKey    = "abcdefgh"
	privateKey   = "0c9a6b3e-1111-2222-3333-444455556666"
	accept       = "application/vnd.atlas.2025-03-12+json"
	resourceType = "application/vnd.atlas.2023-02-01+json"
)

// seedRequest is the example request body from MongoDB's reference page.
const seedRequest = `{
"dataProcessRegion": {
"cloudProvider": "AWS",
"region": "SYDNEY_AUS"
},
"name": "string",
"sampleConnections": {
"solar": false
},
"streamConfig": {
"maxTierSize": "SP50",
"tier": "SP30"
}
}`

// fakeClock is a settable clock for WithClock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a started simulator with one project, one service account, one
// API key and a valid access token.
type env struct {
	t     *testing.T
	srv   *Server
	token string
}

// setup starts a simulator held to the spec (atlasspec.Checker) with opts.
func setup(t *testing.T, opts ...Option) *env {
	t.Helper()
	return setupOn(t, NewServer(t, append([]Option{WithChecker(atlasspec.Checker{})}, opts...)...))
}

// setupOn adds the project and credentials to s and fetches a token.
func setupOn(t *testing.T, s *Server) *env {
	t.Helper()
	s.AddProject(groupID)
	s.AddServiceAccount(clientID, clientSecret)
	s.AddAPIKey(publicKey, privateKey)
	e := &env{t: t, srv: s}
	e.token = e.fetchToken()
	s.ResetCalls()
	return e
}

func (e *env) fetchToken() string {
	e.t.Helper()
	resp := e.tokenRequest(url.Values{"grant_type": {"client_credentials"}}, clientID, clientSecret)
	if resp.status != http.StatusOK {
		e.t.Fatalf("token request: status %d, body %s", resp.status, resp.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	resp.decode(e.t, &tok)
	return tok.AccessToken
}

func (e *env) tokenRequest(form url.Values, user, pass string) *response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/api/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	return e.send(req, false)
}

// response is an answer read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// apiErr decodes an ApiError body.
func (r *response) apiErr(t *testing.T) apiError {
	t.Helper()
	var e apiError
	r.decode(t, &e)
	return e
}

// call is one API request: path is relative to /api/atlas/v2/.
type req struct {
	method, path, body string
	header             map[string]string // "" deletes the header
	ctx                context.Context
	noCheck            bool         // skip the spec check of the answer (deliberately broken answers)
	client             *http.Client // default http.DefaultClient
}

// api sends an API call with the env's bearer token, the seed's Accept and
// Content-Type, and checks the answer against the spec.
func (e *env) api(rq req) *response {
	e.t.Helper()
	resp, err := e.try(rq)
	if err != nil {
		e.t.Fatalf("%s %s: %v", rq.method, rq.path, err)
	}
	return resp
}

func (e *env) try(rq req) (*response, error) {
	e.t.Helper()
	ctx := rq.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r, err := http.NewRequestWithContext(ctx, rq.method, e.srv.URL+"/api/atlas/v2/"+rq.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+e.token)
	r.Header.Set("Accept", accept)
	if rq.body != "" {
		r.Header.Set("Content-Type", accept)
	}
	for k, v := range rq.header {
		if v == "" {
			r.Header.Del(k)
		} else {
			r.Header.Set(k, v)
		}
	}
	return e.sendWith(rq.client, r, !rq.noCheck)
}

func (e *env) send(r *http.Request, check bool) *response {
	e.t.Helper()
	resp, err := e.sendErr(r, check)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	return resp
}

func (e *env) sendErr(r *http.Request, check bool) (*response, error) {
	e.t.Helper()
	return e.sendWith(nil, r, check)
}

func (e *env) sendWith(client *http.Client, r *http.Request, check bool) (*response, error) {
	e.t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	var reqBody []byte
	if r.GetBody != nil {
		rc, _ := r.GetBody()
		reqBody, _ = io.ReadAll(rc)
	}
	resp, err := client.Do(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if check && strings.HasPrefix(r.URL.Path, atlasspec.APIPrefix) {
		spec, err := atlasspec.Load()
		if err != nil {
			e.t.Fatal(err)
		}
		if err := spec.ValidateResponse(r, resp.StatusCode, resp.Header, b); err != nil {
			e.t.Errorf("answer %d to %s %s (request %s) violates the spec: %v", resp.StatusCode, r.Method, r.URL.Path, reqBody, err)
		}
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// create creates a workspace and fails the test unless Atlas answers 200.
func (e *env) create(name, provider, region string, solar bool) *response {
	e.t.Helper()
	body := `{"name":"` + name + `","dataProcessRegion":{"cloudProvider":"` + provider + `","region":"` + region +
		`"},"streamConfig":{"tier":"SP10"}`
	if solar {
		body += `,"sampleConnections":{"solar":true}`
	}
	resp := e.api(req{method: "POST", path: "groups/" + groupID + "/streams", body: body + "}"})
	if resp.status != http.StatusOK {
		e.t.Fatalf("create %s: status %d, body %s", name, resp.status, resp.body)
	}
	return resp
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}
