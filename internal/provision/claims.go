package provision

import (
	"context"
	"sync"
	"time"
)

// Claims records that a once-only step happened: the decision on a
// confirmation (whichever of Apply, Delete or Cancel is clicked first), so
// that two clicks, a double click or a replayed click act once. The worker
// claims before the side effect.
//
// The DynamoDB state table (internal/state, STATE_TABLE) implements it with
// a conditional PutItem (attribute_not_exists(key) OR expiry < :now) and
// plugs in as [Deps].Claims in functions/create and cmd/streambot; until
// then [MemoryClaims] stands in, which is once-only within one process.
type Claims interface {
	// Claim reports whether this call is the first to claim key within
	// ttl. A lost race is (false, nil), not an error; err is a store
	// failure, after which the worker does nothing (it cannot know).
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// MemoryClaims is an in-memory [Claims], once-only within one process (the
// local server, tests, one warm Lambda container). The zero value is
// ready; it is safe for concurrent use.
type MemoryClaims struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu   sync.Mutex
	keys map[string]time.Time // key -> expiry
}

// Claim implements [Claims].
func (m *MemoryClaims) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	t := now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = make(map[string]time.Time)
	}
	if exp, ok := m.keys[key]; ok && t.Before(exp) {
		return false, nil
	}
	for k, exp := range m.keys { // keep the map small: drop the expired
		if !t.Before(exp) {
			delete(m.keys, k)
		}
	}
	m.keys[key] = t.Add(ttl)
	return true, nil
}

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
