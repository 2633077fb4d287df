package access

import "slices"

// Action is something a caller asks streambot to do on a project.
type Action string

// The actions the policy knows. Each has a set of Atlas project roles that
// allow it, which the policy's action_roles key may narrow but not widen:
// create and delete never allow a role that Atlas itself does not let
// create or delete a stream workspace.
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

// writeRoles are the roles the create-stream-workspace endpoint names; they
// allow create and delete by default.
var writeRoles = []string{"GROUP_OWNER", "GROUP_DATA_ACCESS_ADMIN", "GROUP_STREAM_PROCESSING_OWNER"}

// ProjectRoles returns the Atlas project role names a policy may use, in a
// fresh slice.
func ProjectRoles() []string { return slices.Clone(projectRoles) }

// defaultActionRoles returns the role sets used for actions the policy's
// action_roles key does not mention: create and delete need one of
// GROUP_OWNER, GROUP_DATA_ACCESS_ADMIN or GROUP_STREAM_PROCESSING_OWNER;
// list and describe need any project role.
func defaultActionRoles() map[Action][]string {
	return map[Action][]string{
		ActionCreate:   slices.Clone(writeRoles),
		ActionDelete:   slices.Clone(writeRoles),
		ActionUpdate:   slices.Clone(writeRoles),
		ActionOperate:  slices.Clone(writeRoles),
		ActionList:     slices.Clone(projectRoles),
		ActionDescribe: slices.Clone(projectRoles),
	}
}
