package atlasspec

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
)

const (
	groupID    = "32b6e34b3d91647abb20e7b8"
	streamsURL = "https://cloud.mongodb.com/api/atlas/v2/groups/" + groupID + "/streams"
	v20250312  = "application/vnd.atlas.2025-03-12+json"
	v20230201  = "application/vnd.atlas.2023-02-01+json"
)

func mustLoad(t *testing.T) *Spec {
	t.Helper()
	s, err := Load()
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	return s
}

// seed reads one of the seed's examples, kept once for all of pkg/atlas in
// its testdata directory.
func seed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newRequest(method, url, accept, contentType string) *http.Request {
	r := httptest.NewRequest(method, url, nil)
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func TestLoadIsCachedAndCorrected(t *testing.T) {
	s := mustLoad(t)
	if s2 := mustLoad(t); s2 != s {
		t.Errorf("Load() returned %p then %p, want the cached spec", s, s2)
	}
	region := s.docs[0].Components.Schemas["BaseStreamsRegion"].Value
	if !region.Type.Is(openapi3.TypeString) {
		t.Errorf("BaseStreamsRegion type = %v, want string (the documented correction)", region.Type)
	}
	if len(region.OneOf) != 3 {
		t.Errorf("BaseStreamsRegion oneOf has %d entries, want the 3 region enums kept", len(region.OneOf))
	}
}

// TestRegionQuirk shows why the correction exists: as MongoDB publishes it,
// BaseStreamsRegion rejects the region string the seed example sends; as
// corrected it accepts every documented region and nothing else.
func TestRegionQuirk(t *testing.T) {
	loader := openapi3.NewLoader()
	raw, err := loader.LoadFromData(streamsYAML)
	if err != nil {
		t.Fatal(err)
	}
	asPublished := raw.Components.Schemas["BaseStreamsRegion"].Value
	if err := asPublished.VisitJSON("SYDNEY_AUS"); err == nil {
		t.Error("published BaseStreamsRegion accepted the string \"SYDNEY_AUS\"; the correction may be obsolete")
	}
	corrected := mustLoad(t).docs[0].Components.Schemas["BaseStreamsRegion"].Value
	for _, region := range []string{"SYDNEY_AUS", "VIRGINIA_USA", "eastus", "US_CENTRAL1"} {
		if err := corrected.VisitJSON(region); err != nil {
			t.Errorf("corrected BaseStreamsRegion rejected %q: %v", region, err)
		}
	}
	for _, bad := range []any{"MARS_1", "virginia_usa", map[string]any{"region": "SYDNEY_AUS"}} {
		if err := corrected.VisitJSON(bad); err == nil {
			t.Errorf("corrected BaseStreamsRegion accepted %v", bad)
		}
	}
}

func TestValidateRequest(t *testing.T) {
	s := mustLoad(t)
	seedBody := string(seed(t, "seed_create_request.json"))
	tests := []struct {
		name        string
		method, url string
		accept, ct  string
		body        string
		wantErr     bool
		wantAccept  bool // the error wraps ErrAccept
	}{
		{name: "seed example", method: "POST", url: streamsURL, accept: v20250312, ct: v20250312, body: seedBody},
		{name: "seed example as application/json", method: "POST", url: streamsURL, accept: v20250312, ct: "application/json", body: seedBody},
		{name: "seed example pinned to resource version", method: "POST", url: streamsURL + "?envelope=true&pretty=true", accept: v20230201, ct: v20230201 + "; charset=utf-8", body: seedBody},
		{name: "region as string on every provider", method: "POST", url: streamsURL, accept: v20250312, ct: v20250312,
			body: `{"name":"a","dataProcessRegion":{"cloudProvider":"AZURE","region":"eastus"},"streamConfig":{"tier":"SP10"}}`},
		{name: "unknown region", method: "POST", url: streamsURL, accept: v20250312, ct: v20250312, wantErr: true,
			body: strings.Replace(seedBody, "SYDNEY_AUS", "MARS_1", 1)},
		{name: "region as object", method: "POST", url: streamsURL, accept: v20250312, ct: v20250312, wantErr: true,
			body: `{"name":"a","dataProcessRegion":{"cloudProvider":"AWS","region":{"name":"SYDNEY_AUS"}}}`},
		{name: "unknown tier", method: "POST", url: streamsURL, accept: v20250312, ct: v20250312, wantErr: true,
			body: strings.Replace(seedBody, `"SP30"`, `"SP7"`, 1)},
		{name: "missing cloudProvider", method: "POST", url: streamsURL, accept: v20250312, ct: v20250312, wantErr: true,
			body: `{"name":"a","dataProcessRegion":{"region":"SYDNEY_AUS"}}`},
		{name: "read-only _id sent", method: "POST", url: streamsURL, accept: v20250312, ct: v20250312, wantErr: true,
			body: `{"_id":"32b6e34b3d91647abb20e7b8","name":"a"}`},
		{name: "read-only hostnames sent", method: "POST", url: streamsURL, accept: v20250312, ct: v20250312, wantErr: true,
			body: `{"name":"a","hostnames":[]}`},
		{name: "body not JSON", method: "POST", url: streamsURL, accept: v20250312, ct: v20250312, body: `{"name":`, wantErr: true},
		{name: "body missing", method: "POST", url: streamsURL, accept: v20250312, ct: v20250312, wantErr: true},
		{name: "body as text/plain", method: "POST", url: streamsURL, accept: v20250312, ct: "text/plain", body: seedBody, wantErr: true},
		{name: "Accept missing", method: "POST", url: streamsURL, ct: v20250312, body: seedBody, wantErr: true, wantAccept: true},
		{name: "Accept application/json", method: "GET", url: streamsURL, accept: "application/json", wantErr: true, wantAccept: true},
		{name: "Accept before 2023-02-01", method: "GET", url: streamsURL, accept: "application/vnd.atlas.2023-01-31+json", wantErr: true, wantAccept: true},
		{name: "Accept not a date", method: "GET", url: streamsURL, accept: "application/vnd.atlas.2025-02-30+json", wantErr: true, wantAccept: true},
		{name: "Accept among others", method: "GET", url: streamsURL, accept: "application/json, " + v20250312 + ";q=0.9"},
		{name: "bad groupId", method: "GET", url: "https://cloud.mongodb.com/api/atlas/v2/groups/XYZ/streams", accept: v20250312, wantErr: true},
		{name: "list page", method: "GET", url: streamsURL + "?itemsPerPage=2&pageNum=3", accept: v20250312},
		{name: "list page 0", method: "GET", url: streamsURL + "?pageNum=0", accept: v20250312, wantErr: true},
		{name: "list 501 per page", method: "GET", url: streamsURL + "?itemsPerPage=501", accept: v20250312, wantErr: true},
		{name: "envelope not boolean", method: "GET", url: streamsURL + "?envelope=yes", accept: v20250312, wantErr: true},
		{name: "get", method: "GET", url: streamsURL + "/orders-ws", accept: v20250312},
		{name: "delete on a local server", method: "DELETE", url: "http://127.0.0.1:8080/api/atlas/v2/groups/" + groupID + "/streams/orders-ws", accept: v20250312},
		{name: "update", method: "PATCH", url: streamsURL + "/orders-ws", accept: v20250312, ct: v20250312,
			body: `{"cloudProvider":"AWS","region":"OHIO_USA","streamConfig":{"tier":"SP50"}}`},
		{name: "update unknown region", method: "PATCH", url: streamsURL + "/orders-ws", accept: v20250312, ct: v20250312,
			body: `{"region":"MARS_1"}`, wantErr: true},
		{name: "project users by name", method: "GET", url: "https://cloud.mongodb.com/api/atlas/v2/groups/" + groupID + "/users?username=ada%40example.com",
			accept: "application/vnd.atlas.2025-02-19+json"},
		{name: "undocumented method", method: "PUT", url: streamsURL, accept: v20250312, wantErr: true},
		{name: "undocumented path", method: "GET", url: "https://cloud.mongodb.com/api/atlas/v2/groups/" + groupID + "/clusters", accept: v20250312, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRequest(tc.method, tc.url, tc.accept, tc.ct)
			err := s.ValidateRequest(r, []byte(tc.body))
			if (err != nil) != tc.wantErr {
				t.Fatalf("ValidateRequest() = %v, want error %v", err, tc.wantErr)
			}
			if got := errors.Is(err, ErrAccept); got != tc.wantAccept {
				t.Errorf("errors.Is(%v, ErrAccept) = %v, want %v", err, got, tc.wantAccept)
			}
		})
	}
}

func TestValidateResponse(t *testing.T) {
	s := mustLoad(t)
	seed200 := string(seed(t, "seed_create_response_200.json"))
	apiError := func(status int, code string) string {
		return `{"error":` + strconv.Itoa(status) + `,"errorCode":"` + code + `","reason":"` + http.StatusText(status) + `","detail":"x","parameters":[]}`
	}
	tests := []struct {
		name        string
		method, url string
		status      int
		ct, body    string
		wantErr     bool
	}{
		{name: "seed 200 as create response", method: "POST", url: streamsURL, status: 200, ct: v20230201, body: seed200},
		{name: "seed 200 as get response", method: "GET", url: streamsURL + "/string", status: 200, ct: v20230201 + "; charset=utf-8", body: seed200},
		{name: "seed 200 labelled with the requested version", method: "POST", url: streamsURL, status: 200, ct: v20250312, body: seed200},
		{name: "seed 200 as application/json", method: "POST", url: streamsURL, status: 200, ct: "application/json", body: seed200},
		{name: "seed 200 as text/html", method: "POST", url: streamsURL, status: 200, ct: "text/html", body: seed200, wantErr: true},
		{name: "seed 200 without Content-Type", method: "POST", url: streamsURL, status: 200, body: seed200, wantErr: true},
		{name: "unknown region in response", method: "POST", url: streamsURL, status: 200, ct: v20230201,
			body: strings.Replace(seed200, "SYDNEY_AUS", "MARS_1", 1), wantErr: true},
		{name: "hostnames not an array", method: "GET", url: streamsURL + "/x", status: 200, ct: v20230201,
			body: `{"name":"x","hostnames":"h"}`, wantErr: true},
		{name: "create answered with a list", method: "POST", url: streamsURL, status: 200, ct: v20230201,
			body: `[` + seed200 + `]`, wantErr: true},
		{name: "list", method: "GET", url: streamsURL, status: 200, ct: v20230201,
			body: `{"links":[],"results":[` + seed200 + `],"totalCount":1}`},
		{name: "list without results", method: "GET", url: streamsURL, status: 200, ct: v20230201, body: `{"totalCount":0}`, wantErr: true},
		{name: "enveloped list", method: "GET", url: streamsURL + "?envelope=true", status: 200, ct: v20230201,
			body: `{"results":[],"totalCount":0,"status":200}`},
		{name: "enveloped get", method: "GET", url: streamsURL + "/x?envelope=true", status: 200, ct: v20230201,
			body: `{"status":200,"content":` + seed200 + `}`},
		{name: "enveloped error", method: "GET", url: streamsURL + "/x?envelope=true", status: 404, ct: "application/json",
			body: `{"status":404,"content":` + apiError(404, "STREAM_TENANT_NOT_FOUND_FOR_NAME") + `}`},
		{name: "envelope status differs", method: "GET", url: streamsURL + "/x?envelope=true", status: 200, ct: v20230201,
			body: `{"status":201,"content":` + seed200 + `}`, wantErr: true},
		{name: "delete 202 empty", method: "DELETE", url: streamsURL + "/x", status: 202},
		{name: "delete 202 {}", method: "DELETE", url: streamsURL + "/x", status: 202, ct: v20230201, body: `{}`},
		{name: "undocumented success status", method: "DELETE", url: streamsURL + "/x", status: 204, wantErr: true},
		{name: "409 ApiError (undocumented status)", method: "POST", url: streamsURL, status: 409, ct: "application/json",
			body: apiError(409, "DUPLICATE_STREAM_TENANT")},
		{name: "409 not an ApiError", method: "POST", url: streamsURL, status: 409, ct: "application/json", body: `{"message":"dup"}`, wantErr: true},
		{name: "503 as HTML", method: "GET", url: streamsURL, status: 503, ct: "text/html", body: `<html>`, wantErr: true},
		{name: "429 with Retry-After", method: "GET", url: streamsURL, status: 429, ct: "application/json", body: apiError(429, "RATE_LIMITED")},
		{name: "401 without errorCode", method: "GET", url: streamsURL, status: 401, ct: "application/json", body: `{"error":401}`, wantErr: true},
		{name: "project users", method: "GET", url: "https://cloud.mongodb.com/api/atlas/v2/groups/" + groupID + "/users?username=ada%40example.com",
			status: 200, ct: "application/vnd.atlas.2025-02-19+json",
			body: `{"results":[{"id":"5f1a2b3c4d5e6f7a8b9c0d1e","username":"ada@example.com","orgMembershipStatus":"ACTIVE","roles":["GROUP_OWNER"],` +
				`"firstName":"Ada","lastName":"Lovelace","createdAt":"2024-01-02T03:04:05Z"}],"totalCount":1}`},
		{name: "project user missing roles", method: "GET", url: "https://cloud.mongodb.com/api/atlas/v2/groups/" + groupID + "/users",
			status: 200, ct: "application/vnd.atlas.2025-02-19+json",
			body: `{"results":[{"id":"5f1a2b3c4d5e6f7a8b9c0d1e","username":"ada@example.com","orgMembershipStatus":"ACTIVE",` +
				`"firstName":"Ada","lastName":"Lovelace","createdAt":"2024-01-02T03:04:05Z"}]}`, wantErr: true},
	}
	for _, code := range []string{"400", "401", "403", "404", "500"} {
		tests = append(tests, struct {
			name        string
			method, url string
			status      int
			ct, body    string
			wantErr     bool
		}{name: "seed " + code, method: "POST", url: streamsURL, status: mustAtoi(t, code), ct: "application/json", body: string(seed(t, "seed_error_"+code+".json"))})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			accept := v20250312
			if strings.Contains(tc.url, "/users") {
				accept = "application/vnd.atlas.2025-02-19+json"
			}
			r := newRequest(tc.method, tc.url, accept, "")
			h := http.Header{}
			if tc.ct != "" {
				h.Set("Content-Type", tc.ct)
			}
			err := s.ValidateResponse(r, tc.status, h, []byte(tc.body))
			if (err != nil) != tc.wantErr {
				t.Errorf("ValidateResponse() = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestResponseMediaType(t *testing.T) {
	s := mustLoad(t)
	users := "https://cloud.mongodb.com/api/atlas/v2/groups/" + groupID + "/users"
	tests := []struct {
		name, url, accept, want string
		wantErr                 bool
	}{
		{name: "streams with seed date", url: streamsURL, accept: v20250312, want: v20230201},
		{name: "streams with resource date", url: streamsURL, accept: v20230201, want: v20230201},
		{name: "users new version", url: users, accept: "application/vnd.atlas.2025-02-19+json", want: "application/vnd.atlas.2025-02-19+json"},
		{name: "users later date", url: users, accept: v20250312, want: "application/vnd.atlas.2025-02-19+json"},
		{name: "users older date", url: users, accept: "application/vnd.atlas.2024-05-30+json", want: "application/vnd.atlas.2023-01-01+json"},
		{name: "no Accept", url: users, wantErr: true},
		{name: "unknown path", url: "https://cloud.mongodb.com/api/atlas/v2/orgs", accept: v20250312, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ResponseMediaType(newRequest("GET", tc.url, tc.accept, ""))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("ResponseMediaType() = %q, %v, want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestOperation(t *testing.T) {
	s := mustLoad(t)
	op, err := s.Operation(newRequest("DELETE", streamsURL+"/orders-ws", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	if op.ID != "deleteGroupStreamWorkspace" || op.PathParams["groupId"] != groupID || op.PathParams["tenantName"] != "orders-ws" {
		t.Errorf("Operation() = %+v, want deleteGroupStreamWorkspace on %s/orders-ws", op, groupID)
	}
}

func TestAcceptVersion(t *testing.T) {
	tests := []struct {
		accept, want string
		wantErr      bool
	}{
		{accept: v20250312, want: "2025-03-12"},
		{accept: "application/vnd.atlas.2023-02-01+json; charset=utf-8", want: "2023-02-01"},
		{accept: "application/vnd.atlas.2099-12-31+json", want: "2099-12-31"},
		{accept: "", wantErr: true},
		{accept: "*/*", wantErr: true},
		{accept: "application/vnd.atlas.2023-01-01+json", wantErr: true},
		{accept: "application/vnd.atlas.2025-3-12+json", wantErr: true},
		{accept: "application/vnd.atlas.2025-13-01+json", wantErr: true},
		{accept: "application/vnd.atlas.latest+json", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.accept, func(t *testing.T) {
			h := http.Header{}
			if tc.accept != "" {
				h.Set("Accept", tc.accept)
			}
			got, err := AcceptVersion(h)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("AcceptVersion(%q) = %q, %v, want %q, error %v", tc.accept, got, err, tc.want, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrAccept) {
				t.Errorf("AcceptVersion(%q) error %v does not wrap ErrAccept", tc.accept, err)
			}
		})
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestViolations(t *testing.T) {
	s := mustLoad(t)
	seedBody := string(seed(t, "seed_create_request.json"))
	tests := []struct {
		name string
		url  string
		body string
		want []FieldViolation
	}{
		{name: "unknown region", url: streamsURL, body: strings.Replace(seedBody, "SYDNEY_AUS", "MARS_1", 1),
			want: []FieldViolation{{Field: "dataProcessRegion.region", Description: `value doesn't match any schema from "oneOf"`}}},
		{name: "unknown tier", url: streamsURL, body: `{"name":"a","streamConfig":{"tier":"SP7"}}`,
			want: []FieldViolation{{Field: "streamConfig.tier", Description: `value is not one of the allowed values ["SP50","SP30","SP10","SP5","SP2"]`}}},
		{name: "read-only field", url: streamsURL, body: `{"_id":"32b6e34b3d91647abb20e7b8","name":"a"}`,
			want: []FieldViolation{{Field: "_id", Description: `readOnly property "_id" in request`}}},
		{name: "whole body", url: streamsURL, body: `[]`,
			want: []FieldViolation{{Field: "body", Description: `value must be an object`}}},
		{name: "query parameter", url: streamsURL + "?pageNum=0",
			want: []FieldViolation{{Field: "pageNum", Description: "number must be at least 1"}}},
		{name: "not JSON", url: streamsURL, body: `{"name":`},
		{name: "valid", url: streamsURL, body: seedBody},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := "POST"
			if tc.body == "" {
				method = "GET"
			}
			err := s.ValidateRequest(newRequest(method, tc.url, v20250312, v20250312), []byte(tc.body))
			if diff := cmp.Diff(tc.want, Violations(err)); diff != "" {
				t.Errorf("Violations(%v) mismatch (-want +got):\n%s", err, diff)
			}
		})
	}
}
