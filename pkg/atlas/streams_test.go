package atlas

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// seedWorkspace is the seed's example request as a StreamWorkspace.
func seedWorkspace() *StreamWorkspace {
	return &StreamWorkspace{
		Name:              "string",
		DataProcessRegion: &DataProcessRegion{CloudProvider: ProviderAWS, Region: "SYDNEY_AUS"},
		SampleConnections: &SampleConnections{Solar: Ptr(false)},
		StreamConfig:      &StreamConfig{Tier: TierSP30, MaxTierSize: TierSP50},
	}
}

// seedResponse is the seed's 200 response, field by field.
func seedResponse() *StreamWorkspace {
	self := []Link{{Href: "https://cloud.mongodb.com/api/atlas", Rel: "self"}}
	return &StreamWorkspace{
		ID:      "32b6e34b3d91647abb20e7b8",
		GroupID: "32b6e34b3d91647abb20e7b8",
		Name:    "string",
		DataProcessRegion: &DataProcessRegion{
			CloudProvider: ProviderAWS, Region: "SYDNEY_AUS", Links: self,
		},
		StreamConfig:      &StreamConfig{Tier: TierSP30, MaxTierSize: TierSP50, Links: self},
		SampleConnections: &SampleConnections{Solar: Ptr(false), Links: self},
		Hostnames:         []string{"string"},
		Connections:       []Connection{{Name: "string", Type: "Sample", Links: self}},
		Links:             self,
	}
}

func TestCreateStreamWorkspace_seed(t *testing.T) {
	c, mux, _ := setup(t)
	wantBody := readFile(t, "seed_create_request.json")
	var wire []byte
	mux.HandleFunc("/api/atlas/v2/groups/{groupId}/streams", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPost)
		testHeader(t, r, "Accept", "application/vnd.atlas.2025-03-12+json")
		testHeader(t, r, "Content-Type", "application/vnd.atlas.2025-03-12+json")
		testHeader(t, r, "User-Agent", DefaultUserAgent)
		testQuery(t, r, url.Values{})
		wire = testJSONBody(t, r, wantBody)
		writeJSON(w, r, http.StatusOK, readFile(t, "seed_create_response_200.json"))
	})

	got, err := c.CreateStreamWorkspace(context.Background(), testGroupID, seedWorkspace())
	if err != nil {
		t.Fatalf("CreateStreamWorkspace: %v", err)
	}
	if diff := cmp.Diff(seedResponse(), got); diff != "" {
		t.Errorf("CreateStreamWorkspace mismatch (-want +got):\n%s", diff)
	}
	checkGolden(t, "create_request.golden", wire)

	// PreviewCreate shows the very bytes that went on the wire.
	method, path, body, err := PreviewCreate(testGroupID, seedWorkspace())
	if err != nil {
		t.Fatal(err)
	}
	if method != http.MethodPost || path != "/api/atlas/v2/groups/"+testGroupID+"/streams" {
		t.Errorf("PreviewCreate = %s %s, want POST /api/atlas/v2/groups/%s/streams", method, path, testGroupID)
	}
	if diff := cmp.Diff(string(wire), string(body)); diff != "" {
		t.Errorf("PreviewCreate body differs from the wire (-wire +preview):\n%s", diff)
	}
}

func TestSeedResponse_roundTrips(t *testing.T) {
	raw := readFile(t, "seed_create_response_200.json")
	var w StreamWorkspace
	if err := json.Unmarshal([]byte(raw), &w); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(&w)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	json.Unmarshal([]byte(raw), &want)
	json.Unmarshal(again, &got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seed 200 response does not round-trip (-seed +re-encoded):\n%s", diff)
	}
}

func TestPreviewCreate(t *testing.T) {
	// Atlas-assigned fields of a workspace read back from Atlas are not sent.
	w := seedResponse()
	_, _, body, err := PreviewCreate(testGroupID, w)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(body), `{"name":"string","dataProcessRegion":{"cloudProvider":"AWS","region":"SYDNEY_AUS"},"streamConfig":{"tier":"SP30","maxTierSize":"SP50"},"sampleConnections":{"solar":false}}`; got != want {
		t.Errorf("PreviewCreate body = %s, want %s", got, want)
	}
	// Minimal: no sample connections, no max tier.
	_, _, body, err = PreviewCreate(testGroupID, &StreamWorkspace{Name: "ws-1",
		DataProcessRegion: &DataProcessRegion{CloudProvider: ProviderGCP, Region: "US_EAST4"},
		StreamConfig:      &StreamConfig{Tier: TierSP10}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(body), `{"name":"ws-1","dataProcessRegion":{"cloudProvider":"GCP","region":"US_EAST4"},"streamConfig":{"tier":"SP10"}}`; got != want {
		t.Errorf("PreviewCreate body = %s, want %s", got, want)
	}
	if _, _, _, err := PreviewCreate("nope", seedWorkspace()); !errors.Is(err, ErrInvalid) {
		t.Errorf("PreviewCreate(bad group) error = %v, want ErrInvalid", err)
	}
}

func TestSeedErrors(t *testing.T) {
	tests := []struct {
		file string
		want APIError
	}{
		{"seed_error_400.json", APIError{StatusCode: 400, ErrorCode: "VALIDATION_ERROR", Reason: "Bad Request",
			Detail: "(This is just an example, the exception may not be related to this endpoint) No provider AWS exists."}},
		{"seed_error_401.json", APIError{StatusCode: 401, ErrorCode: "NOT_ORG_GROUP_CREATOR", Reason: "Unauthorized",
			Detail: "(This is just an example, the exception may not be related to this endpoint)"}},
		{"seed_error_403.json", APIError{StatusCode: 403, ErrorCode: "CANNOT_CHANGE_GROUP_NAME", Reason: "Forbidden",
			Detail: "(This is just an example, the exception may not be related to this endpoint)"}},
		{"seed_error_404.json", APIError{StatusCode: 404, ErrorCode: "RESOURCE_NOT_FOUND", Reason: "Not Found",
			Detail: "(This is just an example, the exception may not be related to this endpoint) Cannot find resource AWS"}},
		{"seed_error_500.json", APIError{StatusCode: 500, ErrorCode: "UNEXPECTED_ERROR", Reason: "Internal Server Error",
			Detail: "(This is just an example, the exception may not be related to this endpoint)"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			c, mux, _ := setup(t)
			calls := 0
			mux.HandleFunc("POST /api/atlas/v2/groups/{groupId}/streams", func(w http.ResponseWriter, r *http.Request) {
				calls++
				writeError(w, tc.want.StatusCode, readFile(t, tc.file))
			})
			got, err := c.CreateStreamWorkspace(context.Background(), testGroupID, seedWorkspace())
			if got != nil {
				t.Errorf("CreateStreamWorkspace returned %+v with an error", got)
			}
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("CreateStreamWorkspace error = %v, want *APIError", err)
			}
			want := tc.want
			want.Method, want.Path = http.MethodPost, "groups/"+testGroupID+"/streams"
			if diff := cmp.Diff(&want, ae); diff != "" {
				t.Errorf("APIError mismatch (-want +got):\n%s", diff)
			}
			if !IsErrorCode(err, tc.want.ErrorCode) || IsErrorCode(err, "OTHER") {
				t.Errorf("IsErrorCode(err, %q) wrong", tc.want.ErrorCode)
			}
			if !IsStatus(err, tc.want.StatusCode) || IsStatus(err, 418) {
				t.Errorf("IsStatus(err, %d) wrong", tc.want.StatusCode)
			}
			if got, want := errors.Is(err, ErrNotFound), tc.want.StatusCode == 404; got != want {
				t.Errorf("errors.Is(err, ErrNotFound) = %v, want %v", got, want)
			}
			if calls != 1 {
				t.Errorf("server saw %d creates, want 1 (a POST is not repeated after %d)", calls, tc.want.StatusCode)
			}
		})
	}
}

func TestAPIError_badRequestDetail(t *testing.T) {
	c, mux, ts := setup(t)
	// The spec types parameters as objects; Atlas sends scalars (DESIGN.md).
	ts.offSpec.Store(true)
	mux.HandleFunc("POST /api/atlas/v2/groups/{groupId}/streams", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, 400, `{"error":400,"errorCode":"INVALID_ATTRIBUTE","reason":"Bad Request","detail":"Invalid attribute tier specified.",
			"parameters":["tier",3,true],"badRequestDetail":{"fields":[{"field":"streamConfig.tier","description":"must be one of SP2..SP50"}]}}`)
	})
	_, err := c.CreateStreamWorkspace(context.Background(), testGroupID, seedWorkspace())
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want *APIError", err)
	}
	if diff := cmp.Diff([]any{"tier", float64(3), true}, ae.Parameters); diff != "" {
		t.Errorf("Parameters mismatch (-want +got):\n%s", diff)
	}
	want := &BadRequestDetail{Fields: []FieldViolation{{Field: "streamConfig.tier", Description: "must be one of SP2..SP50"}}}
	if diff := cmp.Diff(want, ae.BadRequestDetail); diff != "" {
		t.Errorf("BadRequestDetail mismatch (-want +got):\n%s", diff)
	}
}

func TestGetStreamWorkspace(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/api/atlas/v2/groups/{groupId}/streams/{name}", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		testHeader(t, r, "Accept", "application/vnd.atlas.2025-03-12+json")
		testHeader(t, r, "Content-Type", "")
		if r.PathValue("groupId") != testGroupID || r.PathValue("name") != "string" {
			t.Errorf("path = %s", r.URL.Path)
		}
		writeJSON(w, r, 200, readFile(t, "seed_create_response_200.json"))
	})
	got, err := c.GetStreamWorkspace(context.Background(), testGroupID, "string")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(seedResponse(), got); diff != "" {
		t.Errorf("GetStreamWorkspace mismatch (-want +got):\n%s", diff)
	}
}

func TestGetStreamWorkspace_notFound(t *testing.T) {
	c, mux, ts := setup(t)
	ts.offSpec.Store(true) // scalar parameters, as Atlas sends them
	mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/streams/{name}", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, 404, `{"error":404,"errorCode":"STREAM_TENANT_NOT_FOUND_FOR_NAME","reason":"Not Found","detail":"No stream workspace named nope.","parameters":["nope"]}`)
	})
	_, err := c.GetStreamWorkspace(context.Background(), testGroupID, "nope")
	if !errors.Is(err, ErrNotFound) || !IsErrorCode(err, "STREAM_TENANT_NOT_FOUND_FOR_NAME") {
		t.Errorf("GetStreamWorkspace error = %v, want ErrNotFound with its code", err)
	}
}

func TestDeleteStreamWorkspace(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/api/atlas/v2/groups/{groupId}/streams/{name}", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodDelete)
		testHeader(t, r, "Accept", "application/vnd.atlas.2025-03-12+json")
		if r.PathValue("groupId") != testGroupID || r.PathValue("name") != "orders-ws" {
			t.Errorf("path = %s", r.URL.Path)
		}
		w.Header().Set("Content-Type", r.Header.Get("Accept"))
		w.WriteHeader(http.StatusAccepted)
	})
	if err := c.DeleteStreamWorkspace(context.Background(), testGroupID, "orders-ws"); err != nil {
		t.Errorf("DeleteStreamWorkspace: %v", err)
	}
}

func TestEnvelopeAndPretty(t *testing.T) {
	seed := readFile(t, "seed_create_response_200.json")
	tests := []struct {
		name    string
		opts    []CallOption
		query   url.Values
		respond string
	}{
		{"plain", nil, url.Values{}, seed},
		{"pretty", []CallOption{WithPretty()}, url.Values{"pretty": {"true"}}, seed},
		{"envelope", []CallOption{WithEnvelope()}, url.Values{"envelope": {"true"}}, `{"status":200,"content":` + seed + `}`},
		{"both", []CallOption{WithEnvelope(), WithPretty(), nil}, url.Values{"envelope": {"true"}, "pretty": {"true"}}, `{"status":200,"content":` + seed + `}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, mux, _ := setup(t)
			mux.HandleFunc("/api/atlas/v2/groups/{groupId}/streams", func(w http.ResponseWriter, r *http.Request) {
				testQuery(t, r, tc.query)
				writeJSON(w, r, 200, tc.respond)
			})
			mux.HandleFunc("/api/atlas/v2/groups/{groupId}/streams/{name}", func(w http.ResponseWriter, r *http.Request) {
				testQuery(t, r, tc.query)
				if r.Method == http.MethodDelete {
					body := ""
					if r.URL.Query().Get("envelope") == "true" {
						body = `{"status":202,"content":{}}`
					}
					writeJSON(w, r, 202, body)
					return
				}
				writeJSON(w, r, 200, tc.respond)
			})
			ctx := context.Background()
			got, err := c.CreateStreamWorkspace(ctx, testGroupID, seedWorkspace(), tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(seedResponse(), got); diff != "" {
				t.Errorf("CreateStreamWorkspace mismatch (-want +got):\n%s", diff)
			}
			got, err = c.GetStreamWorkspace(ctx, testGroupID, "string", tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(seedResponse(), got); diff != "" {
				t.Errorf("GetStreamWorkspace mismatch (-want +got):\n%s", diff)
			}
			if err := c.DeleteStreamWorkspace(ctx, testGroupID, "string", tc.opts...); err != nil {
				t.Errorf("DeleteStreamWorkspace: %v", err)
			}
		})
	}
}

func TestEnvelope_list(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/streams", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, url.Values{"envelope": {"true"}, "pageNum": {"2"}, "itemsPerPage": {"1"}})
		writeJSON(w, r, 200, `{"status":200,"results":[{"name":"a","groupId":"`+testGroupID+`"}],"totalCount":3,
			"links":[{"href":"https://cloud.mongodb.com/api/atlas/v2/groups/x/streams?pageNum=3","rel":"next"}]}`)
	})
	page, err := c.ListStreamWorkspaces(context.Background(), testGroupID, &ListOptions{PageNum: 2, ItemsPerPage: 1}, WithEnvelope())
	if err != nil {
		t.Fatal(err)
	}
	want := &StreamWorkspacePage{
		Results:    []StreamWorkspace{{Name: "a", GroupID: testGroupID}},
		TotalCount: 3,
		Links:      []Link{{Href: "https://cloud.mongodb.com/api/atlas/v2/groups/x/streams?pageNum=3", Rel: "next"}},
	}
	if diff := cmp.Diff(want, page); diff != "" {
		t.Errorf("ListStreamWorkspaces mismatch (-want +got):\n%s", diff)
	}
}

func TestEnvelope_error(t *testing.T) {
	body404 := `{"error":404,"errorCode":"RESOURCE_NOT_FOUND","reason":"Not Found","detail":"Cannot find resource orders."}`
	tests := []struct {
		name       string
		httpStatus int
		body       string
		offSpec    bool
	}{
		// Atlas keeps the HTTP status and wraps the ApiError.
		{"status kept", 404, `{"status":404,"content":` + body404 + `}`, false},
		// A client that cannot see statuses may get 200 with the real status inside.
		{"status only in envelope", 200, `{"status":404,"content":` + body404 + `}`, true},
		// An error that arrives unwrapped is still read.
		{"not wrapped", 404, body404, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, mux, ts := setup(t)
			ts.offSpec.Store(tc.offSpec)
			mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/streams/{name}", func(w http.ResponseWriter, r *http.Request) {
				if tc.httpStatus == 200 {
					writeJSON(w, r, 200, tc.body)
					return
				}
				writeError(w, tc.httpStatus, tc.body)
			})
			_, err := c.GetStreamWorkspace(context.Background(), testGroupID, "orders", WithEnvelope())
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error = %v, want *APIError", err)
			}
			want := &APIError{StatusCode: 404, ErrorCode: "RESOURCE_NOT_FOUND", Reason: "Not Found", Detail: "Cannot find resource orders.",
				Method: "GET", Path: "groups/" + testGroupID + "/streams/orders"}
			if diff := cmp.Diff(want, ae); diff != "" {
				t.Errorf("APIError mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListStreamWorkspaces_options(t *testing.T) {
	tests := []struct {
		name string
		lo   *ListOptions
		want url.Values
	}{
		{"nil", nil, url.Values{}},
		{"zero", &ListOptions{}, url.Values{}},
		{"page", &ListOptions{PageNum: 3, ItemsPerPage: 500}, url.Values{"pageNum": {"3"}, "itemsPerPage": {"500"}}},
		{"count", &ListOptions{ItemsPerPage: 1, IncludeCount: true}, url.Values{"itemsPerPage": {"1"}, "includeCount": {"true"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, mux, _ := setup(t)
			mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/streams", func(w http.ResponseWriter, r *http.Request) {
				testQuery(t, r, tc.want)
				writeJSON(w, r, 200, `{"results":[],"totalCount":0}`)
			})
			page, err := c.ListStreamWorkspaces(context.Background(), testGroupID, tc.lo)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Results) != 0 {
				t.Errorf("Results = %v, want none", page.Results)
			}
		})
	}
}

// pagedStreams serves n workspaces in pages, with "next" links when links is set.
func pagedStreams(t *testing.T, n int, links bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		pageNum, _ := strconv.Atoi(q.Get("pageNum"))
		per, _ := strconv.Atoi(q.Get("itemsPerPage"))
		if pageNum < 1 || per < 1 {
			t.Errorf("query %q lacks pageNum or itemsPerPage", r.URL.RawQuery)
			return
		}
		var results []string
		for i := (pageNum - 1) * per; i < min(pageNum*per, n); i++ {
			results = append(results, fmt.Sprintf(`{"name":"ws-%d"}`, i))
		}
		var ls []string
		if links {
			ls = append(ls, `{"href":"x","rel":"self"}`)
			if pageNum*per < n {
				ls = append(ls, fmt.Sprintf(`{"href":"x?pageNum=%d","rel":"next"}`, pageNum+1))
			}
		}
		writeJSON(w, r, 200, fmt.Sprintf(`{"results":[%s],"totalCount":%d,"links":[%s]}`,
			strings.Join(results, ","), n, strings.Join(ls, ",")))
	}
}

func TestAllStreamWorkspaces(t *testing.T) {
	tests := []struct {
		name      string
		n         int
		links     bool
		wantPages int32
	}{
		{"empty", 0, true, 1},
		{"one short page", 3, true, 1},
		{"exactly one page", 500, true, 1}, // no next link
		{"three pages with links", 1001, true, 3},
		{"three pages without links", 1001, false, 3},
		{"full pages, count reached", 1000, false, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, mux, ts := setup(t)
			mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/streams", pagedStreams(t, tc.n, tc.links))
			got, err := c.AllStreamWorkspaces(context.Background(), testGroupID)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.n {
				t.Fatalf("AllStreamWorkspaces returned %d workspaces, want %d", len(got), tc.n)
			}
			for i, w := range got {
				if want := fmt.Sprintf("ws-%d", i); w.Name != want {
					t.Fatalf("workspace %d = %q, want %q", i, w.Name, want)
				}
			}
			if got := ts.apiCalls.Load(); got != tc.wantPages {
				t.Errorf("pages fetched = %d, want %d", got, tc.wantPages)
			}
		})
	}
}

func TestAllStreamWorkspaces_error(t *testing.T) {
	c, mux, _ := setup(t, WithMaxAttempts(1))
	mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/streams", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, 403, readFile(t, "seed_error_403.json"))
	})
	got, err := c.AllStreamWorkspaces(context.Background(), testGroupID)
	if got != nil || !IsStatus(err, 403) {
		t.Errorf("AllStreamWorkspaces = %v, %v; want nil and a 403 APIError", got, err)
	}
}

// TestValidationBeforeRequest checks that no call sends anything, not even
// a token request, when its input is invalid.
func TestValidationBeforeRequest(t *testing.T) {
	ctx := context.Background()
	bad := seedWorkspace()
	bad.DataProcessRegion.Region = "eastus" // an Azure region on AWS
	tests := []struct {
		name string
		call func(c *Client) error
	}{
		{"create: bad group", func(c *Client) error {
			_, err := c.CreateStreamWorkspace(ctx, "32B6E34B3D91647ABB20E7B8", seedWorkspace())
			return err
		}},
		{"create: nil workspace", func(c *Client) error { _, err := c.CreateStreamWorkspace(ctx, testGroupID, nil); return err }},
		{"create: region of another provider", func(c *Client) error { _, err := c.CreateStreamWorkspace(ctx, testGroupID, bad); return err }},
		{"create: name with slash", func(c *Client) error {
			w := seedWorkspace()
			w.Name = "../other"
			_, err := c.CreateStreamWorkspace(ctx, testGroupID, w)
			return err
		}},
		{"get: bad group", func(c *Client) error { _, err := c.GetStreamWorkspace(ctx, "../../x", "a"); return err }},
		{"get: bad name", func(c *Client) error { _, err := c.GetStreamWorkspace(ctx, testGroupID, "a/b"); return err }},
		{"get: empty name", func(c *Client) error { _, err := c.GetStreamWorkspace(ctx, testGroupID, ""); return err }},
		{"delete: bad name", func(c *Client) error { return c.DeleteStreamWorkspace(ctx, testGroupID, "a?b") }},
		{"delete: bad group", func(c *Client) error { return c.DeleteStreamWorkspace(ctx, "", "a") }},
		{"list: bad group", func(c *Client) error { _, err := c.ListStreamWorkspaces(ctx, "x", nil); return err }},
		{"list: negative page", func(c *Client) error {
			_, err := c.ListStreamWorkspaces(ctx, testGroupID, &ListOptions{PageNum: -1})
			return err
		}},
		{"list: page too big", func(c *Client) error {
			_, err := c.ListStreamWorkspaces(ctx, testGroupID, &ListOptions{ItemsPerPage: 501})
			return err
		}},
		{"all: bad group", func(c *Client) error { _, err := c.AllStreamWorkspaces(ctx, "x"); return err }},
		{"user: bad group", func(c *Client) error { _, err := c.ProjectUser(ctx, "x", "a@example.com"); return err }},
		{"user: not an email", func(c *Client) error { _, err := c.ProjectUser(ctx, testGroupID, "alice"); return err }},
		{"user: empty", func(c *Client) error { _, err := c.ProjectUser(ctx, testGroupID, ""); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _, ts := setup(t)
			err := tc.call(c)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error = %v, want ErrInvalid", err)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("error = %v, want a *ValidationError", err)
			}
			if n, m := ts.tokenCalls.Load(), ts.apiCalls.Load(); n+m != 0 {
				t.Errorf("sent %d token and %d API requests, want none", n, m)
			}
		})
	}
}

func TestDo_malformedSuccessBody(t *testing.T) {
	c, mux, ts := setup(t)
	ts.offSpec.Store(true)
	mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/streams/{name}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, r, 200, `{"name": "trunc`)
	})
	_, err := c.GetStreamWorkspace(context.Background(), testGroupID, "a")
	var ae *APIError
	if err == nil || errors.As(err, &ae) {
		t.Errorf("error = %v, want a decode error that is not an APIError", err)
	}
	if got := ts.apiCalls.Load(); got != 1 {
		t.Errorf("attempts = %d, want 1: a 200 is not retried", got)
	}
}
