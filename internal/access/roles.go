package access

import "slices"

// Action is something a caller asks streambot to do on a project.
type Action string

// The actions the policy knows. Each has a set of Atlas project roles that
// allow it (see [DefaultRoles]), which the policy's action_roles key may
// narrow but not widen: no action ever allows a role that Atlas itself does
// not let make the calls behind it.
const (
	ActionCreate   Action = "create"
	ActionList     Action = "list"
	ActionDescribe Action = "describe"
	ActionDelete   Action = "delete"
	ActionUpdate   Action = "update"
	// ActionOperate starts and stops stream processors.
	ActionOperate Action = "operate"
)

// actions lists the known actions in the order error messages show them.
var actions = []Action{ActionCreate, ActionList, ActionDescribe, ActionUpdate, ActionDelete, ActionOperate}

// changes lists the actions that change something in Atlas: the ones an
// approvals entry may name.
var changes = []Action{ActionCreate, ActionUpdate, ActionDelete, ActionOperate}

// Resource is what an action reads or changes: a stream workspace (the zero
// value), its processors or its connections. Reading processors and
// connections uses the list and describe actions, but Atlas asks more of
// the caller for them than for reading workspaces, so a [Request] names
// its resource and the policy requires the roles Atlas requires for that
// resource (see [DefaultRoles]).
type Resource string

// The resources. The zero value is a stream workspace.
const (
	ResourceWorkspace  Resource = ""
	ResourceProcessor  Resource = "processor"
	ResourceConnection Resource = "connection"
)

// label names action a on resource r in a reason: "list processors",
// "create". Operate always acts on processors, so it needs no noun.
func label(a Action, r Resource) string {
	switch {
	case a == ActionOperate:
		return string(a)
	case r == ResourceProcessor:
		return string(a) + " processors"
	case r == ResourceConnection:
		return string(a) + " connections"
	}
	return string(a)
}

// projectRoles are Atlas's project role names, as the Admin API spells them.
// The users excerpt in pkg/atlas/atlasspec carries no enum for project roles
// (it was dropped upstream; see the excerpt's header), so this list follows
// the last published enum of project roles in the full Admin API v2 spec
// (alert notification roles, which name every project role).
var projectRoles = []string{
	"GROUP_OWNER",
	"GROUP_CLUSTER_MANAGER",
	"GROUP_STREAM_PROCESSING_OWNER",
	"GROUP_DATA_ACCESS_ADMIN",
	"GROUP_DATA_ACCESS_READ_WRITE",
	"GROUP_DATA_ACCESS_READ_ONLY",
	"GROUP_READ_ONLY",
	"GROUP_SEARCH_INDEX_EDITOR",
	"GROUP_BACKUP_MANAGER",
	"GROUP_OBSERVABILITY_VIEWER",
	"GROUP_DATABASE_ACCESS_ADMIN",
}

// The role sets of MongoDB's Admin API v2 spec (x-rolesRequirements), as
// Atlas project role names. The spec names roles by their titles; the
// mapping is
//
//	Project Owner                       GROUP_OWNER
//	Project Stream Processing Manager   GROUP_STREAM_PROCESSING_OWNER
//	Project Data Access Admin           GROUP_DATA_ACCESS_ADMIN
//	Project Data Access Read Write      GROUP_DATA_ACCESS_READ_WRITE
//	Project Data Access Read Only       GROUP_DATA_ACCESS_READ_ONLY
//	Project Read Only                   every project role
//
// Organization roles (Organization Stream Processing Admin) do not apply:
// a grant gives a project role. The spec names the least role that may
// make a call; Project Owner holds every project privilege, so GROUP_OWNER
// is in every set, and Project Read Only is the floor every project role
// stands on, so "Project Read Only" means any project role.
// docs/policy-roles.md has the table per action and per API operation.
var (
	// writeRoles: POST /streams (create), PATCH and DELETE
	// /streams/{tenantName} (update, delete).
	writeRoles = []string{"GROUP_OWNER", "GROUP_DATA_ACCESS_ADMIN", "GROUP_STREAM_PROCESSING_OWNER"}
	// processorRoles: :start, :startWith and :stop (operate); GET
	// /processors and /processor/{name} (list and describe processors).
	processorRoles = []string{"GROUP_OWNER", "GROUP_STREAM_PROCESSING_OWNER"}
	// connectionListRoles: GET /connections (list connections).
	connectionListRoles = []string{"GROUP_OWNER", "GROUP_DATA_ACCESS_ADMIN", "GROUP_DATA_ACCESS_READ_WRITE",
		"GROUP_DATA_ACCESS_READ_ONLY", "GROUP_STREAM_PROCESSING_OWNER"}
)

// ProjectRoles returns the Atlas project role names a policy may use, in a
// fresh slice.
func ProjectRoles() []string { return slices.Clone(projectRoles) }

// DefaultRoles returns the Atlas project roles that allow action a on
// resource r when the policy's action_roles does not narrow them, in a
// fresh slice; nil for an unknown action or an action that does not apply
// to r. They follow MongoDB's spec (x-rolesRequirements) for the calls
// behind the action:
//
//	create, update, delete     GROUP_OWNER, GROUP_DATA_ACCESS_ADMIN, GROUP_STREAM_PROCESSING_OWNER
//	operate                    GROUP_OWNER, GROUP_STREAM_PROCESSING_OWNER
//	list, describe workspaces  any project role
//	list, describe processors  GROUP_OWNER, GROUP_STREAM_PROCESSING_OWNER
//	list connections           GROUP_OWNER, GROUP_DATA_ACCESS_ADMIN, GROUP_DATA_ACCESS_READ_WRITE,
//	                           GROUP_DATA_ACCESS_READ_ONLY, GROUP_STREAM_PROCESSING_OWNER
//	describe connections       any project role
//
// Reading one workspace (GET /streams/{tenantName}) names the data-access
// roles in the spec, while listing them all (GET /streams) needs only
// Project Read Only and returns the same fields; describe follows list,
// since requiring more would protect nothing.
func DefaultRoles(a Action, r Resource) []string { return slices.Clone(defaultRoles(a, r)) }

// defaultRoles is DefaultRoles without the copy, for reading only (the
// policy asks it on every decision).
func defaultRoles(a Action, r Resource) []string {
	var roles []string
	switch {
	case a == ActionOperate:
		roles = processorRoles // operate acts on processors whatever r says
	case r == ResourceWorkspace && (a == ActionCreate || a == ActionUpdate || a == ActionDelete):
		roles = writeRoles
	case r == ResourceWorkspace && (a == ActionList || a == ActionDescribe):
		roles = projectRoles
	case r == ResourceProcessor && (a == ActionList || a == ActionDescribe):
		roles = processorRoles
	case r == ResourceConnection && a == ActionList:
		roles = connectionListRoles
	case r == ResourceConnection && a == ActionDescribe:
		roles = projectRoles
	}
	return roles
}

// defaultActionRoles returns, per action, the widest role set the action
// allows on any resource: the most the policy's action_roles may list.
func defaultActionRoles() map[Action][]string {
	m := map[Action][]string{}
	for _, a := range actions {
		for _, r := range []Resource{ResourceWorkspace, ResourceProcessor, ResourceConnection} {
			for _, role := range DefaultRoles(a, r) {
				if !slices.Contains(m[a], role) {
					m[a] = append(m[a], role)
				}
			}
		}
	}
	return m
}
