package atlastest

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/streambot/streambot/pkg/atlas"
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

// Invitees are listed as Atlas lists them: with their status and the roles
// the invitation would give (the spec check of every answer covers the
// GroupPendingUserResponse shape).
func TestInvitedProjectUsers(t *testing.T) {
	e := setup(t)
	e.srv.AddInvitedProjectUser(groupID, "pending@example.com", atlas.MembershipPending, "GROUP_OWNER")
	e.srv.AddInvitedProjectUser(groupID, "expired@example.com", atlas.MembershipInvitationExpired, "GROUP_OWNER")
	e.srv.AddInvitedProjectUser(groupID, "rejected@example.com", atlas.MembershipInvitationRejected, "GROUP_OWNER")
	type result struct {
		Username            string   `json:"username"`
		Roles               []string `json:"roles"`
		OrgMembershipStatus string   `json:"orgMembershipStatus"`
		InviterUsername     string   `json:"inviterUsername"`
		InvitationExpiresAt *string  `json:"invitationExpiresAt"`
	}
	resp := e.api(req{method: "GET", path: "groups/" + groupID + "/users",
		header: map[string]string{"Accept": "application/vnd.atlas.2025-02-19+json"}})
	if resp.status != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200", resp.status, resp.body)
	}
	var page struct {
		Results []result `json:"results"`
	}
	resp.decode(t, &page)
	got := map[string]result{}
	for _, r := range page.Results {
		got[r.Username] = r
	}
	for name, status := range map[string]string{"pending@example.com": atlas.MembershipPending,
		"expired@example.com": atlas.MembershipInvitationExpired, "rejected@example.com": atlas.MembershipInvitationRejected} {
		r, ok := got[name]
		if !ok {
			t.Errorf("%s not listed; results %+v", name, page.Results)
			continue
		}
		if r.OrgMembershipStatus != status || !cmp.Equal(r.Roles, []string{"GROUP_OWNER"}) || r.InviterUsername == "" {
			t.Errorf("%s = %+v, want status %s, roles [GROUP_OWNER] and an inviter", name, r, status)
		}
		if rejected := status == atlas.MembershipInvitationRejected; rejected != (r.InvitationExpiresAt == nil) {
			t.Errorf("%s: invitationExpiresAt = %v, want null only for a rejected invitation", name, r.InvitationExpiresAt)
		}
	}
}
