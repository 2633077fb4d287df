package atlas

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const usersPage = `{"links":[{"href":"https://cloud.mongodb.com/api/atlas/v2/groups/32b6e34b3d91647abb20e7b8/users","rel":"self"}],
"results":[{"id":"5f1a2b3c4d5e6f7a8b9c0d1e","orgMembershipStatus":"ACTIVE","username":"Alice@Example.com",
"roles":["GROUP_READ_ONLY","GROUP_STREAM_PROCESSING_OWNER"],"createdAt":"2024-01-02T03:04:05Z","firstName":"Alice","lastName":"Liddell"}],"totalCount":1}`

func TestProjectUser(t *testing.T) {
	c, mux, _ := setup(t, WithAPIVersion("2023-02-01"))
	mux.HandleFunc("/api/atlas/v2/groups/{groupId}/users", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		// The users resource version, whatever the client's default.
		testHeader(t, r, "Accept", "application/vnd.atlas.2025-02-19+json")
		testQuery(t, r, url.Values{"username": {"alice@example.com"}})
		writeJSON(w, r, 200, usersPage)
	})
	got, err := c.ProjectUser(context.Background(), testGroupID, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	want := &ProjectUser{ID: "5f1a2b3c4d5e6f7a8b9c0d1e", Username: "Alice@Example.com", OrgMembershipStatus: "ACTIVE",
		Roles: []string{"GROUP_READ_ONLY", "GROUP_STREAM_PROCESSING_OWNER"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ProjectUser mismatch (-want +got):\n%s", diff)
	}
	if !got.HasAnyRole("GROUP_OWNER", "GROUP_STREAM_PROCESSING_OWNER") || got.HasAnyRole("GROUP_OWNER") || got.HasAnyRole() {
		t.Errorf("HasAnyRole wrong for roles %v", got.Roles)
	}
	if !got.Active() {
		t.Errorf("Active() = false for orgMembershipStatus %q", got.OrgMembershipStatus)
	}
}

// Only an ACTIVE member holds the roles listed; an invitee, whatever became
// of the invitation, and a user without a status do not.
func TestProjectUserActive(t *testing.T) {
	for _, status := range []string{MembershipPending, MembershipInvitationExpired, MembershipInvitationRejected, "", "active"} {
		u := &ProjectUser{Username: "a@example.com", Roles: []string{"GROUP_OWNER"}, OrgMembershipStatus: status}
		if u.Active() {
			t.Errorf("Active() with orgMembershipStatus %q = true, want false", status)
		}
	}
}

func TestProjectUser_notFound(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode string
	}{
		{"no results", 200, `{"results":[],"totalCount":0}`, ""},
		{"someone else", 200, usersPage, ""},
		{"unknown project", 404, `{"error":404,"errorCode":"GROUP_NOT_FOUND","reason":"Not Found","detail":"No group with ID x exists."}`, "GROUP_NOT_FOUND"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, mux, _ := setup(t)
			mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/users", func(w http.ResponseWriter, r *http.Request) {
				if tc.status == 200 {
					writeJSON(w, r, 200, tc.body)
					return
				}
				writeError(w, tc.status, tc.body)
			})
			got, err := c.ProjectUser(context.Background(), testGroupID, "bob@example.com")
			if got != nil || !errors.Is(err, ErrNotFound) {
				t.Errorf("ProjectUser = %v, %v; want nil and ErrNotFound", got, err)
			}
			if tc.wantCode != "" && !IsErrorCode(err, tc.wantCode) {
				t.Errorf("error = %v, want code %s", err, tc.wantCode)
			}
		})
	}
}

func TestProjectUser_forbidden(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/users", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, 403, readFile(t, "seed_error_403.json"))
	})
	_, err := c.ProjectUser(context.Background(), testGroupID, "bob@example.com")
	if !IsStatus(err, 403) || errors.Is(err, ErrNotFound) {
		t.Errorf("error = %v, want a 403 APIError that is not ErrNotFound", err)
	}
}
