package atlasroute

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Route's agreement with kin-openapi on every documented path, and the
// table's with the spec, are tested in atlasspec, which loads the spec.
func TestRoute(t *testing.T) {
	const g = "/api/atlas/v2/groups/32b6e34b3d91647abb20e7b8/streams"
	for _, tc := range []struct {
		method, path string
		wantID       string // "" for no route
		wantParams   map[string]string
	}{
		{"GET", g, "listGroupStreamWorkspaces", map[string]string{"groupId": "32b6e34b3d91647abb20e7b8"}},
		{"GET", g + "/", "listGroupStreamWorkspaces", map[string]string{"groupId": "32b6e34b3d91647abb20e7b8"}},
		{"PATCH", g + "/ws-1", "updateGroupStreamWorkspace", map[string]string{"groupId": "32b6e34b3d91647abb20e7b8", "tenantName": "ws-1"}},
		{"GET", g + "/ws-1/processor/p1", "getGroupStreamProcessor",
			map[string]string{"groupId": "32b6e34b3d91647abb20e7b8", "tenantName": "ws-1", "processorName": "p1"}},
		{"POST", g + "/ws-1/processor/p%3A1:startWith", "startGroupStreamProcessorWith",
			map[string]string{"groupId": "32b6e34b3d91647abb20e7b8", "tenantName": "ws-1", "processorName": "p:1"}},
		{"POST", g + "/ws-1/processor/p1/:start", "", nil}, // the routed form, spelled literally
		{"POST", g + "/ws-1/processor/p1:pause", "", nil},  // no such verb
		{"PUT", g + "/ws-1", "", nil},                      // no such method
		{"GET", g + "/ws-1/processors/extra", "", nil},     // no such path
		{"GET", g + "/a%2Fb", "", nil},                     // an escaped slash still splits
	} {
		op, params, err := Route(httptest.NewRequest(tc.method, "http://127.0.0.1"+tc.path, nil))
		if tc.wantID == "" {
			if !errors.Is(err, ErrNoRoute) {
				t.Errorf("Route(%s %s) = %s, %v; want ErrNoRoute", tc.method, tc.path, op.ID, err)
			}
			continue
		}
		if err != nil || op.ID != tc.wantID || !cmp.Equal(params, tc.wantParams) {
			t.Errorf("Route(%s %s) = %s %v, %v; want %s %v", tc.method, tc.path, op.ID, params, err, tc.wantID, tc.wantParams)
		}
	}
}

func TestResponseMediaType(t *testing.T) {
	const users = "/api/atlas/v2/groups/32b6e34b3d91647abb20e7b8/users"
	for _, tc := range []struct{ accept, want string }{
		{"application/vnd.atlas.2025-03-12+json", "application/vnd.atlas.2025-02-19+json"},
		{"application/vnd.atlas.2025-02-18+json", "application/vnd.atlas.2023-01-01+json"},
		{"application/json, application/vnd.atlas.2025-02-19+json;q=0.9", "application/vnd.atlas.2025-02-19+json"},
		{"application/vnd.atlas.2023-02-30+json", ""}, // no such day
		{"application/vnd.atlas.2022-12-31+json", ""}, // before MinVersion
		{"application/json", ""},
	} {
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+users, nil)
		r.Header.Set("Accept", tc.accept)
		got, err := ResponseMediaType(r)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("ResponseMediaType(Accept %q) = %q, %v; want %q", tc.accept, got, err, tc.want)
		}
		if tc.want == "" && !errors.Is(err, ErrAccept) {
			t.Errorf("ResponseMediaType(Accept %q) error %v does not wrap ErrAccept", tc.accept, err)
		}
	}
}
