package atlasroute

import "slices"

// Operation is one operation of the spec excerpts.
type Operation struct {
	ID     string // the spec's operationId, e.g. "createGroupStreamWorkspace"
	Method string // e.g. "POST"
	// Path is the spec's path template, e.g.
	// "/api/atlas/v2/groups/{groupId}/streams/{tenantName}". A custom
	// method ends in its verb: ".../processor/{processorName}:start" is
	// matched by ".../processor/p1:start", the verb after the last colon of
	// the last segment.
	Path string
	// Success lists the media types of the operation's success response
	// (200, 201, 202 or 204, the first the spec documents), oldest first.
	Success []string
}

// The resource versions the excerpts document.
const (
	v20230101 = "application/vnd.atlas.2023-01-01+json"
	v20230201 = "application/vnd.atlas.2023-02-01+json"
	v20240530 = "application/vnd.atlas.2024-05-30+json"
	v20250219 = "application/vnd.atlas.2025-02-19+json"
	v20250312 = "application/vnd.atlas.2025-03-12+json"
)

const (
	streams    = APIPrefix + "groups/{groupId}/streams"
	workspace  = streams + "/{tenantName}"
	processor  = workspace + "/processor/{processorName}"
	connection = workspace + "/connections/{connectionName}"
)

// operations is every operation of atlasspec's excerpts
// (openapi-streams.yaml, openapi-users.yaml, openapi-streams-processors.yaml),
// each once. atlasspec's TestRouteTable fails, printing the entries to use,
// when this table and the excerpts differ: update both together.
var operations = []Operation{
	// openapi-streams.yaml
	{"listGroupStreamWorkspaces", "GET", streams, []string{v20230201}},
	{"createGroupStreamWorkspace", "POST", streams, []string{v20230201}},
	{"getGroupStreamWorkspace", "GET", workspace, []string{v20230201}},
	{"updateGroupStreamWorkspace", "PATCH", workspace, []string{v20230201}},
	{"deleteGroupStreamWorkspace", "DELETE", workspace, []string{v20230201}},
	// openapi-users.yaml
	{"listGroupUsers", "GET", APIPrefix + "groups/{groupId}/users", []string{v20230101, v20250219}},
	{"listGroupTeams", "GET", APIPrefix + "groups/{groupId}/teams", []string{v20230101}},
	{"listOrgUsers", "GET", APIPrefix + "orgs/{orgId}/users", []string{v20230101, v20250219}},
	{"getUserByName", "GET", APIPrefix + "users/byName/{userName}", []string{v20230101}},
	// openapi-streams-processors.yaml
	{"getGroupStreamProcessors", "GET", workspace + "/processors", []string{v20240530}},
	{"createGroupStreamProcessor", "POST", workspace + "/processor", []string{v20240530}},
	{"getGroupStreamProcessor", "GET", processor, []string{v20240530}},
	{"deleteGroupStreamProcessor", "DELETE", processor, []string{v20240530}},
	{"startGroupStreamProcessor", "POST", processor + ":start", []string{v20240530}},
	{"startGroupStreamProcessorWith", "POST", processor + ":startWith", []string{v20250312}},
	{"stopGroupStreamProcessor", "POST", processor + ":stop", []string{v20240530}},
	{"listGroupStreamConnections", "GET", workspace + "/connections", []string{v20230201}},
	{"createGroupStreamConnection", "POST", workspace + "/connections", []string{v20230201}},
	{"getGroupStreamConnection", "GET", connection, []string{v20230201}},
	{"deleteGroupStreamConnection", "DELETE", connection, []string{v20230201}},
}

// Operations returns the table of the excerpts' operations that [Route]
// matches, each once.
func Operations() []Operation {
	ops := slices.Clone(operations)
	for i := range ops {
		ops[i].Success = slices.Clone(ops[i].Success)
	}
	return ops
}
