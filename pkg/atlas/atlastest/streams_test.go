package atlastest

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/streambot/streambot/pkg/atlas"
)

var hostnamePattern = regexp.MustCompile(`^atlas-stream-[a-f0-9]{24}-[a-z0-9]{5}\.sydney-aus\.a\.query\.mongodb\.net$`)

func TestCreateSeedExample(t *testing.T) {
	e := setup(t)
	resp := e.api(req{method: "POST", path: "groups/" + groupID + "/streams", body: seedRequest})
	if resp.status != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200", resp.status, resp.body)
	}
	if ct := resp.header.Get("Content-Type"); ct != resourceType {
		t.Errorf("Content-Type = %q, want %q", ct, resourceType)
	}
	var got atlas.StreamWorkspace
	resp.decode(t, &got)
	if !regexp.MustCompile(`^[a-f0-9]{24}$`).MatchString(got.ID) {
		t.Errorf("_id = %q, want 24 hex digits", got.ID)
	}
	if len(got.Hostnames) != 1 || !hostnamePattern.MatchString(got.Hostnames[0]) || !strings.Contains(got.Hostnames[0], got.ID) {
		t.Errorf("hostnames = %q, want one like atlas-stream-<_id>-xxxxx.sydney-aus.a.query.mongodb.net", got.Hostnames)
	}
	self := []atlas.Link{{Href: e.srv.URL + "/api/atlas/v2/groups/" + groupID + "/streams/string", Rel: "self"}}
	want := atlas.StreamWorkspace{
		ID: got.ID, GroupID: groupID, Name: "string",
		DataProcessRegion: &atlas.DataProcessRegion{CloudProvider: "AWS", Region: "SYDNEY_AUS", Links: self},
		StreamConfig:      &atlas.StreamConfig{Tier: "SP30", MaxTierSize: "SP50", Links: self},
		SampleConnections: &atlas.SampleConnections{Solar: atlas.Ptr(false), Links: self},
		Hostnames:         got.Hostnames,
		Links:             self,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("create answer mismatch (-want +got):\n%s", diff)
	}
	stored, ok := e.srv.Workspace(groupID, "string")
	if !ok || stored.ID != got.ID || stored.Hostnames[0] != got.Hostnames[0] {
		t.Errorf("Workspace() = %+v, %v, want the created workspace", stored, ok)
	}
	if n := e.srv.Calls(OpCreateStream); n != 1 {
		t.Errorf("Calls(OpCreateStream) = %d, want 1", n)
	}
}

func TestCreateSampleConnection(t *testing.T) {
	e := setup(t)
	var got atlas.StreamWorkspace
	e.create("solar-ws", "AZURE", "eastus", true).decode(t, &got)
	want := []atlas.Connection{{Name: "sample_stream_solar", Type: "Sample", Links: []atlas.Link{{
		Href: e.srv.URL + "/api/atlas/v2/groups/" + groupID + "/streams/solar-ws/connections/sample_stream_solar", Rel: "self"}}}}
	if diff := cmp.Diff(want, got.Connections); diff != "" {
		t.Errorf("connections mismatch (-want +got):\n%s", diff)
	}
	if len(got.Hostnames) != 1 || !strings.HasSuffix(got.Hostnames[0], ".eastus.azure.a.query.mongodb.net") {
		t.Errorf("hostnames = %q, want an Azure eastus hostname", got.Hostnames)
	}
	// A plain GET omits connections; includeConnections=true shows them.
	for _, tc := range []struct {
		query string
		want  int
	}{{"", 0}, {"?includeConnections=true", 1}} {
		var ws atlas.StreamWorkspace
		e.api(req{method: "GET", path: "groups/" + groupID + "/streams/solar-ws" + tc.query}).decode(t, &ws)
		if len(ws.Connections) != tc.want {
			t.Errorf("GET%s: %d connections, want %d", tc.query, len(ws.Connections), tc.want)
		}
	}
}

func TestCreateDefaultsTier(t *testing.T) {
	e := setup(t)
	resp := e.api(req{method: "POST", path: "groups/" + groupID + "/streams",
		body: `{"name":"plain","dataProcessRegion":{"cloudProvider":"GCP","region":"US_CENTRAL1"}}`})
	var got atlas.StreamWorkspace
	resp.decode(t, &got)
	if got.StreamConfig == nil || got.StreamConfig.Tier != DefaultTier {
		t.Errorf("streamConfig = %+v, want tier %s", got.StreamConfig, DefaultTier)
	}
}

func TestCreateErrors(t *testing.T) {
	e := setup(t)
	e.create("taken", "AWS", "VIRGINIA_USA", false)
	streams := "groups/" + groupID + "/streams"
	body := func(name, provider, region, tier, maxTier string) string {
		return fmt.Sprintf(`{"name":%q,"dataProcessRegion":{"cloudProvider":%q,"region":%q},"streamConfig":{"tier":%q,"maxTierSize":%q}}`,
			name, provider, region, tier, maxTier)
	}
	tests := []struct {
		name       string
		path, body string
		wantStatus int
		wantCode   string
		wantField  string // the first badRequestDetail field, if any
	}{
		{name: "unknown region", path: streams, body: body("a", "AWS", "MARS_1", "SP10", "SP30"),
			wantStatus: 400, wantCode: CodeValidationError, wantField: "dataProcessRegion.region"},
		{name: "region of another provider", path: streams, body: body("a", "AWS", "eastus", "SP10", "SP30"),
			wantStatus: 400, wantCode: CodeValidationError, wantField: "dataProcessRegion.region"},
		{name: "provider without regions", path: streams, body: body("a", "TENANT", "eastus", "SP10", "SP30"),
			wantStatus: 400, wantCode: CodeValidationError, wantField: "dataProcessRegion.cloudProvider"},
		{name: "bad name", path: streams, body: body("no spaces", "AWS", "OHIO_USA", "SP10", "SP30"),
			wantStatus: 400, wantCode: CodeValidationError, wantField: "name"},
		{name: "name too long", path: streams, body: body(strings.Repeat("a", 65), "AWS", "OHIO_USA", "SP10", "SP30"),
			wantStatus: 400, wantCode: CodeValidationError, wantField: "name"},
		{name: "max tier below tier", path: streams, body: body("a", "AWS", "OHIO_USA", "SP30", "SP10"),
			wantStatus: 400, wantCode: CodeValidationError, wantField: "streamConfig.maxTierSize"},
		{name: "unknown tier", path: streams, body: body("a", "AWS", "OHIO_USA", "SP7", "SP10"),
			wantStatus: 400, wantCode: CodeValidationError, wantField: "streamConfig.tier"},
		{name: "no region", path: streams, body: `{"name":"a"}`,
			wantStatus: 400, wantCode: CodeValidationError, wantField: "dataProcessRegion"},
		{name: "read-only _id", path: streams, body: `{"_id":"6a1b2c3d4e5f6a7b8c9d0e1f","name":"a"}`,
			wantStatus: 400, wantCode: CodeValidationError, wantField: "_id"},
		{name: "not JSON", path: streams, body: `{"name":`, wantStatus: 400, wantCode: CodeValidationError},
		{name: "bad group ID", path: "groups/XYZ/streams", body: seedRequest,
			wantStatus: 400, wantCode: CodeValidationError, wantField: "groupId"},
		{name: "unknown project", path: "groups/" + otherGroupID + "/streams", body: seedRequest,
			wantStatus: 404, wantCode: CodeGroupNotFound},
		{name: "duplicate name", path: streams, body: body("taken", "AWS", "OHIO_USA", "SP10", "SP30"),
			wantStatus: 409, wantCode: CodeDuplicateName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.api(req{method: "POST", path: tc.path, body: tc.body})
			if resp.status != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", resp.status, resp.body, tc.wantStatus)
			}
			if ct := resp.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			got := resp.apiErr(t)
			if got.ErrorCode != tc.wantCode || got.Error != tc.wantStatus || got.Reason != http.StatusText(tc.wantStatus) || got.Detail == "" {
				t.Errorf("body = %s, want a %d %s ApiError with a detail", resp.body, tc.wantStatus, tc.wantCode)
			}
			var field string
			if got.BadRequestDetail != nil && len(got.BadRequestDetail.Fields) > 0 {
				field = got.BadRequestDetail.Fields[0].Field
				if !strings.Contains(got.Detail, field) {
					t.Errorf("detail %q does not name the field %q", got.Detail, field)
				}
			}
			if field != tc.wantField {
				t.Errorf("badRequestDetail field = %q, want %q (body %s)", field, tc.wantField, resp.body)
			}
		})
	}
	if n := e.srv.Workspaces(groupID); n != 1 {
		t.Errorf("Workspaces() = %d, want 1: no failed create may store anything", n)
	}
}

func TestGetUpdateDelete(t *testing.T) {
	e := setup(t)
	e.create("orders-ws", "AWS", "VIRGINIA_USA", false)
	path := "groups/" + groupID + "/streams/orders-ws"
	steps := []struct {
		name                string
		method, path, body  string
		wantStatus          int
		wantCode            string
		wantTier, wantRegio string
	}{
		{name: "get", method: "GET", path: path, wantStatus: 200, wantTier: "SP10", wantRegio: "VIRGINIA_USA"},
		{name: "get unknown", method: "GET", path: "groups/" + groupID + "/streams/nope", wantStatus: 404, wantCode: CodeWorkspaceNotFound},
		{name: "get in unknown project", method: "GET", path: "groups/" + otherGroupID + "/streams/orders-ws", wantStatus: 404, wantCode: CodeGroupNotFound},
		{name: "update tier and region", method: "PATCH", path: path, body: `{"region":"OHIO_USA","streamConfig":{"tier":"SP30"}}`,
			wantStatus: 200, wantTier: "SP30", wantRegio: "OHIO_USA"},
		{name: "update to unpaired region", method: "PATCH", path: path, body: `{"region":"westus"}`, wantStatus: 400, wantCode: CodeValidationError},
		{name: "update to unknown region", method: "PATCH", path: path, body: `{"region":"MARS_1"}`, wantStatus: 400, wantCode: CodeValidationError},
		{name: "update provider and region", method: "PATCH", path: path, body: `{"cloudProvider":"AZURE","region":"westus"}`,
			wantStatus: 200, wantTier: "SP30", wantRegio: "westus"},
		{name: "update unknown", method: "PATCH", path: "groups/" + groupID + "/streams/nope", body: `{"region":"OHIO_USA"}`, wantStatus: 404, wantCode: CodeWorkspaceNotFound},
		{name: "get after update", method: "GET", path: path, wantStatus: 200, wantTier: "SP30", wantRegio: "westus"},
		{name: "delete", method: "DELETE", path: path, wantStatus: 202},
		{name: "gone", method: "GET", path: path, wantStatus: 404, wantCode: CodeWorkspaceNotFound},
		{name: "delete again", method: "DELETE", path: path, wantStatus: 404, wantCode: CodeWorkspaceNotFound},
	}
	for _, st := range steps {
		resp := e.api(req{method: st.method, path: st.path, body: st.body})
		if resp.status != st.wantStatus {
			t.Fatalf("%s: status %d (%s), want %d", st.name, resp.status, resp.body, st.wantStatus)
		}
		if st.wantCode != "" {
			if got := resp.apiErr(t).ErrorCode; got != st.wantCode {
				t.Errorf("%s: errorCode %q, want %q", st.name, got, st.wantCode)
			}
		}
		if st.wantTier != "" {
			var ws atlas.StreamWorkspace
			resp.decode(t, &ws)
			if ws.StreamConfig.Tier != atlas.Tier(st.wantTier) || ws.DataProcessRegion.Region != st.wantRegio {
				t.Errorf("%s: tier %s region %s, want %s %s", st.name, ws.StreamConfig.Tier, ws.DataProcessRegion.Region, st.wantTier, st.wantRegio)
			}
		}
	}
	if _, ok := e.srv.Workspace(groupID, "orders-ws"); ok {
		t.Error("Workspace() found the deleted workspace")
	}
	// The name is free again.
	e.create("orders-ws", "AWS", "VIRGINIA_USA", false)
}

func TestDeleteDelay(t *testing.T) {
	clock := newFakeClock()
	e := setup(t, WithClock(clock.Now), WithDeleteDelay(30*time.Second))
	e.create("slow-ws", "AWS", "LONDON_GBR", false)
	path := "groups/" + groupID + "/streams/slow-ws"
	if resp := e.api(req{method: "DELETE", path: path}); resp.status != http.StatusAccepted {
		t.Fatalf("delete: status %d, want 202", resp.status)
	}
	if resp := e.api(req{method: "GET", path: path}); resp.status != http.StatusOK {
		t.Errorf("GET while deleting: status %d, want 200", resp.status)
	}
	if resp := e.api(req{method: "POST", path: "groups/" + groupID + "/streams",
		body: `{"name":"slow-ws","dataProcessRegion":{"cloudProvider":"AWS","region":"LONDON_GBR"}}`}); resp.status != http.StatusConflict {
		t.Errorf("create while deleting: status %d, want 409", resp.status)
	}
	if resp := e.api(req{method: "DELETE", path: path}); resp.status != http.StatusAccepted {
		t.Errorf("second delete while deleting: status %d, want 202", resp.status)
	}
	clock.Advance(30 * time.Second)
	if resp := e.api(req{method: "GET", path: path}); resp.status != http.StatusNotFound {
		t.Errorf("GET after the delay: status %d, want 404", resp.status)
	}
}

func TestHostnameDelay(t *testing.T) {
	e := setup(t, WithHostnameDelay(2))
	var created atlas.StreamWorkspace
	e.create("poll-ws", "AWS", "SYDNEY_AUS", false).decode(t, &created)
	if len(created.Hostnames) != 0 {
		t.Errorf("create answer hostnames = %q, want none yet", created.Hostnames)
	}
	var list listPage
	e.api(req{method: "GET", path: "groups/" + groupID + "/streams"}).decode(t, &list)
	if len(list.Results) != 1 || len(list.Results[0].Hostnames) != 0 {
		t.Errorf("list before the hostnames are ready = %+v, want one workspace without hostnames", list.Results)
	}
	for i, want := range []int{0, 0, 1, 1} {
		var ws atlas.StreamWorkspace
		e.api(req{method: "GET", path: "groups/" + groupID + "/streams/poll-ws"}).decode(t, &ws)
		if len(ws.Hostnames) != want {
			t.Errorf("GET %d: %d hostnames, want %d", i+1, len(ws.Hostnames), want)
		}
	}
	if ws, _ := e.srv.Workspace(groupID, "poll-ws"); len(ws.Hostnames) != 1 {
		t.Errorf("Workspace() hostnames = %q, want the assigned one", ws.Hostnames)
	}
}

type listPage struct {
	Results    []atlas.StreamWorkspace `json:"results"`
	TotalCount *int                    `json:"totalCount"`
	Links      []atlas.Link            `json:"links"`
	Status     *int                    `json:"status"`
}

func TestListPagination(t *testing.T) {
	e := setup(t)
	var names []string
	for i := range 5 {
		name := fmt.Sprintf("ws-%d", i)
		e.create(name, "AWS", "TOKYO_JPN", false)
		names = append(names, name)
	}
	// Follow the next links from the first page, as a client does.
	var got []string
	next := "groups/" + groupID + "/streams?itemsPerPage=2"
	pages := 0
	for next != "" {
		var page listPage
		e.api(req{method: "GET", path: next}).decode(t, &page)
		pages++
		if page.TotalCount == nil || *page.TotalCount != 5 {
			t.Errorf("page %d totalCount = %v, want 5", pages, page.TotalCount)
		}
		for _, ws := range page.Results {
			got = append(got, ws.Name)
		}
		next = ""
		for _, l := range page.Links {
			if l.Rel == "next" {
				next = strings.TrimPrefix(l.Href, e.srv.URL+"/api/atlas/v2/")
			}
		}
		if pages > 5 {
			t.Fatal("next links never end")
		}
	}
	if diff := cmp.Diff(names, got); diff != "" {
		t.Errorf("names across pages mismatch (-want +got):\n%s", diff)
	}
	if pages != 3 {
		t.Errorf("pages = %d, want 3", pages)
	}

	tests := []struct {
		name, query string
		wantNames   []string
		wantCount   bool
		wantRels    []string
	}{
		{name: "defaults", query: "", wantNames: names, wantCount: true, wantRels: []string{"self"}},
		{name: "middle page", query: "?itemsPerPage=2&pageNum=2", wantNames: names[2:4], wantCount: true, wantRels: []string{"self", "previous", "next"}},
		{name: "past the end", query: "?itemsPerPage=2&pageNum=9", wantNames: nil, wantCount: true, wantRels: []string{"self", "previous"}},
		{name: "far past the end", query: "?itemsPerPage=500&pageNum=4611686018427387904", wantCount: true, wantRels: []string{"self", "previous"}},
		{name: "without count", query: "?includeCount=false", wantNames: names, wantRels: []string{"self"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.api(req{method: "GET", path: "groups/" + groupID + "/streams" + tc.query})
			var page listPage
			resp.decode(t, &page)
			var gotNames, rels []string
			for _, ws := range page.Results {
				gotNames = append(gotNames, ws.Name)
				if len(ws.Connections) != 0 || ws.GroupID != groupID {
					t.Errorf("list result %+v, want groupId and no connections", ws)
				}
			}
			for _, l := range page.Links {
				rels = append(rels, l.Rel)
			}
			if diff := cmp.Diff(tc.wantNames, gotNames, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("names mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRels, rels); diff != "" {
				t.Errorf("link rels mismatch (-want +got):\n%s", diff)
			}
			if (page.TotalCount != nil) != tc.wantCount {
				t.Errorf("totalCount = %v, want present %v", page.TotalCount, tc.wantCount)
			}
			if !strings.Contains(string(resp.body), `"results":[`) {
				t.Errorf("body %s has no results array", resp.body)
			}
		})
	}
}

func TestListErrors(t *testing.T) {
	e := setup(t)
	tests := []struct {
		name, path string
		wantStatus int
		wantCode   string
	}{
		{name: "unknown project", path: "groups/" + otherGroupID + "/streams", wantStatus: 404, wantCode: CodeGroupNotFound},
		{name: "page 0", path: "groups/" + groupID + "/streams?pageNum=0", wantStatus: 400, wantCode: CodeValidationError},
		{name: "too many per page", path: "groups/" + groupID + "/streams?itemsPerPage=501", wantStatus: 400, wantCode: CodeValidationError},
		{name: "page beyond int64", path: "groups/" + groupID + "/streams?pageNum=99999999999999999999", wantStatus: 400, wantCode: CodeValidationError},
		{name: "unknown path", path: "groups/" + groupID + "/clusters", wantStatus: 404, wantCode: CodeResourceNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.api(req{method: "GET", path: tc.path, noCheck: tc.wantCode == CodeResourceNotFound})
			if resp.status != tc.wantStatus || resp.apiErr(t).ErrorCode != tc.wantCode {
				t.Errorf("status %d body %s, want %d %s", resp.status, resp.body, tc.wantStatus, tc.wantCode)
			}
		})
	}
	r, err := http.NewRequest(http.MethodGet, e.srv.URL+"/elsewhere", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp := e.send(r, false); resp.status != http.StatusNotFound {
		t.Errorf("GET /elsewhere: status %d, want 404", resp.status)
	}
}

func TestAcceptHeader(t *testing.T) {
	e := setup(t)
	e.create("v-ws", "AWS", "PARIS_FRA", false)
	tests := []struct {
		accept     string
		wantStatus int
	}{
		{accept: "application/vnd.atlas.2023-02-01+json", wantStatus: 200},
		{accept: "application/vnd.atlas.2025-03-12+json", wantStatus: 200},
		{accept: "application/vnd.atlas.2099-01-01+json", wantStatus: 200},
		{accept: "application/json, application/vnd.atlas.2024-08-05+json", wantStatus: 200},
		{accept: "", wantStatus: 406},
		{accept: "application/json", wantStatus: 406},
		{accept: "*/*", wantStatus: 406},
		{accept: "application/vnd.atlas.2023-01-01+json", wantStatus: 406},
		{accept: "application/vnd.atlas.2025-02-30+json", wantStatus: 406},
		{accept: "application/vnd.atlas.20250312+json", wantStatus: 406},
	}
	for _, tc := range tests {
		t.Run(tc.accept, func(t *testing.T) {
			resp := e.api(req{method: "GET", path: "groups/" + groupID + "/streams/v-ws", header: map[string]string{"Accept": tc.accept}})
			if resp.status != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", resp.status, resp.body, tc.wantStatus)
			}
			if tc.wantStatus == 406 {
				if got := resp.apiErr(t); got.ErrorCode != CodeInvalidAcceptHeader || got.Reason != "Not Acceptable" {
					t.Errorf("body = %s, want a 406 %s ApiError", resp.body, CodeInvalidAcceptHeader)
				}
				return
			}
			if ct := resp.header.Get("Content-Type"); ct != resourceType {
				t.Errorf("Content-Type = %q, want the resource version %q", ct, resourceType)
			}
		})
	}
}

func TestEnvelopeAndPretty(t *testing.T) {
	e := setup(t)
	e.create("env-ws", "AWS", "DUBLIN_IRL", false)
	streams := "groups/" + groupID + "/streams"
	tests := []struct {
		name, method, path string
		wantStatus         int
		wantBody           string // compact JSON with "X" for the workspace, or a prefix check
		check              func(t *testing.T, body []byte)
	}{
		{name: "get", method: "GET", path: streams + "/env-ws?envelope=true", wantStatus: 200, check: func(t *testing.T, body []byte) {
			var env struct {
				Status  int                   `json:"status"`
				Content atlas.StreamWorkspace `json:"content"`
			}
			mustUnmarshal(t, body, &env)
			if env.Status != 200 || env.Content.Name != "env-ws" {
				t.Errorf("envelope = %+v, want status 200 and the workspace", env)
			}
		}},
		{name: "list", method: "GET", path: streams + "?envelope=true", wantStatus: 200, check: func(t *testing.T, body []byte) {
			var page listPage
			mustUnmarshal(t, body, &page)
			if page.Status == nil || *page.Status != 200 || len(page.Results) != 1 {
				t.Errorf("list envelope = %s, want status 200 beside one result", body)
			}
		}},
		{name: "error", method: "GET", path: streams + "/nope?envelope=true", wantStatus: 404, check: func(t *testing.T, body []byte) {
			var env struct {
				Status  int      `json:"status"`
				Content apiError `json:"content"`
			}
			mustUnmarshal(t, body, &env)
			if env.Status != 404 || env.Content.ErrorCode != CodeWorkspaceNotFound {
				t.Errorf("error envelope = %s, want status 404 around the ApiError", body)
			}
		}},
		{name: "delete", method: "DELETE", path: streams + "/env-ws?envelope=true&pretty=true", wantStatus: 202, check: func(t *testing.T, body []byte) {
			if got := compact(t, string(body)); got != `{"content":{},"status":202}` {
				t.Errorf("delete envelope = %s", got)
			}
		}},
		{name: "pretty", method: "GET", path: streams + "?pretty=true", wantStatus: 200, check: func(t *testing.T, body []byte) {
			if !strings.HasPrefix(string(body), "{\n  \"") {
				t.Errorf("pretty body = %.40q, want indented JSON", body)
			}
		}},
		{name: "not pretty", method: "GET", path: streams, wantStatus: 200, check: func(t *testing.T, body []byte) {
			if strings.Contains(string(body), "\n") {
				t.Errorf("body = %.40q, want compact JSON", body)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.api(req{method: tc.method, path: tc.path})
			if resp.status != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", resp.status, resp.body, tc.wantStatus)
			}
			tc.check(t, resp.body)
		})
	}
}

func TestConcurrentCreates(t *testing.T) {
	e := setup(t)
	const n = 8
	statuses := make([]int, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Half race for one name, half create distinct ones.
			statuses[i] = e.api(req{method: "POST", path: "groups/" + groupID + "/streams",
				body: `{"name":"same","dataProcessRegion":{"cloudProvider":"AWS","region":"OREGON_USA"}}`}).status
			statuses[n+i] = e.api(req{method: "POST", path: "groups/" + groupID + "/streams",
				body: fmt.Sprintf(`{"name":"own-%d","dataProcessRegion":{"cloudProvider":"AWS","region":"OREGON_USA"}}`, i)}).status
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses[:n] {
		count[s]++
	}
	if count[200] != 1 || count[409] != n-1 {
		t.Errorf("statuses for one name = %v, want one 200 and %d 409", count, n-1)
	}
	if got := e.srv.Workspaces(groupID); got != n+1 {
		t.Errorf("Workspaces() = %d, want %d", got, n+1)
	}
	if got := e.srv.Calls(OpCreateStream); got != 2*n {
		t.Errorf("Calls(OpCreateStream) = %d, want %d", got, 2*n)
	}
}

func TestLatency(t *testing.T) {
	e := setup(t, WithLatency(time.Millisecond))
	if resp := e.api(req{method: "GET", path: "groups/" + groupID + "/streams"}); resp.status != http.StatusOK {
		t.Errorf("status with latency = %d, want 200", resp.status)
	}
}
