package atlastest

import (
	"net/http"
	"strings"
	"time"

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
	var found []groupUser
	if p != nil {
		for _, u := range p.users {
			if want != "" && !strings.EqualFold(u.username, want) {
				continue
			}
			first, last := names(u.username)
			found = append(found, groupUser{
				ID: u.id, Username: u.username, OrgMembershipStatus: "ACTIVE",
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
