package atlastest

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mongodb-forks/digest"
	"golang.org/x/oauth2/clientcredentials"
)

func TestToken(t *testing.T) {
	e := setup(t)
	grant := url.Values{"grant_type": {"client_credentials"}}
	tests := []struct {
		name       string
		form       url.Values
		user, pass string
		wantStatus int
		wantError  string // the OAuth error code
	}{
		{name: "basic auth", form: grant, user: clientID, pass: clientSecret, wantStatus: 200},
		{name: "form credentials", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}}, wantStatus: 200},
		{name: "wrong secret", form: grant, user: clientID, pass: "nope", wantStatus: 401, wantError: "invalid_client"},
		{name: "unknown client", form: grant, user: "someone", pass: clientSecret, wantStatus: 401, wantError: "invalid_client"},
		{name: "no credentials", form: grant, wantStatus: 401, wantError: "invalid_client"},
		{name: "wrong grant", form: url.Values{"grant_type": {"password"}}, user: clientID, pass: clientSecret, wantStatus: 400, wantError: "unsupported_grant_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.tokenRequest(tc.form, tc.user, tc.pass)
			if resp.status != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", resp.status, resp.body, tc.wantStatus)
			}
			if ct := resp.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			var got struct {
				AccessToken string `json:"access_token"`
				TokenType   string `json:"token_type"`
				ExpiresIn   int    `json:"expires_in"`
				Error       string `json:"error"`
			}
			resp.decode(t, &got)
			if tc.wantError != "" {
				if got.Error != tc.wantError || got.AccessToken != "" {
					t.Errorf("body = %s, want error %q and no token", resp.body, tc.wantError)
				}
				return
			}
			if got.AccessToken == "" || got.TokenType != "Bearer" || got.ExpiresIn != 3600 {
				t.Errorf("body = %s, want a Bearer token for 3600 s", resp.body)
			}
		})
	}
	if got := e.srv.Calls(OpToken); got != len(tests) {
		t.Errorf("Calls(OpToken) = %d, want %d", got, len(tests))
	}

	r, err := http.NewRequest(http.MethodGet, e.srv.URL+"/api/oauth/token", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp := e.send(r, false); resp.status != http.StatusMethodNotAllowed {
		t.Errorf("GET token endpoint: status %d, want 405", resp.status)
	}
}

func TestTokenWithOAuth2Library(t *testing.T) {
	e := setup(t)
	cfg := clientcredentials.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: e.srv.URL + "/api/oauth/token"}
	hc := cfg.Client(context.Background())
	for range 3 {
		r, err := http.NewRequest(http.MethodGet, e.srv.URL+"/api/atlas/v2/groups/"+groupID+"/streams", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Accept", accept)
		resp, err := hc.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("list with an oauth2 client: status %d, want 200", resp.StatusCode)
		}
	}
	if got := e.srv.Calls(OpToken); got != 1 {
		t.Errorf("Calls(OpToken) = %d, want 1 (the token is reused)", got)
	}
	if got := e.srv.Calls(OpListStreams); got != 3 {
		t.Errorf("Calls(OpListStreams) = %d, want 3", got)
	}
}

func TestTokenExpiry(t *testing.T) {
	clock := newFakeClock()
	e := setup(t, WithClock(clock.Now), WithTokenTTL(10*time.Minute))
	list := req{method: "GET", path: "groups/" + groupID + "/streams"}
	if resp := e.api(list); resp.status != http.StatusOK {
		t.Fatalf("fresh token: status %d, want 200", resp.status)
	}
	clock.Advance(10 * time.Minute)
	resp := e.api(list)
	if resp.status != http.StatusUnauthorized {
		t.Fatalf("expired token: status %d, want 401", resp.status)
	}
	if got := resp.apiErr(t); got.ErrorCode != CodeUnauthorized || got.Error != 401 || got.Reason != "Unauthorized" {
		t.Errorf("expired token: body %s, want a 401 %s ApiError", resp.body, CodeUnauthorized)
	}
	e.token = e.fetchToken()
	if resp := e.api(list); resp.status != http.StatusOK {
		t.Errorf("new token: status %d, want 200", resp.status)
	}
	var tok struct {
		ExpiresIn int `json:"expires_in"`
	}
	e.tokenRequest(url.Values{"grant_type": {"client_credentials"}}, clientID, clientSecret).decode(t, &tok)
	if tok.ExpiresIn != 600 {
		t.Errorf("expires_in = %d, want 600 with WithTokenTTL(10m)", tok.ExpiresIn)
	}
	if got := e.srv.Calls(OpListStreams); got != 2 {
		t.Errorf("Calls(OpListStreams) = %d, want 2 (rejected credentials are not counted)", got)
	}
}

func TestUnauthenticated(t *testing.T) {
	e := setup(t)
	tests := []struct {
		name, auth string
	}{
		{name: "no credentials"},
		{name: "unknown token", auth: "Bearer not-a-token"},
		{name: "basic auth", auth: "Basic YTpi"},
		{name: "garbage digest", auth: `Digest username="abcdefgh"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.api(req{method: "POST", path: "groups/" + groupID + "/streams", body: seedRequest,
				header: map[string]string{"Authorization": tc.auth}})
			if resp.status != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401", resp.status)
			}
			if got := resp.apiErr(t); got.ErrorCode != CodeUnauthorized {
				t.Errorf("errorCode = %q, want %q", got.ErrorCode, CodeUnauthorized)
			}
			ch := resp.header.Get("WWW-Authenticate")
			for _, want := range []string{`Digest realm="MMS Public API"`, `nonce="`, `algorithm=MD5`, `qop="auth"`} {
				if !strings.Contains(ch, want) {
					t.Errorf("WWW-Authenticate = %q, want it to contain %q", ch, want)
				}
			}
		})
	}
	if _, ok := e.srv.Workspace(groupID, "string"); ok {
		t.Error("an unauthenticated create stored a workspace")
	}
	if got := e.srv.Calls(OpCreateStream); got != 0 {
		t.Errorf("Calls(OpCreateStream) = %d, want 0", got)
	}
}

// digestClient is an http.Client authenticating with the maintained digest
// transport pkg/atlas uses.
func digestClient(pub, priv string) *http.Client {
	return &http.Client{Transport: digest.NewTransport(pub, priv)}
}

func TestDigest(t *testing.T) {
	e := setup(t)
	tests := []struct {
		name       string
		pub, priv  string
		wantStatus int
	}{
		{name: "right key", pub: publicKey, priv: privateKey, wantStatus: 200},
		{name: "wrong private key", pub: publicKey, priv: "wrong", wantStatus: 401},
		{name: "unknown public key", pub: "zzzzzzzz", priv: privateKey, wantStatus: 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodPost, e.srv.URL+"/api/atlas/v2/groups/"+groupID+"/streams?pretty=true", strings.NewReader(seedRequest))
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Accept", accept)
			r.Header.Set("Content-Type", accept)
			resp, err := digestClient(tc.pub, tc.priv).Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
		})
	}
	if _, ok := e.srv.Workspace(groupID, "string"); !ok {
		t.Error("the digest-authenticated create stored no workspace")
	}
	if got := e.srv.Calls(OpCreateStream); got != 1 {
		t.Errorf("Calls(OpCreateStream) = %d, want 1 (challenges are not counted)", got)
	}
}

// TestDigestHandshake checks the server side of RFC 7616 by hand: a replayed
// nonce count and an expired nonce are refused, the latter as stale.
func TestDigestHandshake(t *testing.T) {
	clock := newFakeClock()
	e := setup(t, WithClock(clock.Now))
	path := "/api/atlas/v2/groups/" + groupID + "/streams"
	get := func(auth string) *response {
		r, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Accept", accept)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		return e.send(r, true)
	}
	challenge := parseDigest(strings.TrimPrefix(get("").header.Get("WWW-Authenticate"), "Digest "))
	authz := func(nc, uri string) string {
		ha1 := md5Hex(publicKey + ":" + challenge["realm"] + ":" + privateKey)
		ha2 := md5Hex("GET:" + uri)
		resp := md5Hex(ha1 + ":" + challenge["nonce"] + ":" + nc + ":0a4f113b:auth:" + ha2)
		return `Digest username="` + publicKey + `", realm="` + challenge["realm"] + `", nonce="` + challenge["nonce"] +
			`", uri="` + uri + `", response="` + resp + `", algorithm="MD5", qop=auth, nc=` + nc + `, cnonce="0a4f113b"`
	}
	steps := []struct {
		name       string
		auth       string
		advance    time.Duration
		wantStatus int
		wantStale  bool
	}{
		{name: "first use", auth: authz("00000001", path), wantStatus: 200},
		{name: "replayed nonce count", auth: authz("00000001", path), wantStatus: 401},
		{name: "next nonce count", auth: authz("00000002", path), wantStatus: 200},
		{name: "other URI", auth: authz("00000003", path+"?pageNum=2"), wantStatus: 401},
		{name: "expired nonce", auth: authz("00000004", path), advance: 6 * time.Minute, wantStatus: 401, wantStale: true},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		resp := get(st.auth)
		if resp.status != st.wantStatus {
			t.Errorf("%s: status %d, want %d", st.name, resp.status, st.wantStatus)
		}
		if stale := strings.Contains(resp.header.Get("WWW-Authenticate"), "stale=true"); stale != st.wantStale {
			t.Errorf("%s: WWW-Authenticate %q, want stale=%v", st.name, resp.header.Get("WWW-Authenticate"), st.wantStale)
		}
	}
}

func TestParseDigest(t *testing.T) {
	got := parseDigest(`username="a\"b", realm="MMS Public API",nc=00000001, qop=auth, uri="/x?a=1,2"`)
	want := map[string]string{"username": `a"b`, "realm": "MMS Public API", "nc": "00000001", "qop": "auth", "uri": "/x?a=1,2"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("parseDigest()[%q] = %q, want %q", k, got[k], v)
		}
	}
}

// TestExpiredTokensForgotten checks that a long-running simulator does not
// keep every token it ever issued.
func TestExpiredTokensForgotten(t *testing.T) {
	clock := newFakeClock()
	e := setup(t, WithClock(clock.Now), WithTokenTTL(time.Minute))
	for range 3 {
		clock.Advance(time.Minute)
		e.fetchToken()
	}
	e.srv.mu.Lock()
	n := len(e.srv.tokens)
	e.srv.mu.Unlock()
	if n != 1 {
		t.Errorf("simulator holds %d tokens, want only the live one", n)
	}
}
