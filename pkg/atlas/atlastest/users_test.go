package atlastest

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestProjectUsers(t *testing.T) {
	e := setup(t)
	e.srv.AddProjectUser(groupID, "ada.lovelace@example.com", "GROUP_OWNER", "GROUP_STREAM_PROCESSING_OWNER")
	e.srv.AddProjectUser(groupID, "grace@example.com", "GROUP_READ_ONLY")
	e.srv.AddProjectUser(otherGroupID, "ada.lovelace@example.com", "GROUP_READ_ONLY")
	const v20250219 = "application/vnd.atlas.2025-02-19+json"
	users := "groups/" + groupID + "/users"
	type result struct {
		Username            string   `json:"username"`
		Roles               []string `json:"roles"`
		OrgMembershipStatus string   `json:"orgMembershipStatus"`
		FirstName           string   `json:"firstName"`
		LastName            string   `json:"lastName"`
	}
	tests := []struct {
		name, path, accept string
		wantStatus         int
		wantCode           string
		want               []result
	}{
		{name: "by username", path: users + "?username=ada.lovelace%40example.com", accept: v20250219, wantStatus: 200,
			want: []result{{Username: "ada.lovelace@example.com", Roles: []string{"GROUP_OWNER", "GROUP_STREAM_PROCESSING_OWNER"},
				OrgMembershipStatus: "ACTIVE", FirstName: "Ada", LastName: "Lovelace"}}},
		{name: "username in other case", path: users + "?username=GRACE%40example.com", accept: v20250219, wantStatus: 200,
			want: []result{{Username: "grace@example.com", Roles: []string{"GROUP_READ_ONLY"}, OrgMembershipStatus: "ACTIVE", FirstName: "Grace", LastName: "User"}}},
		{name: "unknown username", path: users + "?username=nobody%40example.com", accept: v20250219, wantStatus: 200},
		{name: "all users with a later date", path: users, accept: accept, wantStatus: 200, want: []result{
			{Username: "ada.lovelace@example.com", Roles: []string{"GROUP_OWNER", "GROUP_STREAM_PROCESSING_OWNER"}, OrgMembershipStatus: "ACTIVE", FirstName: "Ada", LastName: "Lovelace"},
			{Username: "grace@example.com", Roles: []string{"GROUP_READ_ONLY"}, OrgMembershipStatus: "ACTIVE", FirstName: "Grace", LastName: "User"}}},
		{name: "unknown project", path: "groups/6f6f6f6f6f6f6f6f6f6f6f6f/users", accept: v20250219, wantStatus: 404, wantCode: CodeGroupNotFound},
		{name: "deprecated version", path: users, accept: "application/vnd.atlas.2024-10-23+json", wantStatus: 406, wantCode: CodeInvalidAcceptHeader},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.api(req{method: "GET", path: tc.path, header: map[string]string{"Accept": tc.accept}})
			if resp.status != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", resp.status, resp.body, tc.wantStatus)
			}
			if tc.wantCode != "" {
				if got := resp.apiErr(t).ErrorCode; got != tc.wantCode {
					t.Errorf("errorCode = %q, want %q", got, tc.wantCode)
				}
				return
			}
			if ct := resp.header.Get("Content-Type"); ct != v20250219 {
				t.Errorf("Content-Type = %q, want %q", ct, v20250219)
			}
			var page struct {
				Results    []result `json:"results"`
				TotalCount int      `json:"totalCount"`
			}
			resp.decode(t, &page)
			if diff := cmp.Diff(tc.want, page.Results, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("results mismatch (-want +got):\n%s", diff)
			}
			if page.TotalCount != len(tc.want) {
				t.Errorf("totalCount = %d, want %d", page.TotalCount, len(tc.want))
			}
		})
	}
	if n := e.srv.Calls(OpListUsers); n != len(tests) {
		t.Errorf("Calls(OpListUsers) = %d, want %d", n, len(tests))
	}
	if resp := e.api(req{method: "GET", path: users + "?username=ada.lovelace%40example.com", header: map[string]string{"Accept": v20250219}}); resp.status != http.StatusOK {
		t.Errorf("status = %d, want 200", resp.status)
	}
}
