package provision

import "context"

// WorkspaceCounts is how many processors (and how many of them run) and
// connections a workspace holds, for the delete confirmation.
type WorkspaceCounts struct {
	Processors, Running, Connections int
}

// WorkspaceCounter counts what lives in a workspace. The Atlas processors
// and connections client (pkg/atlas processors.go, connections.go) plugs in
// as [Deps].Counts with a small adapter: list the processors (count those
// whose state is STARTED as running) and the connections of groupID's
// workspace. Without one the delete confirmation says "unknown".
type WorkspaceCounter interface {
	CountWorkspace(ctx context.Context, groupID, workspace string) (WorkspaceCounts, error)
}
