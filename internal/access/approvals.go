package access

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strconv"
	"time"
)

// The bounds of an approvals entry's expires: how long a request waits for
// an approver before nothing can approve it any more.
const (
	DefaultApprovalExpiry = time.Hour
	MaxApprovalExpiry     = 24 * time.Hour
	minApprovalExpiry     = time.Minute
)

// approval is one entry of the policy's approvals list, resolved at load
// time.
type approval struct {
	index       int
	line        int
	allProjects bool
	projects    []string // project IDs
	actions     []Action
	approvers   []Subject // users and user groups only
	expires     time.Duration
}

func (a *approval) covers(groupID string, act Action) bool {
	return slices.Contains(a.actions, act) && (a.allProjects || slices.Contains(a.projects, groupID))
}

// Approval is what the policy requires before a change on a protected
// project runs: a second person among Approvers (who is not the
// requester) must approve within Expires of the request.
type Approval struct {
	// Approvers are the Slack users and user groups who may approve, as
	// the policy lists them. Render them with [Subject.Mention].
	Approvers []Subject
	// Expires is how long the request may wait: the entry's expires,
	// 1h by default, at most 24h.
	Expires time.Duration
}

// ApprovalFor reports whether action a on the project groupID needs an
// approval, and from whom. Only changes (create, update, delete, operate)
// can need one; reading never does. The loader refuses two entries that
// cover the same project and action, so at most one applies.
//
// Approval is the caller's second step after [Policy.Authorize] allowed
// the request, and a dry run never needs one: a --dry-run changes nothing,
// so the caller must not ask ApprovalFor about it (this package cannot tell
// a dry run from a real request).
func (p *Policy) ApprovalFor(groupID string, a Action) (Approval, bool) {
	for i := range p.approvals {
		if ap := &p.approvals[i]; ap.covers(groupID, a) {
			return Approval{Approvers: slices.Clone(ap.approvers), Expires: ap.expires}, true
		}
	}
	return Approval{}, false
}

// ApproveRequest is a person asking to approve a waiting request: the one
// who clicked Approve, and what the request was.
type ApproveRequest struct {
	TeamID       string // the clicker's Slack team (workspace) ID
	EnterpriseID string // the clicker's Enterprise Grid organization, if any
	UserID       string // the clicker
	ChannelID    string // where the approval request was posted; for the audit log only
	GroupID      string // the project of the waiting request (its resolved ID)
	Action       Action // the waiting request's action
	RequesterID  string // the Slack user who made the waiting request
}

// CanApprove decides whether req.UserID may approve the waiting request.
// It allows only an approver named by the approvals entry that covers the
// request's project and action — a user listed directly or a member of a
// listed user group (checked with the policy's [GroupLookup]) — who is not
// the requester: a requester who is an approver still needs someone else.
// Approvers need no grant on the project; the approvals entry is their
// authority. A denial's Reason says why and whom to ask: the approvers,
// or the admin contact. A failed group lookup denies, saying so.
//
// Every decision is logged as one "approval decision" event at info level.
// CanApprove checks the person only; that the request is still waiting
// (not expired, rejected, cancelled or already approved) is the caller's
// state to check.
func (p *Policy) CanApprove(ctx context.Context, req ApproveRequest) Decision {
	d := p.canApprove(ctx, req)
	decision := "deny"
	if d.Allowed {
		decision = "allow"
	}
	p.log().LogAttrs(ctx, slog.LevelInfo, "approval decision",
		slog.String("team_id", req.TeamID),
		slog.String("user_id", req.UserID),
		slog.String("channel_id", req.ChannelID),
		slog.String("requester_id", req.RequesterID),
		slog.String("action", string(req.Action)),
		slog.String("project", cmp.Or(d.ProjectAlias, req.GroupID)),
		slog.String("group_id", req.GroupID),
		slog.String("decision", decision),
		slog.String("reason", d.Reason),
	)
	return d
}

func (p *Policy) canApprove(ctx context.Context, req ApproveRequest) Decision {
	d := Decision{GroupID: req.GroupID, ProjectAlias: p.aliasByID[req.GroupID], Contact: p.adminContact}
	if !p.teamAllowed(req.TeamID, req.EnterpriseID) {
		d.Reason = "this bot is not enabled for this Slack workspace; ask a policy admin"
		d.Contact = Subject{}
		return d
	}
	// The approval request shows the project as its requester named it:
	// by alias, or by the ID they typed.
	what := string(req.Action) + " on project " + cmp.Or(d.ProjectAlias, req.GroupID)
	var ap *approval
	for i := range p.approvals {
		if p.approvals[i].covers(req.GroupID, req.Action) {
			ap = &p.approvals[i]
			break
		}
	}
	if ap == nil {
		d.Reason = "the access policy asks no approval for " + what + " now, so there is nothing to approve; " + p.ask()
		return d
	}
	// Whom to name: the approvers but the requester, who cannot approve
	// their own request.
	who := approverList(slices.DeleteFunc(slices.Clone(ap.approvers), func(s Subject) bool {
		return s.Kind == SubjectUser && s.ID == req.RequesterID
	}))
	switch req.UserID {
	case "":
		d.Reason = "the person approving is unknown, so nothing can be approved; " + p.ask()
		return d
	case req.RequesterID:
		d.Reason = "you asked for this " + string(req.Action) + ", so someone else must approve it: " + who
		return d
	}
	entry := "approvals[" + strconv.Itoa(ap.index) + "]"
	var groups []string
	for _, s := range ap.approvers {
		switch {
		case s.Kind == SubjectUser && s.ID == req.UserID:
			d.Allowed = true
			d.Reason = entry + " names user:" + req.UserID + " as an approver of " + what
			return d
		case s.Kind == SubjectGroup:
			groups = append(groups, s.ID)
		}
	}
	member, short := p.members(ctx, req.TeamID, req.UserID, groups)
	for _, g := range groups {
		if member[g] {
			d.Allowed = true
			d.Reason = entry + " names group:" + g + " as an approver of " + what
			return d
		}
	}
	if short != "" {
		d.Reason = "only " + who + " may approve " + what + ", and your user groups could not be checked: " +
			short + ", so try again or " + p.ask()
		return d
	}
	d.Reason = "only " + who + " may approve " + what + "; " + p.ask()
	return d
}

// approverList names approvers for a reason: "user:U0LEAD or members of
// group:S0SRE".
func approverList(subjects []Subject) string {
	names := make([]string, len(subjects))
	for i, s := range subjects {
		names[i] = s.String()
		if s.Kind == SubjectGroup {
			names[i] = "members of " + names[i]
		}
	}
	return orList(names)
}
