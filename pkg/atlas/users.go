package atlas

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// usersAPIVersion is the resource version of the project users list that
// filters by username and returns roles (GroupUserResponse).
const usersAPIVersion = "2025-02-19"

// ProjectUser is a MongoDB Cloud user's standing in one project (the API's
// GroupUserResponse, as far as streambot reads it).
type ProjectUser struct {
	ID       string `json:"id"`
	Username string `json:"username"` // the user's email address
	// Roles are the user's project roles, such as GROUP_OWNER. The spec
	// leaves them open-ended strings.
	Roles []string `json:"roles"`
	// OrgMembershipStatus is ACTIVE, PENDING, INVITATION_EXPIRED or
	// INVITATION_REJECTED (the Membership constants). Atlas lists invitees
	// with the roles their invitation would give: only an ACTIVE user
	// holds them (see [ProjectUser.Active]).
	OrgMembershipStatus string `json:"orgMembershipStatus,omitempty"`
}

// The organization membership statuses of a [ProjectUser].
const (
	MembershipActive             = "ACTIVE"              // a member of the organization
	MembershipPending            = "PENDING"             // invited, not joined yet
	MembershipInvitationExpired  = "INVITATION_EXPIRED"  // invited, never joined
	MembershipInvitationRejected = "INVITATION_REJECTED" // declined the invitation
)

// Active reports whether u is a member of the organization, not someone
// invited. A missing status counts as not active.
func (u *ProjectUser) Active() bool { return u.OrgMembershipStatus == MembershipActive }

// HasAnyRole reports whether u holds at least one of roles.
func (u *ProjectUser) HasAnyRole(roles ...string) bool {
	for _, have := range u.Roles {
		for _, want := range roles {
			if have == want {
				return true
			}
		}
	}
	return false
}

// ProjectUser returns the user with the given username (email address) in
// project groupID, with their project roles. It asks Atlas for
// GET groups/{groupId}/users?username=<email> with resource version
// 2025-02-19, whatever [WithAPIVersion] says. When no user matches, the
// error matches [ErrNotFound], as does a 404 for an unknown project.
//
// Atlas reference: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-listgroupusers
func (c *Client) ProjectUser(ctx context.Context, groupID, username string) (*ProjectUser, error) {
	if err := ValidateGroupID(groupID); err != nil {
		return nil, err
	}
	if err := validateUsername(username); err != nil {
		return nil, err
	}
	path := withQuery("groups/"+url.PathEscape(groupID)+"/users", url.Values{"username": {username}}, nil)
	req, err := c.NewRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", mediaType(usersAPIVersion))
	var page struct {
		Results []ProjectUser `json:"results"`
	}
	if _, err := c.Do(req, &page); err != nil {
		return nil, err
	}
	// Atlas filters by username; matching again guards against a version
	// that ignores the filter and returns everyone.
	for i := range page.Results {
		if strings.EqualFold(page.Results[i].Username, username) {
			return &page.Results[i], nil
		}
	}
	return nil, fmt.Errorf("atlas: project user %q in project %s: %w", username, groupID, ErrNotFound)
}

// validateUsername checks that username looks like the email address Atlas
// uses as a user name.
func validateUsername(username string) error {
	at := strings.LastIndexByte(username, '@')
	if at < 1 || at == len(username)-1 || strings.ContainsAny(username, " \t\r\n") || len(username) > 254 {
		return &ValidationError{Field: "username", Value: username, Message: "a user name is an email address"}
	}
	return nil
}
