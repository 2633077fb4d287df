package atlastest

import (
	"net/http"
	"strings"
	"time"

	"github.com/streambot/streambot/pkg/atlas"
	"github.com/streambot/streambot/pkg/atlas/atlasroute"
)

// usersMediaType is the only listGroupUsers version the simulator serves:
// the one whose username filter works (older versions ignore it).
const usersMediaType = "application/vnd.atlas.2025-02-19+json"

// groupUser is the API's GroupActiveUserResponse.
type groupUser struct {
	ID                  string   `json:"id"`
	Username            string   `json:"username"`
	OrgMembershipStatus string   `json:"orgMembershipStatus"`
	Roles               []string `json:"roles"`
	FirstName           string   `json:"firstName"`
	LastName            string   `json:"lastName"`
	CreatedAt           string   `json:"createdAt"`
}

// groupPendingUser is the API's GroupPendingUserResponse: someone invited
// to the organization who has not joined it (yet). Atlas lists them with
// the project roles the invitation would give.
type groupPendingUser struct {
	ID                  string   `json:"id"`
	Username            string   `json:"username"`
	OrgMembershipStatus string   `json:"orgMembershipStatus"`
	Roles               []string `json:"roles"`
	InvitationCreatedAt string   `json:"invitationCreatedAt"`
	// InvitationExpiresAt is null for a rejected invitation.
	InvitationExpiresAt *string `json:"invitationExpiresAt"`
	InviterUsername     string  `json:"inviterUsername"`
}

// invitationLifetime is how long an Atlas invitation stays open.
const invitationLifetime = 30 * 24 * time.Hour

// inviter is who sent every invitation the simulator lists.
const inviter = "atlas.admin@example.com"

// AddInvitedProjectUser adds someone invited to the organization with
// project roles who is not an active member: status is
// [atlas.MembershipPending], [atlas.MembershipInvitationExpired] or
// [atlas.MembershipInvitationRejected]. The users list shows them with
// that orgMembershipStatus and their roles, as Atlas does, so a role
// check that reads only the roles would let them through.
func (a *Atlas) AddInvitedProjectUser(groupID, username, status string, roles ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.projectLocked(groupID)
	p.users = append(p.users, user{id: newID(), username: username, roles: roles, created: a.now().UTC(), status: status})
}

// pending renders an invited user.
func (u user) pending() groupPendingUser {
	pu := groupPendingUser{
		ID: u.id, Username: u.username, OrgMembershipStatus: u.status,
		Roles: append([]string{}, u.roles...), InvitationCreatedAt: u.created.Format(time.RFC3339),
		InviterUsername: inviter,
	}
	if u.status != atlas.MembershipInvitationRejected {
		exp := u.created.Add(invitationLifetime).Format(time.RFC3339)
		pu.InvitationExpiresAt = &exp
	}
	return pu
}

// listUsers is GET /api/atlas/v2/groups/{groupId}/users, with the optional
// username filter (matched case-insensitively, as e-mail addresses are).
func (a *Atlas) listUsers(w http.ResponseWriter, c *call) {
	if mt, _ := atlasroute.ResponseMediaType(c.r); mt != usersMediaType {
		a.fail(w, c.r, http.StatusNotAcceptable, CodeInvalidAcceptHeader,
			"The simulator serves this resource in version 2025-02-19 or later.", nil)
		return
	}
	groupID := c.params["groupId"]
	want := c.r.URL.Query().Get("username")
	a.mu.Lock()
	p := a.projects[groupID]
	var found []any // groupUser or groupPendingUser
	if p != nil {
		for _, u := range p.users {
			if want != "" && !strings.EqualFold(u.username, want) {
				continue
			}
			if u.status != "" {
				found = append(found, u.pending())
				continue
			}
			first, last := names(u.username)
			found = append(found, groupUser{
				ID: u.id, Username: u.username, OrgMembershipStatus: atlas.MembershipActive,
				Roles: append([]string{}, u.roles...), FirstName: first, LastName: last,
				CreatedAt: u.created.Format(time.RFC3339),
			})
		}
	}
	a.mu.Unlock()
	if p == nil {
		a.groupNotFound(w, c.r, groupID)
		return
	}
	a.ok(w, c.r, http.StatusOK, paginate(c.r, found))
}

// names makes a first and last name from an address like
// ada.lovelace@example.com.
func names(username string) (first, last string) {
	local, _, _ := strings.Cut(username, "@")
	first, last, ok := strings.Cut(local, ".")
	if !ok || last == "" {
		last = "User"
	}
	return title(first), title(last)
}

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
