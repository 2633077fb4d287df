// Package access is streambot's access policy: who may do what, on which
// Atlas project, from which Slack channel. It denies by default.
//
// A policy is loaded once at start-up with [Load] or [FromEnv] (the format
// is in DESIGN.md and testdata/policy.yaml); a malformed one is refused with
// a *[PolicyError] listing every problem with its line. [Policy.Authorize]
// resolves the project a request names (alias, project ID, the channel's
// default or the policy's default), checks the caller's grants, and writes
// one audit log event per decision.
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
	TeamID    string // Slack team (workspace) ID, for the audit log
	UserID    string // Slack user ID of the caller (U… or W…)
	ChannelID string // Slack channel the command came from
	Action    Action
	// Project is what the caller typed after --project: an alias or a
	// 24-hex project ID; empty means the channel's or the policy's default.
	Project string
}

// Decision is the policy's answer to a [Request].
type Decision struct {
	Allowed bool
	// GroupID is the resolved Atlas project ID; set whenever the project
	// resolved, even on a denial (for the audit log). Never show it to a
	// caller who did not type it: use ProjectAlias or the Reason.
	GroupID string
	// ProjectAlias is the policy's alias for GroupID, or empty.
	ProjectAlias string
	// Role is the role of the grant that allowed the request; empty on a
	// denial.
	Role string
	// Reason says why, in words fit to show the caller. On a denial it says
	// what the caller lacks and whom to ask. It never contains a project ID
	// the caller did not type, nor anything else the caller typed except an
	// alias-shaped project name, so it needs no escaping beyond the usual.
	Reason string
	// AtlasRoleCheck is the policy's atlas_role_check: the worker must also
	// confirm the caller's own Atlas role on the project.
	AtlasRoleCheck bool
	// RequiredRoles are the Atlas project roles that allow the action.
	RequiredRoles []string
}

// Policy is a loaded access policy. It is immutable and safe for concurrent
// use; the With methods return modified copies.
type Policy struct {
	teams          []string          // nil: any workspace; else only these team IDs
	projects       map[string]string // alias → project ID
	aliasByID      map[string]string // project ID → alias (smallest, if several)
	defaultProject string            // alias or ""
	channels       map[string]string // channel ID → alias
	grants         []grant
	atlasRoleCheck bool
	defaultRegion  string
	actionRoles    map[Action][]string
	roleText       map[Action]string // "one of A, B, C" or "a project role"

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

// WithGroups returns a copy of p that checks group grants through g. With a
// nil g (the default) group grants never apply, and a denial that a group
// grant could have turned says so.
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

// AliasFor returns the policy's alias for a project ID, or "" if it has
// none. If several aliases name the same project, the alphabetically first
// is returned.
func (p *Policy) AliasFor(groupID string) string { return p.aliasByID[groupID] }

// ProjectIDs returns the IDs of the projects the policy names (aliases and
// grants), sorted. The local tool uses it to seed its embedded Atlas.
func (p *Policy) ProjectIDs() []string {
	ids := slices.Collect(maps.Keys(p.aliasByID))
	for _, g := range p.grants {
		ids = append(ids, g.projects...)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// RequiredRoles returns the Atlas project roles that allow action a, in a
// fresh slice; nil for an unknown action.
func (p *Policy) RequiredRoles(a Action) []string { return slices.Clone(p.actionRoles[a]) }

// Authorize decides whether req may go ahead. It denies unless a grant
// applies: one of its subjects is the caller (directly, or through a user
// group checked with the policy's [GroupLookup]), it covers the resolved
// project, it allows the request's channel, and its role is one of the
// action's roles. User grants are checked first, so the group lookup (a
// Slack API call when not cached) runs only when they do not allow.
//
// Every decision is logged as one "access decision" event at info level.
func (p *Policy) Authorize(ctx context.Context, req Request) Decision {
	d := p.decide(ctx, req)
	p.audit(ctx, req, d)
	return d
}

func (p *Policy) decide(ctx context.Context, req Request) Decision {
	d := Decision{AtlasRoleCheck: p.atlasRoleCheck}
	roles, ok := p.actionRoles[req.Action]
	if !ok {
		d.Reason = "unknown action; ask a policy admin"
		return d
	}
	d.RequiredRoles = slices.Clone(roles)
	if p.teams != nil && !slices.Contains(p.teams, req.TeamID) {
		// Checked before anything else: the grants name users, groups and
		// channels of the listed workspaces only.
		d.Reason = "this bot is not enabled for this Slack workspace; ask a policy admin"
		return d
	}

	groupID, alias, reason := p.resolve(req)
	if reason != "" {
		d.Reason = reason
		return d
	}
	d.GroupID, d.ProjectAlias = groupID, alias
	where := "project " + groupID
	if alias != "" {
		where = "project " + alias
	}
	if p.Empty() {
		d.Reason = "the access policy grants nothing yet, so nobody may " + string(req.Action) + " on " + where + "; ask a policy admin"
		return d
	}

	var (
		heldRoles      []string // roles the caller holds directly here, none enough
		otherChannel   bool     // a user grant would allow from another channel
		groupCandidate []*grant // group grants that would allow, if the caller is a member
	)
	for i := range p.grants {
		g := &p.grants[i]
		if !g.coversProject(groupID) {
			continue
		}
		direct := slices.Contains(g.users, req.UserID)
		enough := slices.Contains(roles, g.role)
		switch {
		case direct && enough && g.coversChannel(req.ChannelID):
			d.Allowed, d.Role = true, g.role
			d.Reason = "grants[" + strconv.Itoa(g.index) + "] gives user:" + req.UserID + " " + g.role + " on " + where
			return d
		case direct && enough:
			otherChannel = true
		case direct:
			if g.coversChannel(req.ChannelID) && !slices.Contains(heldRoles, g.role) {
				heldRoles = append(heldRoles, g.role)
			}
		}
		if enough && len(g.groups) > 0 && g.coversChannel(req.ChannelID) {
			groupCandidate = append(groupCandidate, g)
		}
	}

	var groupsUnchecked string
	if len(groupCandidate) > 0 {
		g, subject, short := p.checkGroups(ctx, req.UserID, groupCandidate)
		if g != nil {
			d.Allowed, d.Role = true, g.role
			d.Reason = "grants[" + strconv.Itoa(g.index) + "] gives group:" + subject + " " + g.role + " on " + where
			return d
		}
		groupsUnchecked = short
	}

	var b strings.Builder
	switch {
	case otherChannel:
		b.WriteString("you may " + string(req.Action) + " on " + where + " only from other channels")
	case len(heldRoles) > 0:
		b.WriteString("you have " + strings.Join(heldRoles, ", ") + " on " + where + ", but " +
			string(req.Action) + " needs " + p.roleText[req.Action])
	default:
		b.WriteString(string(req.Action) + " on " + where + " needs " + p.roleText[req.Action])
	}
	if groupsUnchecked != "" {
		b.WriteString("; your user groups could not be checked: " + groupsUnchecked + ", so try again or ask a policy admin")
	} else {
		b.WriteString("; ask a policy admin")
	}
	d.Reason = b.String()
	return d
}

// resolve turns the request's project (or the defaults) into a project ID
// and its alias. A non-empty reason is a user-facing denial.
func (p *Policy) resolve(req Request) (groupID, alias, reason string) {
	name := strings.ToLower(strings.TrimSpace(req.Project))
	if name == "" {
		name = p.channels[req.ChannelID]
		if name == "" {
			name = p.defaultProject
		}
		if name == "" {
			return "", "", "no project given and no default set: use --project"
		}
	}
	if id, ok := p.projects[name]; ok {
		return id, name, ""
	}
	if isGroupID(name) {
		return name, p.aliasByID[name], ""
	}
	if aliasPattern.MatchString(name) && len(name) <= maxAliasLen {
		return "", "", "unknown project " + name + ": use a project alias or ID the policy knows, or ask a policy admin to add it"
	}
	return "", "", "unknown project: use a project alias or ID the policy knows, or ask a policy admin to add it"
}

// checkGroups looks up the caller in the user groups of cands, concurrently,
// and returns the first candidate grant (in policy order) whose group holds
// the caller, with that group's ID. If none does and some lookup failed, it
// returns a short reason fit for the caller.
func (p *Policy) checkGroups(ctx context.Context, userID string, cands []*grant) (*grant, string, string) {
	if p.groups == nil {
		return nil, "", "no user-group lookup is configured"
	}
	type job struct {
		g     *grant
		group string
	}
	var jobs []job
	seen := map[string]bool{}
	for _, g := range cands {
		for _, s := range g.groups {
			if !seen[s] {
				seen[s] = true
				jobs = append(jobs, job{g, s})
			}
		}
	}
	member := make([]bool, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() { member[i], errs[i] = p.groups.IsMember(ctx, j.group, userID) })
	}
	wg.Wait()
	for i, j := range jobs {
		if member[i] && errs[i] == nil {
			return j.g, j.group, ""
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, "", shortReason(err)
		}
	}
	return nil, "", ""
}

func (p *Policy) audit(ctx context.Context, req Request, d Decision) {
	l := p.logger
	if l == nil {
		l = slog.Default()
	}
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
	l.LogAttrs(ctx, slog.LevelInfo, "access decision",
		slog.String("team_id", req.TeamID),
		slog.String("user_id", req.UserID),
		slog.String("channel_id", req.ChannelID),
		slog.String("action", string(req.Action)),
		slog.String("project", project),
		slog.String("group_id", d.GroupID),
		slog.String("decision", decision),
		slog.String("reason", d.Reason),
		slog.String("role", d.Role),
	)
}
