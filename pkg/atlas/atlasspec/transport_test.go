package atlasspec

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// recorder collects the violations a CheckingTransport reports.
type recorder struct {
	mu   sync.Mutex
	errs []error
}

func (r *recorder) report(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.errs)
}

func TestCheckingTransport(t *testing.T) {
	seed200 := seed(t, "seed_create_response_200.json")
	seedReq := seed(t, "seed_create_request.json")
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotBody, _ = io.ReadAll(r.Body)
		switch {
		case r.URL.Path == "/api/oauth/token":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600}`)
		case r.URL.Query().Get("broken") == "true":
			w.Header().Set("Content-Type", v20230201)
			io.WriteString(w, `{"name":"x","dataProcessRegion":{"cloudProvider":"AWS","region":"MARS_1"}}`)
		default:
			w.Header().Set("Content-Type", v20230201)
			w.Write(seed200)
		}
	}))
	t.Cleanup(srv.Close)
	base := srv.URL + "/api/atlas/v2/groups/" + groupID + "/streams"

	tests := []struct {
		name        string
		method, url string
		accept      string
		body        []byte
		wantReports int
	}{
		{name: "valid create", method: "POST", url: base, accept: v20250312, body: seedReq},
		{name: "invalid request", method: "POST", url: base, accept: v20250312, body: bytes.Replace(seedReq, []byte("SYDNEY_AUS"), []byte("MARS_1"), 1), wantReports: 1},
		{name: "missing Accept", method: "GET", url: base + "/string", wantReports: 1},
		{name: "invalid response", method: "GET", url: base + "/string?broken=true", accept: v20250312, wantReports: 1},
		{name: "token request unchecked", method: "POST", url: srv.URL + "/api/oauth/token", body: []byte("grant_type=client_credentials")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			client := &http.Client{Transport: CheckingTransport(nil, rec.report)}
			req, err := http.NewRequest(tc.method, tc.url, bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
				req.Header.Set("Content-Type", tc.accept)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			respBody, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if len(respBody) == 0 {
				t.Error("response body is empty after checking, want it passed on")
			}
			if !bytes.Equal(gotBody, tc.body) {
				t.Errorf("server got body %q, want %q", gotBody, tc.body)
			}
			if got := rec.count(); got != tc.wantReports {
				t.Errorf("reports = %d (%v), want %d", got, rec.errs, tc.wantReports)
			}
		})
	}
}

func TestCheckingTransportReportsNoSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	rec := &recorder{}
	client := &http.Client{Transport: CheckingTransport(http.DefaultTransport, rec.report)}
	req, err := http.NewRequest("GET", srv.URL+"/api/atlas/v2/groups/"+groupID+"/streams", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", v20250312)
	req.Header.Set("Authorization", "Bearer s3cr3t-token")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if rec.count() != 1 {
		t.Fatalf("reports = %v, want 1 for a text/plain 401", rec.errs)
	}
	if msg := rec.errs[0].Error(); strings.Contains(msg, "s3cr3t") {
		t.Errorf("report %q contains the bearer token", msg)
	}
}
