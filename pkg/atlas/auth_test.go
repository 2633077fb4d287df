package atlas

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// getHandler answers GET of any workspace with a minimal workspace.
func getHandler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		writeJSON(w, r, 200, `{"name":"`+r.PathValue("name")+`"}`)
	}
}

func TestServiceAccount_tokenReuse(t *testing.T) {
	c, mux, ts := setup(t)
	mux.HandleFunc("/api/atlas/v2/groups/{groupId}/streams/{name}", getHandler(t))
	ctx := context.Background()

	for i := range 5 {
		if _, err := c.GetStreamWorkspace(ctx, testGroupID, fmt.Sprintf("seq-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			w, err := c.GetStreamWorkspace(ctx, testGroupID, fmt.Sprintf("par-%d", i))
			if err != nil {
				t.Error(err)
				return
			}
			if want := fmt.Sprintf("par-%d", i); w.Name != want {
				t.Errorf("Name = %q, want %q", w.Name, want)
			}
		})
	}
	wg.Wait()
	if got := ts.tokenCalls.Load(); got != 1 {
		t.Errorf("token requests = %d for 25 calls, want 1", got)
	}
	if got := ts.apiCalls.Load(); got != 25 {
		t.Errorf("API requests = %d, want 25", got)
	}
}

func TestServiceAccount_concurrentFirstUse(t *testing.T) {
	// Many calls racing on a client that has no token yet still fetch one.
	c, mux, ts := setup(t)
	mux.HandleFunc("/api/atlas/v2/groups/{groupId}/streams/{name}", getHandler(t))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := c.GetStreamWorkspace(context.Background(), testGroupID, "x"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := ts.tokenCalls.Load(); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
}

func TestServiceAccount_newTokenNearExpiry(t *testing.T) {
	// A token that expires within tokenEarlyExpiry is treated as expired:
	// every call exchanges the credentials again.
	c, mux, ts := setup(t)
	ts.tokenTTL.Store(int64(tokenEarlyExpiry.Seconds()) - 1)
	var seen []string
	mux.HandleFunc("/api/atlas/v2/groups/{groupId}/streams/{name}", func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
		getHandler(t)(w, r)
	})
	for range 3 {
		if _, err := c.GetStreamWorkspace(context.Background(), testGroupID, "x"); err != nil {
			t.Fatal(err)
		}
	}
	if got := ts.tokenCalls.Load(); got != 3 {
		t.Errorf("token requests = %d, want 3", got)
	}
	want := []string{"Bearer token-1", "Bearer token-2", "Bearer token-3"}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("tokens used = %q, want %q", seen, want)
	}
}

func TestServiceAccount_tokenFailure(t *testing.T) {
	tests := []struct {
		name       string
		secret     string
		status     int32
		wantStatus int
		attempts   int32 // token requests
	}{
		{"wrong secret", "wrong-" + testSecret, 0, 401, 1},
		{"endpoint down, get retried", testSecret, 503, 503, DefaultMaxAttempts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t)
			ts.tokenStatus.Store(tc.status)
			c := ts.newClient(WithServiceAccount(testClient, tc.secret))
			_, err := c.GetStreamWorkspace(context.Background(), testGroupID, "x")
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error = %v, want *APIError", err)
			}
			if ae.StatusCode != tc.wantStatus || ae.Path != "/api/oauth/token" || ae.ErrorCode != "invalid_client" {
				t.Errorf("APIError = %+v, want status %d, path /api/oauth/token, code invalid_client", ae, tc.wantStatus)
			}
			if !IsTokenError(err) {
				t.Errorf("IsTokenError(%v) = false, want true", err)
			}
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", ae)} {
				if strings.Contains(s, tc.secret) {
					t.Errorf("error text contains the client secret: %s", s)
				}
			}
			if got := ts.apiCalls.Load(); got != 0 {
				t.Errorf("API requests = %d, want 0 without a token", got)
			}
			if got := ts.tokenCalls.Load(); got != tc.attempts {
				t.Errorf("token requests = %d, want %d", got, tc.attempts)
			}
		})
	}
}

func TestServiceAccount_tokenTransportError(t *testing.T) {
	c, err := NewClient(WithBaseURL("http://127.0.0.1:1"+baseURLPath), WithServiceAccount(testClient, testSecret), WithMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetStreamWorkspace(context.Background(), testGroupID, "x")
	if err == nil || strings.Contains(err.Error(), testSecret) {
		t.Errorf("error = %v, want a connection error without the secret", err)
	}
	var ae *APIError
	if errors.As(err, &ae) {
		t.Errorf("error = %v, want a transport error, not an APIError", err)
	}
}

func TestAPIKey_digest(t *testing.T) {
	const pub, priv = "abcdefgh", "9f3c1a52-6f3e-4b9a-9f0d-5d2b7c7a1e10"
	ts := newTestServer(t)
	ts.digestUser, ts.digestPass = pub, priv
	c := ts.newClient(WithAPIKey(pub, priv))
	var created int
	ts.mux.HandleFunc("POST /api/atlas/v2/groups/{groupId}/streams", func(w http.ResponseWriter, r *http.Request) {
		created++
		testJSONBody(t, r, readFile(t, "seed_create_request.json"))
		writeJSON(w, r, 200, readFile(t, "seed_create_response_200.json"))
	})
	ts.mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/streams/{name}", getHandler(t))

	ctx := context.Background()
	if _, err := c.GetStreamWorkspace(ctx, testGroupID, "orders", WithPretty()); err != nil {
		t.Fatalf("GET with digest: %v", err)
	}
	if _, err := c.CreateStreamWorkspace(ctx, testGroupID, seedWorkspace()); err != nil {
		t.Fatalf("POST with digest: %v", err)
	}
	if created != 1 {
		t.Errorf("creates handled = %d, want 1", created)
	}
	// Each call: one challenge, one authenticated request.
	if got := ts.apiCalls.Load(); got != 4 {
		t.Errorf("API requests = %d, want 4 (challenge + answer per call)", got)
	}
	if got := ts.tokenCalls.Load(); got != 0 {
		t.Errorf("token requests = %d, want 0 with an API key", got)
	}

	wrong := ts.newClient(WithAPIKey(pub, "not-"+priv))
	_, err := wrong.GetStreamWorkspace(ctx, testGroupID, "orders")
	if !IsStatus(err, http.StatusUnauthorized) || !IsErrorCode(err, "NOT_ORG_GROUP_CREATOR") {
		t.Errorf("wrong key: error = %v, want a 401 APIError", err)
	}
	if err != nil && strings.Contains(err.Error(), priv) {
		t.Errorf("error text contains the private key: %v", err)
	}
}
