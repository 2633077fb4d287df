package access

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/streambot/streambot/pkg/atlas"
)

// The environment variables [FromEnv] reads.
const (
	EnvPolicyFile = "ACCESS_POLICY_FILE" // path to a YAML or JSON policy
	EnvPolicy     = "ACCESS_POLICY"      // the policy itself, inline
)

const maxAliasLen = 64

var (
	aliasPattern   = regexp.MustCompile(`^[a-z0-9_-]+$`)
	userIDPattern  = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	groupIDPattern = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
	chanIDPattern  = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)
	// contactChanPattern: a channel people can be sent to (not a DM).
	contactChanPattern = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	teamIDPattern      = regexp.MustCompile(`^[TE][A-Z0-9]{2,}$`)
	yamlErrLine        = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

func isGroupID(s string) bool { return atlas.ValidateGroupID(s) == nil }

// Problem is one thing wrong with a policy document.
type Problem struct {
	Line    int    // 1-based line in the document; 0 if unknown
	Path    string // the field, e.g. "grants[1].subjects[0]"; may be empty
	Message string
}

// String formats p as `line 7: grants[1].subjects[0]: "U123" must be …`.
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		b.WriteString("line " + strconv.Itoa(p.Line) + ": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// PolicyError is returned by [Load] for a malformed policy. It lists every
// problem found, in line order.
type PolicyError struct {
	Problems []Problem
}

// Error implements error: one problem per line after a summary line.
func (e *PolicyError) Error() string {
	var b strings.Builder
	b.WriteString("invalid access policy")
	if len(e.Problems) == 1 {
		b.WriteString(": " + e.Problems[0].String())
		return b.String()
	}
	fmt.Fprintf(&b, ": %d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n" + p.String())
	}
	return b.String()
}

// FromEnv loads the policy named by the environment: ACCESS_POLICY_FILE (a
// path to a YAML or JSON file) or ACCESS_POLICY (the policy inline). Setting
// both is an error; setting neither gives a policy that denies everything
// (check [Policy.Empty] and warn).
func FromEnv(getenv func(string) string) (*Policy, error) {
	file, inline := getenv(EnvPolicyFile), getenv(EnvPolicy)
	switch {
	case file != "" && inline != "":
		return nil, fmt.Errorf("set %s or %s, not both", EnvPolicyFile, EnvPolicy)
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", EnvPolicyFile, err)
		}
		p, err := Load(data)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", EnvPolicyFile, file, err)
		}
		return p, nil
	case inline != "":
		p, err := Load([]byte(inline))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvPolicy, err)
		}
		return p, nil
	}
	return Load(nil)
}

// Load parses a policy document, YAML or JSON (JSON is YAML). Unknown keys
// are errors. A malformed document yields a *[PolicyError] listing every
// problem with its line and field; an empty one yields a policy that denies
// everything.
func Load(data []byte) (*Policy, error) {
	p := &Policy{
		projects:    map[string]string{},
		aliasByID:   map[string]string{},
		channels:    map[string]string{},
		actionRoles: defaultActionRoles(),
	}
	l := &loader{p: p, aliases: map[string]bool{}}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		return p.finish(), nil
	case err != nil:
		return nil, &PolicyError{Problems: []Problem{yamlProblem(err)}}
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, &PolicyError{Problems: []Problem{yamlProblem(err)}}
	default:
		l.add(extra.Line, "", "a policy is one YAML document; remove the second one")
	}
	if len(doc.Content) > 0 {
		l.document(doc.Content[0])
	}
	if len(l.problems) > 0 {
		sort.SliceStable(l.problems, func(i, j int) bool { return l.problems[i].Line < l.problems[j].Line })
		return nil, &PolicyError{Problems: l.problems}
	}
	return p.finish(), nil
}

// finish computes what Authorize needs from the loaded fields.
func (p *Policy) finish() *Policy {
	for alias, id := range p.projects {
		if cur, ok := p.aliasByID[id]; !ok || alias < cur {
			p.aliasByID[id] = alias
		}
	}
	return p
}

func yamlProblem(err error) Problem {
	msg := err.Error()
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return Problem{Line: n, Message: m[2]}
	}
	return Problem{Message: strings.TrimPrefix(msg, "yaml: ")}
}

// loader walks the YAML node tree, filling p and collecting problems.
type loader struct {
	p        *Policy
	problems []Problem
	aliases  map[string]bool // every key under projects, valid or not
}

func (l *loader) add(line int, path, format string, args ...any) {
	l.problems = append(l.problems, Problem{Line: line, Path: path, Message: fmt.Sprintf(format, args...)})
}

type pair struct{ key, value *yaml.Node }

// usable reports whether n can be read: aliases (*name) are refused rather
// than expanded, which keeps the walk linear in the document's size.
func (l *loader) usable(n *yaml.Node, path string) bool {
	if n.Kind == yaml.AliasNode {
		l.add(n.Line, path, "YAML aliases (*%s) are not supported; write the value out", n.Value)
		return false
	}
	return true
}

// mapping returns n's key/value pairs, reporting duplicate and non-string
// keys. It reports a problem and returns nil if n is not a mapping.
func (l *loader) mapping(n *yaml.Node, path, what string) []pair {
	if !l.usable(n, path) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		l.add(n.Line, path, "must be %s", what)
		return nil
	}
	var out []pair
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kp := join(path, k.Value)
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" || k.Value == "" {
			l.add(k.Line, path, "every key must be a non-empty string")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			l.add(k.Line, kp, "duplicate key (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, pair{k, v})
	}
	return out
}

// list returns n's items; it reports a problem and returns nil if n is not a
// sequence or is empty.
func (l *loader) list(n *yaml.Node, path, what string) []*yaml.Node {
	if !l.usable(n, path) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		l.add(n.Line, path, "must be a list of %s", what)
		return nil
	}
	if len(n.Content) == 0 {
		l.add(n.Line, path, "must list at least one of %s", what)
		return nil
	}
	return n.Content
}

// str returns n's text; it reports a problem and returns false if n is not a
// non-empty scalar. Any scalar type is read as its text, so an all-digit
// project ID works unquoted.
func (l *loader) str(n *yaml.Node, path string) (string, bool) {
	if !l.usable(n, path) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Value == "" {
		l.add(n.Line, path, "must be a non-empty string")
		return "", false
	}
	return n.Value, true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

var topKeys = []string{"teams", "projects", "default_project", "channels", "grants", "atlas_role_check", "default_region", "action_roles", "admin_contact", "approvals"}

func (l *loader) document(root *yaml.Node) {
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return // "~" or "null": an empty policy
	}
	byKey := map[string]pair{}
	for _, kv := range l.mapping(root, "", "a mapping with keys "+strings.Join(topKeys, ", ")) {
		if !slices.Contains(topKeys, kv.key.Value) {
			l.add(kv.key.Line, "", "unknown key %q (known keys: %s)", kv.key.Value, strings.Join(topKeys, ", "))
			continue
		}
		byKey[kv.key.Value] = kv
	}
	if kv, ok := byKey["teams"]; ok {
		l.teams(kv.value)
	}
	// Projects first: the other sections refer to their aliases.
	if kv, ok := byKey["projects"]; ok {
		l.projects(kv.value)
	}
	if kv, ok := byKey["default_project"]; ok {
		if alias, ok := l.str(kv.value, "default_project"); ok && l.knownAlias(kv.value, "default_project", alias) {
			l.p.defaultProject = alias
		}
	}
	if kv, ok := byKey["channels"]; ok {
		l.channels(kv.value)
	}
	if kv, ok := byKey["action_roles"]; ok {
		l.actionRoles(kv.value)
	}
	if kv, ok := byKey["grants"]; ok {
		l.grants(kv.value)
	}
	if kv, ok := byKey["atlas_role_check"]; ok {
		if !l.usable(kv.value, "atlas_role_check") || kv.value.Kind != yaml.ScalarNode || kv.value.Tag != "!!bool" {
			l.add(kv.value.Line, "atlas_role_check", "must be true or false")
		} else {
			_ = kv.value.Decode(&l.p.atlasRoleCheck) // cannot fail on a !!bool scalar
		}
	}
	if kv, ok := byKey["admin_contact"]; ok {
		if c, ok := l.subject(kv.value, "admin_contact", SubjectUser, SubjectGroup, SubjectChannel); ok {
			l.p.adminContact = c
		}
	}
	if kv, ok := byKey["approvals"]; ok {
		l.approvals(kv.value)
	}
	if kv, ok := byKey["default_region"]; ok {
		if r, ok := l.str(kv.value, "default_region"); ok {
			if _, known := atlas.ProviderOf(r); !known {
				l.add(kv.value.Line, "default_region", "%q is not an Atlas Stream Processing region (e.g. VIRGINIA_USA, eastus, US_CENTRAL1)", r)
			} else {
				l.p.defaultRegion = r
			}
		}
	}
}

func (l *loader) projects(n *yaml.Node) {
	for _, kv := range l.mapping(n, "projects", "a mapping of alias to project ID") {
		alias, path := kv.key.Value, join("projects", kv.key.Value)
		l.aliases[alias] = true
		ok := true
		switch {
		case !aliasPattern.MatchString(alias) || len(alias) > maxAliasLen:
			l.add(kv.key.Line, path, "an alias is up to %d lowercase letters, digits, \"_\" or \"-\"", maxAliasLen)
			ok = false
		case isGroupID(alias):
			l.add(kv.key.Line, path, "an alias must not look like a project ID")
			ok = false
		}
		id, idOK := l.str(kv.value, path)
		if idOK && !isGroupID(id) {
			l.add(kv.value.Line, path, "%q must be a project ID (24 lowercase hexadecimal characters)", id)
			idOK = false
		}
		if ok && idOK {
			l.p.projects[alias] = id
		}
	}
}

// knownAlias reports whether alias is defined under projects, reporting a
// problem at n if not. An alias that is itself malformed was already
// reported, so it is not reported again.
func (l *loader) knownAlias(n *yaml.Node, path, alias string) bool {
	if _, ok := l.p.projects[alias]; ok {
		return true
	}
	if l.aliases[alias] {
		return false // its own problem is already reported under projects
	}
	l.add(n.Line, path, "unknown alias %q (not under projects)", alias)
	return false
}

// teams reads the optional list of Slack workspace (team) IDs the policy
// applies to. An entry E… is an Enterprise Grid organization: a request's
// team_id is always a workspace's T…, so an E… entry is matched against the
// request's enterprise_id instead, and covers every workspace of the
// organization. That is what an admin who writes an organization's ID
// means, and on an org-wide install (one installation for the whole
// organization) it is the one ID that does not change from workspace to
// workspace.
func (l *loader) teams(n *yaml.Node) {
	items := l.list(n, "teams", "Slack team IDs (leave the key out to allow any workspace the app is installed in)")
	l.p.teams = []string{}
	for i, tn := range items {
		path := index("teams", i)
		id, ok := l.str(tn, path)
		if ok && !teamIDPattern.MatchString(id) {
			l.add(tn.Line, path, "%q must be a Slack workspace ID (T…) or Enterprise Grid organization ID (E…), upper case", id)
			ok = false
		}
		if ok {
			l.p.teams = append(l.p.teams, id)
		}
	}
}

func (l *loader) channels(n *yaml.Node) {
	for _, kv := range l.mapping(n, "channels", "a mapping of channel ID to project alias") {
		ch, path := kv.key.Value, join("channels", kv.key.Value)
		ok := true
		if !chanIDPattern.MatchString(ch) {
			l.add(kv.key.Line, path, "%q must be a Slack channel ID (C…, G… or D…)", ch)
			ok = false
		}
		alias, aliasOK := l.str(kv.value, path)
		if aliasOK {
			aliasOK = l.knownAlias(kv.value, path, alias)
		}
		if ok && aliasOK {
			l.p.channels[ch] = alias
		}
	}
}

// role checks one role name.
func (l *loader) role(n *yaml.Node, path string) (string, bool) {
	r, ok := l.str(n, path)
	if !ok {
		return "", false
	}
	if !slices.Contains(projectRoles, r) {
		l.add(n.Line, path, "%q is not an Atlas project role (one of %s)", r, strings.Join(projectRoles, ", "))
		return "", false
	}
	return r, true
}

func (l *loader) actionRoles(n *yaml.Node) {
	names := make([]string, len(actions))
	for i, a := range actions {
		names[i] = string(a)
	}
	for _, kv := range l.mapping(n, "action_roles", "a mapping of action to a list of roles") {
		a, path := Action(kv.key.Value), join("action_roles", kv.key.Value)
		if !slices.Contains(actions, a) {
			l.add(kv.key.Line, "action_roles", "unknown action %q (one of %s)", a, strings.Join(names, ", "))
			continue
		}
		var roles []string
		valid := true
		allowed := defaultActionRoles()[a] // action_roles may narrow these, never widen them
		for i, item := range l.list(kv.value, path, "Atlas project roles") {
			r, ok := l.role(item, index(path, i))
			if ok && !slices.Contains(allowed, r) {
				l.add(item.Line, index(path, i), "%q cannot allow %s: Atlas lets only %s do that", r, a, strings.Join(allowed, ", "))
				ok = false
			}
			if !ok {
				valid = false
			} else if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
		if valid && len(roles) > 0 {
			l.p.actionRoles[a] = roles
		}
	}
}

var grantKeys = []string{"subjects", "projects", "role", "channels"}

func (l *loader) grants(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "grants:" with nothing under it: no grants
	}
	if !l.usable(n, "grants") {
		return
	}
	if n.Kind != yaml.SequenceNode {
		l.add(n.Line, "grants", "must be a list of grants")
		return
	}
	for i, gn := range n.Content {
		path := index("grants", i)
		g := grant{index: i}
		fields, valid, skip := l.entry(gn, path, grantKeys, "subjects", "projects", "role")
		if skip {
			continue // already reported
		}
		if v := fields["subjects"]; v != nil {
			for j, sn := range l.list(v, path+".subjects", "subjects (user:<ID> or group:<ID>)") {
				s, ok := l.subject(sn, index(path+".subjects", j), SubjectUser, SubjectGroup)
				switch {
				case !ok:
					valid = false
				case s.Kind == SubjectUser:
					g.users = append(g.users, s.ID)
				default:
					g.groups = append(g.groups, s.ID)
				}
			}
			valid = valid && len(g.users)+len(g.groups) > 0
		}
		if v := fields["projects"]; v != nil {
			var ok bool
			g.projects, g.allProjects, ok = l.projectList(v, path+".projects")
			valid = valid && ok
		}
		if v := fields["role"]; v != nil {
			r, ok := l.role(v, path+".role")
			g.role, valid = r, valid && ok
		}
		if v := fields["channels"]; v != nil {
			items := l.list(v, path+".channels", "channel IDs (leave the key out to allow every channel)")
			g.channels = []string{}
			for j, cn := range items {
				cp := index(path+".channels", j)
				ch, ok := l.str(cn, cp)
				if ok && !chanIDPattern.MatchString(ch) {
					l.add(cn.Line, cp, "%q must be a Slack channel ID (C…, G… or D…)", ch)
					ok = false
				}
				if ok {
					g.channels = append(g.channels, ch)
				}
				valid = valid && ok
			}
			valid = valid && len(items) > 0
		}
		if valid {
			l.p.grants = append(l.p.grants, g)
		}
	}
}

// subject parses "user:U…", "group:S…" or (where kinds allow it)
// "channel:C…".
func (l *loader) subject(n *yaml.Node, path string, kinds ...SubjectKind) (Subject, bool) {
	s, ok := l.str(n, path)
	if !ok {
		return Subject{}, false
	}
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k) + ":<ID>"
	}
	kind, id, found := strings.Cut(s, ":")
	switch {
	case !found || !slices.Contains(kinds, SubjectKind(kind)):
		l.add(n.Line, path, "%q must be %s", s, orList(names))
		return Subject{}, false
	case kind == "user" && !userIDPattern.MatchString(id):
		l.add(n.Line, path, "%q: a Slack user ID is U or W followed by capital letters and digits%s", s, subjectHint(id))
		return Subject{}, false
	case kind == "group" && !groupIDPattern.MatchString(id):
		l.add(n.Line, path, "%q: a Slack user-group ID is S followed by capital letters and digits%s", s, subjectHint(id))
		return Subject{}, false
	case kind == "channel" && !contactChanPattern.MatchString(id):
		l.add(n.Line, path, "%q: a Slack channel ID is C or G followed by capital letters and digits", s)
		return Subject{}, false
	}
	return Subject{Kind: SubjectKind(kind), ID: id}, true
}

// subjectHint says what a misfiled subject ID probably is: a user-group ID
// under user:, a user ID under group:, or an ID in lower case. It returns ""
// when it has no guess.
func subjectHint(id string) string {
	switch up := strings.ToUpper(id); {
	case up != id && userIDPattern.MatchString(up):
		return "; Slack IDs are upper case: user:" + up
	case up != id && groupIDPattern.MatchString(up):
		return "; Slack IDs are upper case: group:" + up
	case groupIDPattern.MatchString(id):
		return "; " + id + " is a user group, so write group:" + id
	case userIDPattern.MatchString(id):
		return "; " + id + " is a user, so write user:" + id
	}
	return ""
}

// project parses one entry of a grant's or an approvals entry's projects:
// a project ID, or "*" (all true).
// projectList reads a list of projects (aliases, IDs or "*") at path, as
// grants and approval rules name them: the project IDs, without repeats,
// whether "*" was among them, and whether every item was valid and the
// list not empty (each problem reported).
func (l *loader) projectList(n *yaml.Node, path string) (ids []string, all, ok bool) {
	items := l.list(n, path, `project aliases, project IDs or "*"`)
	ok = len(items) > 0
	for j, pn := range items {
		id, star, good := l.project(pn, index(path, j))
		switch {
		case !good:
			ok = false
		case star:
			all = true
		case !slices.Contains(ids, id):
			ids = append(ids, id)
		}
	}
	return ids, all, ok
}

func (l *loader) project(n *yaml.Node, path string) (id string, all, ok bool) {
	s, ok := l.str(n, path)
	if !ok {
		return "", false, false
	}
	switch id, known := l.p.projects[s]; {
	case s == "*":
		return "", true, true
	case known:
		return id, false, true
	case l.aliases[s]:
		return "", false, false // its own problem is already reported under projects
	case isGroupID(s):
		return s, false, true
	case aliasPattern.MatchString(s):
		l.add(n.Line, path, "unknown alias %q (not under projects)", s)
	default:
		l.add(n.Line, path, "%q must be a project alias, a project ID (24 lowercase hexadecimal characters) or \"*\"", s)
	}
	return "", false, false
}

var approvalKeys = []string{"projects", "actions", "approvers", "expires"}

// approvals reads the optional approvals list: which changes on which
// projects wait for a second person.
func (l *loader) approvals(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "approvals:" with nothing under it
	}
	if !l.usable(n, "approvals") {
		return
	}
	if n.Kind != yaml.SequenceNode {
		l.add(n.Line, "approvals", "must be a list of approval rules (keys %s)", strings.Join(approvalKeys, ", "))
		return
	}
	changeNames := make([]string, len(changes))
	for i, a := range changes {
		changeNames[i] = string(a)
	}
	for i, an := range n.Content {
		path := index("approvals", i)
		ap := approval{index: i, line: an.Line, expires: DefaultApprovalExpiry}
		fields, valid, skip := l.entry(an, path, approvalKeys, "projects", "actions", "approvers")
		if skip {
			continue // already reported
		}
		if v := fields["projects"]; v != nil {
			var ok bool
			ap.projects, ap.allProjects, ok = l.projectList(v, path+".projects")
			valid = valid && ok
		}
		if v := fields["actions"]; v != nil {
			items := l.list(v, path+".actions", "actions ("+strings.Join(changeNames, ", ")+")")
			for j, item := range items {
				ip := index(path+".actions", j)
				s, ok := l.str(item, ip)
				a := Action(s)
				switch {
				case !ok:
				case slices.Contains(changes, a):
					if !slices.Contains(ap.actions, a) {
						ap.actions = append(ap.actions, a)
					}
					continue
				case slices.Contains(actions, a):
					l.add(item.Line, ip, "%s changes nothing, so it needs no approval (approvals apply to %s)", s, strings.Join(changeNames, ", "))
				default:
					l.add(item.Line, ip, "unknown action %q (one of %s)", s, strings.Join(changeNames, ", "))
				}
				valid = false
			}
			valid = valid && len(items) > 0
		}
		if v := fields["approvers"]; v != nil {
			items := l.list(v, path+".approvers", "approvers (user:<ID> or group:<ID>)")
			for j, sn := range items {
				s, ok := l.subject(sn, index(path+".approvers", j), SubjectUser, SubjectGroup)
				switch {
				case !ok:
					valid = false
				case !slices.Contains(ap.approvers, s):
					ap.approvers = append(ap.approvers, s)
				}
			}
			valid = valid && len(items) > 0
		}
		if v := fields["expires"]; v != nil {
			d, ok := l.duration(v, path+".expires")
			ap.expires, valid = d, valid && ok
		}
		if valid {
			l.overlap(&ap)
			l.p.approvals = append(l.p.approvals, ap)
		}
	}
}

// duration reads an approval's expires: a Go duration ("30m", "1h",
// "1h30m") from a minute to a day.
func (l *loader) duration(n *yaml.Node, path string) (time.Duration, bool) {
	s, ok := l.str(n, path)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil || n.Kind != yaml.ScalarNode:
		l.add(n.Line, path, "%q must be a duration such as 30m, 1h or 1h30m", s)
	case d < minApprovalExpiry:
		l.add(n.Line, path, "%q is too short: give approvers at least 1m", s)
	case d > MaxApprovalExpiry:
		l.add(n.Line, path, "%q is too long: at most 24h", s)
	default:
		return d, true
	}
	return 0, false
}

// overlap reports an approvals entry that covers a project and action an
// earlier entry covers: each change has one set of approvers and one
// expiry, so the policy must say which.
func (l *loader) overlap(ap *approval) {
	for i := range l.p.approvals {
		prev := &l.p.approvals[i]
		var acts []string
		for _, a := range ap.actions {
			if slices.Contains(prev.actions, a) {
				acts = append(acts, string(a))
			}
		}
		if len(acts) == 0 {
			continue
		}
		var where string
		switch {
		case ap.allProjects && prev.allProjects:
			where = "every project"
		case ap.allProjects:
			where = l.projectNames(prev.projects)
		case prev.allProjects:
			where = l.projectNames(ap.projects)
		default:
			var common []string
			for _, id := range ap.projects {
				if slices.Contains(prev.projects, id) {
					common = append(common, id)
				}
			}
			if len(common) == 0 {
				continue
			}
			where = l.projectNames(common)
		}
		l.add(ap.line, index("approvals", ap.index), "covers %s on %s, as approvals[%d] (line %d) does: give each project and action one entry",
			strings.Join(acts, ", "), where, prev.index, prev.line)
		return
	}
}

// projectNames names project IDs by alias where they have one.
func (l *loader) projectNames(ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = id
		for alias, aid := range l.p.projects {
			if aid == id && (names[i] == id || alias < names[i]) {
				names[i] = alias
			}
		}
	}
	return strings.Join(names, ", ")
}

// entry reads one mapping of a list (a grant, an approval rule) into its
// values by key. Unknown keys and missing required ones are reported, and
// make valid false; skip is true when n is not a mapping at all (reported
// already by mapping), so the caller moves on to the next entry.
func (l *loader) entry(n *yaml.Node, path string, keys []string, required ...string) (fields map[string]*yaml.Node, valid, skip bool) {
	pairs := l.mapping(n, path, "a mapping with keys "+strings.Join(keys, ", "))
	if pairs == nil && (n.Kind != yaml.MappingNode || len(n.Content) > 0) {
		return nil, false, true
	}
	fields, valid = map[string]*yaml.Node{}, true
	for _, kv := range pairs {
		if !slices.Contains(keys, kv.key.Value) {
			l.add(kv.key.Line, path, "unknown key %q (known keys: %s)", kv.key.Value, strings.Join(keys, ", "))
			valid = false
			continue
		}
		fields[kv.key.Value] = kv.value
	}
	for _, k := range required {
		if fields[k] == nil {
			l.add(n.Line, path, "missing %q", k)
			valid = false
		}
	}
	return fields, valid, false
}
