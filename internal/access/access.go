// Package access is streambot's access policy: who may do what, on which
// Atlas project, from which Slack channel. It denies by default.
//
// A policy is loaded once at start-up with [Load] or [FromEnv] (the format
// is in DESIGN.md and testdata/policy.yaml); a malformed one is refused with
// a *[PolicyError] listing every problem with its line. [Policy.Authorize]
// resolves the project a request names (alias, project ID, the channel's
// default or the policy's default), checks the caller's grants, and writes
// one audit log event per decision. A denial says what the caller has and
// through what, what the action needs, and whom to ask (the policy's
// admin_contact); [Decision.Mrkdwn] renders it for Slack.
//
// The roles each action needs follow MongoDB's spec for the Atlas calls
// behind it ([DefaultRoles]; docs/policy-roles.md). Changes on protected
// projects also wait for an approver: [Policy.ApprovalFor] says whether
// and from whom, [Policy.CanApprove] decides on the person who clicks.
// [Policy.ProjectsFor] lists the projects a caller may use, for forms.
//
// Grants to Slack user groups need a [GroupLookup], normally a
// [SlackGroups]; attach it with [Policy.WithGroups]. Without one, group
// grants never apply and denials say why.
package access

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Request is one caller asking for one action.
type Request struct {
	TeamID string // Slack team (workspace) ID, T…
	// EnterpriseID is the Slack Enterprise Grid organization (E…) the
	// request came from, when the payload carries one (enterprise_id); a
	// teams entry E… matches it.
	EnterpriseID string
	UserID       string // Slack user ID of the caller (U… or W…)
	ChannelID    string // Slack channel the command came from
	Action       Action
	// Resource is what the action reads or changes; the zero value is a
	// stream workspace. Reading processors and connections asks for more
	// roles than reading workspaces (see [DefaultRoles]).
	Resource Resource
	// Project is what the caller typed after --project: an alias or a
	// 24-hex project ID; empty means the channel's or the policy's default.
	Project string
}

// Decision is the policy's answer to a [Request] (or an [ApproveRequest]).
type Decision struct {
	Allowed bool
	// GroupID is the resolved Atlas project ID; set whenever the project
	// resolved, even on a denial (for the audit log). Never show it to a
	// caller who did not type it: use ProjectAlias or the Reason.
	GroupID string
	// ProjectAlias is the policy's alias for GroupID, or empty.
	ProjectAlias string
	// Role is the role of the grant that allowed the request; empty on a
	// denial and on approvals.
	Role string
	// Reason says why, in plain words fit to show the caller. On a denial
	// it says what the caller has and through what (their own grant or a
	// user group), what the action needs, and whom to ask: the policy's
	// admin_contact in the policy's notation ("ask group:S0PLATFORM"), or
	// "a policy admin". It never contains a project ID the caller did not
	// type, nor anything else the caller typed except an alias-shaped
	// project name, so it holds no Slack markup. Show it escaped, or use
	// [Decision.Mrkdwn] to show the subjects it names as mentions.
	Reason string
	// Contact is the policy's admin_contact; the zero Subject if it has
	// none. Reason already names it.
	Contact Subject
	// AtlasRoleCheck is the policy's atlas_role_check: the worker must also
	// confirm the caller's own Atlas role on the project.
	AtlasRoleCheck bool
	// RequiredRoles are the Atlas project roles that allow the action on
	// the request's resource.
	RequiredRoles []string
}

// mrkdwnEscaper escapes the three characters Slack's mrkdwn treats as
// markup (Slack's "Escaping text" rules; reply.Escape does the same for
// the reply package, which access does not import).
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Mrkdwn returns the Reason as Slack mrkdwn, escaped, with every subject
// it names (the admin contact, the user group a role came through, an
// approver) written as a Slack mention: "ask <@U0LEAD>", "through
// <!subteam^S0SRE>", "<#C0ADMINS>". The result is safe to send as is;
// escaping it again would break the mentions.
func (d Decision) Mrkdwn() string { return mentions(mrkdwnEscaper.Replace(d.Reason)) }

// Project is a project a caller may use: the policy's alias for it (empty
// if it has none) and its Atlas project ID.
type Project struct {
	Alias   string
	GroupID string
}

// Policy is a loaded access policy. It is immutable and safe for concurrent
// use; the With methods return modified copies.
type Policy struct {
	teams          []string          // nil: any workspace; else only these team (T…) and enterprise (E…) IDs
	projects       map[string]string // alias → project ID
	aliasByID      map[string]string // project ID → alias (smallest, if several)
	defaultProject string            // alias or ""
	channels       map[string]string // channel ID → alias
	grants         []grant
	atlasRoleCheck bool
	defaultRegion  string
	actionRoles    map[Action][]string
	adminContact   Subject
	approvals      []approval

	groups GroupLookup
	logger *slog.Logger
}

// grant is one entry of the policy's grants list, resolved at load time.
type grant struct {
	index       int
	users       []string // Slack user IDs
	groups      []string // Slack user-group IDs
	allProjects bool
	projects    []string // project IDs
	role        string
	channels    []string // nil: any channel
}

func (g *grant) coversProject(groupID string) bool {
	return g.allProjects || slices.Contains(g.projects, groupID)
}

func (g *grant) coversChannel(channelID string) bool {
	return g.channels == nil || slices.Contains(g.channels, channelID)
}

// GroupLookup answers whether a Slack user belongs to a Slack user group.
// [SlackGroups] implements it with usergroups.users.list and a cache.
type GroupLookup interface {
	IsMember(ctx context.Context, groupID, userID string) (bool, error)
}

// TeamGroupLookup is a [GroupLookup] that can ask within one Slack
// workspace. On an org-wide install in an Enterprise Grid organization the
// bot token is an org-level token, and Slack's usergroups.users.list then
// requires team_id, the workspace the user group belongs to (with a
// workspace-level token Slack ignores it). When the policy's lookup
// implements TeamGroupLookup, group grants are checked with the request's
// TeamID through it; [SlackGroups] does.
type TeamGroupLookup interface {
	GroupLookup
	IsMemberInTeam(ctx context.Context, teamID, groupID, userID string) (bool, error)
}

// WithGroups returns a copy of p that checks group grants and group
// approvers through g. With a nil g (the default) group grants never
// apply, and a denial that a group grant could have turned says so.
func (p *Policy) WithGroups(g GroupLookup) *Policy {
	if sg, ok := g.(*SlackGroups); ok && sg == nil {
		g = nil
	}
	c := *p
	c.groups = g
	return &c
}

// WithLogger returns a copy of p that writes its audit events to l; nil
// means slog.Default(), the default.
func (p *Policy) WithLogger(l *slog.Logger) *Policy {
	c := *p
	c.logger = l
	return &c
}

// DefaultRegion returns the policy's default_region (an Atlas region name
// such as VIRGINIA_USA), or "" if it sets none.
func (p *Policy) DefaultRegion() string { return p.defaultRegion }

// Empty reports whether the policy grants nothing, so every request is
// denied. The caller should log a warning at start-up.
func (p *Policy) Empty() bool { return len(p.grants) == 0 }

// AtlasRoleCheck reports the policy's atlas_role_check setting.
func (p *Policy) AtlasRoleCheck() bool { return p.atlasRoleCheck }

// AdminContact returns the policy's admin_contact, whom denials tell the
// caller to ask; the zero Subject if the policy names none.
func (p *Policy) AdminContact() Subject { return p.adminContact }

// AliasFor returns the policy's alias for a project ID, or "" if it has
// none. If several aliases name the same project, the alphabetically first
// is returned.
func (p *Policy) AliasFor(groupID string) string { return p.aliasByID[groupID] }

// ProjectIDs returns the IDs of the projects the policy names (aliases,
// grants and approvals), sorted. The local tool uses it to seed its
// embedded Atlas.
func (p *Policy) ProjectIDs() []string {
	ids := slices.Collect(maps.Keys(p.aliasByID))
	for _, g := range p.grants {
		ids = append(ids, g.projects...)
	}
	for _, a := range p.approvals {
		ids = append(ids, a.projects...)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// RequiredRoles returns the Atlas project roles that allow action a on
// stream workspaces under this policy, in a fresh slice; nil for an
// unknown action. See [Policy.RequiredRolesFor] for processors and
// connections.
func (p *Policy) RequiredRoles(a Action) []string { return p.RequiredRolesFor(a, ResourceWorkspace) }

// RequiredRolesFor returns the Atlas project roles that allow action a on
// resource r under this policy: the roles Atlas requires ([DefaultRoles])
// that the policy's action_roles keeps, in a fresh slice. It is nil for an
// unknown action or resource, and empty when action_roles leaves out every
// role Atlas accepts for r.
func (p *Policy) RequiredRolesFor(a Action, r Resource) []string {
	roles, _ := p.rolesFor(a, r)
	return roles
}

func (p *Policy) rolesFor(a Action, r Resource) ([]string, bool) {
	allowed, ok := p.actionRoles[a]
	atlasRoles := defaultRoles(a, r)
	if !ok || atlasRoles == nil {
		return nil, false
	}
	return slices.DeleteFunc(slices.Clone(allowed), func(role string) bool { return !slices.Contains(atlasRoles, role) }), true
}

// roleText says which roles an action needs: "a project role" or "one of
// A, B, C".
func (p *Policy) roleText(a Action, r Resource, roles []string) string {
	switch {
	case len(roles) == 0:
		return "one of " + strings.Join(DefaultRoles(a, r), ", ") + ", which this policy's action_roles." + string(a) + " leaves out"
	case len(roles) == len(projectRoles):
		return "a project role"
	}
	return "one of " + strings.Join(roles, ", ")
}

// teamAllowed reports whether the request comes from a workspace the
// policy applies to. A teams entry T… matches the request's TeamID; an
// entry E… (an Enterprise Grid organization) matches its EnterpriseID, so
// one entry covers every workspace of the organization.
func (p *Policy) teamAllowed(teamID, enterpriseID string) bool {
	if p.teams == nil {
		return true
	}
	for _, t := range p.teams {
		if (t[0] == 'T' && t == teamID) || (t[0] == 'E' && t == enterpriseID) {
			return true
		}
	}
	return false
}

// ask is the end of every denial: whom to ask.
func (p *Policy) ask() string {
	if c := p.adminContact.String(); c != "" {
		return "ask " + c
	}
	return "ask a policy admin"
}

// Authorize decides whether req may go ahead. It denies unless a grant
// applies: one of its subjects is the caller (directly, or through a user
// group checked with the policy's [GroupLookup]), it covers the resolved
// project, it allows the request's channel, and its role is one of the
// roles the action needs on the request's resource. User grants are
// checked first, so the group lookup (a Slack API call when not cached)
// runs only when they do not allow; on a denial it also runs for the group
// grants that explain it (a weaker role, or another channel), so the
// Reason can say what the caller has and through which group.
//
// Authorize does not look at approvals: an allowed change on a project
// that [Policy.ApprovalFor] names still waits for an approver.
//
// Every decision is logged as one "access decision" event at info level.
func (p *Policy) Authorize(ctx context.Context, req Request) Decision {
	d := p.decide(ctx, req)
	p.audit(ctx, req, d)
	return d
}

// holding is a role the caller holds on a project, and through what: ""
// for a grant to the caller, else the user group's ID.
type holding struct{ role, group string }

func (p *Policy) decide(ctx context.Context, req Request) Decision {
	d := Decision{AtlasRoleCheck: p.atlasRoleCheck, Contact: p.adminContact}
	roles, ok := p.rolesFor(req.Action, req.Resource)
	if !ok {
		d.Reason = "unknown action; " + p.ask()
		return d
	}
	d.RequiredRoles = roles
	if !p.teamAllowed(req.TeamID, req.EnterpriseID) {
		// Checked before anything else: the grants name users, groups and
		// channels of the listed workspaces only. A foreign workspace
		// learns nothing, not even whom to ask.
		d.Reason = "this bot is not enabled for this Slack workspace; ask a policy admin"
		d.Contact = Subject{}
		return d
	}

	groupID, alias, reason := p.resolve(ctx, req)
	if reason != "" {
		d.Reason = reason
		return d
	}
	d.GroupID, d.ProjectAlias = groupID, alias
	where := "project " + groupID
	if alias != "" {
		where = "project " + alias
	}
	act := label(req.Action, req.Resource)
	if p.Empty() {
		d.Reason = "the access policy grants nothing yet, so nobody may " + act + " on " + where + "; " + p.ask()
		return d
	}

	var (
		held         []holding
		otherChannel bool     // a grant would allow from another channel
		groupGrants  []*grant // group grants that allow or explain a denial
	)
	for i := range p.grants {
		g := &p.grants[i]
		if !g.coversProject(groupID) {
			continue
		}
		enough, here := slices.Contains(roles, g.role), g.coversChannel(req.ChannelID)
		if slices.Contains(g.users, req.UserID) {
			switch {
			case enough && here:
				d.Allowed, d.Role = true, g.role
				d.Reason = "grants[" + strconv.Itoa(g.index) + "] gives user:" + req.UserID + " " + g.role + " on " + where
				return d
			case enough:
				otherChannel = true
			case here:
				held = appendHolding(held, holding{g.role, ""})
			}
		}
		if len(g.groups) > 0 && (enough || here) {
			groupGrants = append(groupGrants, g)
		}
	}

	var groupsUnchecked string
	if len(groupGrants) > 0 {
		member, short := p.memberships(ctx, req.TeamID, req.UserID, groupGrants)
		for _, g := range groupGrants {
			i := slices.IndexFunc(g.groups, func(s string) bool { return member[s] })
			if i < 0 {
				continue
			}
			enough, here := slices.Contains(roles, g.role), g.coversChannel(req.ChannelID)
			switch {
			case enough && here:
				d.Allowed, d.Role = true, g.role
				d.Reason = "grants[" + strconv.Itoa(g.index) + "] gives group:" + g.groups[i] + " " + g.role + " on " + where
				return d
			case enough:
				otherChannel = true
			default:
				held = appendHolding(held, holding{g.role, g.groups[i]})
			}
		}
		groupsUnchecked = short
	}

	var b strings.Builder
	switch {
	case otherChannel:
		b.WriteString("you may " + act + " on " + where + " only from other channels")
	case len(held) > 0:
		b.WriteString("you have ")
		for i, h := range held {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(h.role)
			if h.group != "" {
				b.WriteString(" (through group:" + h.group + ")")
			}
		}
		b.WriteString(" on " + where + ", but " + act + " needs " + p.roleText(req.Action, req.Resource, roles))
	case groupsUnchecked != "":
		b.WriteString(act + " on " + where + " needs " + p.roleText(req.Action, req.Resource, roles))
	default:
		b.WriteString(act + " on " + where + " needs " + p.roleText(req.Action, req.Resource, roles) + ", and no grant gives you one")
	}
	if groupsUnchecked != "" {
		b.WriteString("; your user groups could not be checked: " + groupsUnchecked + ", so try again or " + p.ask())
	} else {
		b.WriteString("; " + p.ask())
	}
	d.Reason = b.String()
	return d
}

func appendHolding(hs []holding, h holding) []holding {
	if slices.Contains(hs, h) {
		return hs
	}
	return append(hs, h)
}

// resolve turns the request's project (or the defaults) into a project ID
// and its alias. A non-empty reason is a user-facing denial; for a project
// the policy does not know, it names the aliases the caller may use for
// the action instead.
func (p *Policy) resolve(ctx context.Context, req Request) (groupID, alias, reason string) {
	name := strings.ToLower(strings.TrimSpace(req.Project))
	if name == "" {
		name = p.channels[req.ChannelID]
		if name == "" {
			name = p.defaultProject
		}
		if name == "" {
			return "", "", "no project given and no default set: " + p.suggest(ctx, req)
		}
	}
	if id, ok := p.projects[name]; ok {
		return id, name, ""
	}
	if isGroupID(name) {
		return name, p.aliasByID[name], ""
	}
	what := "unknown project"
	if aliasPattern.MatchString(name) && len(name) <= maxAliasLen {
		what += " " + name // safe to echo: lower-case letters, digits, "_" and "-"
	}
	return "", "", what + ": " + p.suggest(ctx, req) + " to add it"
}

// suggest names the aliased projects the caller may use for the request's
// action ("use --project dev or prod, or ask …"). Project IDs are never
// listed: a caller sees only IDs they typed.
func (p *Policy) suggest(ctx context.Context, req Request) string {
	var aliases []string
	for _, pr := range p.ProjectsFor(ctx, req, req.Action) {
		if pr.Alias != "" {
			aliases = append(aliases, pr.Alias)
		}
	}
	if len(aliases) == 0 {
		return "use --project with a project alias or ID the policy knows, or " + p.ask()
	}
	return "use --project " + orList(aliases) + " (where you may " + label(req.Action, req.Resource) + "), or " + p.ask()
}

// orList joins items as "a", "a or b", "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// ProjectsFor returns the projects on which the caller of req may do
// action a on req.Resource, sorted: those with an alias by alias, then
// those without by ID. It counts the grants Authorize would count — to the
// caller or to a user group the caller is in, with a role that allows a,
// and allowing req.ChannelID when the grant names channels (so a request
// without a channel, such as a global shortcut's, gets only the grants
// that name none) — and nothing from a workspace outside the policy's
// teams. A grant on "*" contributes every project the policy names.
// req.Project and req.Action are ignored.
//
// A group whose lookup fails counts as not holding the caller, so the list
// may be short while Slack is unreachable; when it is empty, ask
// [Policy.Authorize] for the reason to show. ProjectsFor writes no audit
// event: the decision that counts is the Authorize at submit time.
func (p *Policy) ProjectsFor(ctx context.Context, req Request, a Action) []Project {
	roles, ok := p.rolesFor(a, req.Resource)
	if !ok || !p.teamAllowed(req.TeamID, req.EnterpriseID) {
		return nil
	}
	var (
		applies []*grant
		viaGrp  []*grant
	)
	for i := range p.grants {
		g := &p.grants[i]
		if !slices.Contains(roles, g.role) || !g.coversChannel(req.ChannelID) {
			continue
		}
		if slices.Contains(g.users, req.UserID) {
			applies = append(applies, g)
		} else if len(g.groups) > 0 {
			viaGrp = append(viaGrp, g)
		}
	}
	if len(viaGrp) > 0 {
		member, _ := p.memberships(ctx, req.TeamID, req.UserID, viaGrp)
		for _, g := range viaGrp {
			if slices.ContainsFunc(g.groups, func(s string) bool { return member[s] }) {
				applies = append(applies, g)
			}
		}
	}
	var ids []string
	for _, g := range applies {
		if g.allProjects {
			ids = append(ids, p.ProjectIDs()...)
		} else {
			ids = append(ids, g.projects...)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := make([]Project, 0, len(ids))
	for _, id := range ids {
		out = append(out, Project{Alias: p.aliasByID[id], GroupID: id})
	}
	slices.SortStableFunc(out, func(x, y Project) int {
		switch {
		case x.Alias == y.Alias:
			return strings.Compare(x.GroupID, y.GroupID)
		case x.Alias == "":
			return 1
		case y.Alias == "":
			return -1
		}
		return strings.Compare(x.Alias, y.Alias)
	})
	return out
}

// memberships looks up the caller in the user groups of grants,
// concurrently, and returns the groups that hold the caller. If some
// lookup failed, it also returns a short reason fit for the caller.
func (p *Policy) memberships(ctx context.Context, teamID, userID string, grants []*grant) (map[string]bool, string) {
	var groups []string
	for _, g := range grants {
		for _, s := range g.groups {
			if !slices.Contains(groups, s) {
				groups = append(groups, s)
			}
		}
	}
	return p.members(ctx, teamID, userID, groups)
}

// members looks up the caller in groups, concurrently, through the
// policy's GroupLookup (within teamID when it is a [TeamGroupLookup]).
func (p *Policy) members(ctx context.Context, teamID, userID string, groups []string) (map[string]bool, string) {
	if len(groups) == 0 {
		return nil, ""
	}
	if p.groups == nil {
		return nil, "no user-group lookup is configured"
	}
	tl, _ := p.groups.(TeamGroupLookup)
	member := make([]bool, len(groups))
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for i, s := range groups {
		wg.Go(func() {
			if tl != nil && teamID != "" {
				member[i], errs[i] = tl.IsMemberInTeam(ctx, teamID, s, userID)
			} else {
				member[i], errs[i] = p.groups.IsMember(ctx, s, userID)
			}
		})
	}
	wg.Wait()
	out := map[string]bool{}
	short := ""
	for i, s := range groups {
		switch {
		case errs[i] != nil:
			if short == "" {
				short = shortReason(errs[i])
			}
		case member[i]:
			out[s] = true
		}
	}
	return out, short
}

func (p *Policy) log() *slog.Logger {
	if p.logger == nil {
		return slog.Default()
	}
	return p.logger
}

func (p *Policy) audit(ctx context.Context, req Request, d Decision) {
	project := d.ProjectAlias
	if project == "" {
		project = d.GroupID
	}
	if project == "" {
		project = req.Project
	}
	decision := "deny"
	if d.Allowed {
		decision = "allow"
	}
	attrs := []slog.Attr{
		slog.String("team_id", req.TeamID),
		slog.String("user_id", req.UserID),
		slog.String("channel_id", req.ChannelID),
		slog.String("action", string(req.Action)),
		slog.String("project", project),
		slog.String("group_id", d.GroupID),
		slog.String("decision", decision),
		slog.String("reason", d.Reason),
		slog.String("role", d.Role),
	}
	// Present only when set, so the common event keeps its shape.
	if req.Resource != ResourceWorkspace {
		attrs = append(attrs, slog.String("resource", string(req.Resource)))
	}
	if req.EnterpriseID != "" {
		attrs = append(attrs, slog.String("enterprise_id", req.EnterpriseID))
	}
	p.log().LogAttrs(ctx, slog.LevelInfo, "access decision", attrs...)
}
