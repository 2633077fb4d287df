package state

import (
	"errors"
	"fmt"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrExists: [Store.Begin] found the ID taken; the request is a replay
	// (or a second click) of one already handled. The [*ConflictError]
	// holds the first one's item.
	ErrExists = errors.New("operation exists")
	// ErrConflict: a conditional step found the operation in another state;
	// the [*ConflictError] holds the item as it is and why.
	ErrConflict = errors.New("operation is not in the required state")
	// ErrNotFound: no operation has the ID.
	ErrNotFound = errors.New("no such operation")
	// ErrUnavailable: the table could not be used (missing, throttled,
	// unreachable); nothing was recorded, so the guarded step must not run.
	ErrUnavailable = errors.New("the state table is unavailable")
)

// ConflictError is the normal "someone else has it" answer of a
// conditional write. It matches [ErrExists] (from [Store.Begin]) or
// [ErrConflict] (from the other methods).
type ConflictError struct {
	// ID is the operation's ID; Step what was attempted: "begin", "set
	// parent" or "claim", "approve", ... (the target status's verb).
	ID, Step string
	// Refusal says which condition failed.
	Refusal Refusal
	// Current is the item as it was when the write was refused.
	Current *Operation
}

// Error reads like `state: approve "ID": refused (requester): status pending_approval`.
func (e *ConflictError) Error() string {
	status := ""
	if e.Current != nil {
		status = string(e.Current.Status)
	}
	return fmt.Sprintf("state: %s %q: refused (%s): status %s", e.Step, e.ID, e.Refusal, status)
}

// Is makes errors.Is match [ErrExists] or [ErrConflict].
func (e *ConflictError) Is(target error) bool {
	if e.Refusal == RefusedExists {
		return target == ErrExists
	}
	return target == ErrConflict
}

// UnavailableError is returned when the table could not be used. It
// matches [ErrUnavailable] and wraps the [DynamoClient]'s error.
type UnavailableError struct {
	// Table is the table's name; Reason one of "missing", "throttled",
	// "unreachable".
	Table, Reason string
	Err           error
}

// The reasons of an [UnavailableError].
const (
	ReasonMissing     = "missing"     // ResourceNotFoundException: no such table (or no index)
	ReasonThrottled   = "throttled"   // throughput or request-rate limits, after the client's retries
	ReasonUnreachable = "unreachable" // no answer: network, or the caller's deadline
)

// Error reads like `state: table "T" is unavailable (throttled): ...`.
func (e *UnavailableError) Error() string {
	return fmt.Sprintf("state: table %q is unavailable (%s): %v", e.Table, e.Reason, e.Err)
}

// Is makes errors.Is match [ErrUnavailable].
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Unwrap returns the client's error.
func (e *UnavailableError) Unwrap() error { return e.Err }

// stepName names a transition for errors and logs.
func stepName(t *Transition) string {
	if t.IfUnowned {
		return "announce"
	}
	switch t.To {
	case StatusRunning:
		return "claim"
	case StatusApproved:
		return "approve"
	case StatusRejected:
		return "reject"
	case StatusCancelled:
		return "cancel"
	case StatusExpired:
		return "expire"
	case StatusDone, StatusFailed:
		return "finish"
	case StatusQueued:
		return "release"
	case StatusPendingApproval:
		return "unapprove"
	}
	return "transition to " + string(t.To)
}

var errNoProject = errors.New("state: history: no project")

func notFound(step, id string) error {
	return fmt.Errorf("state: %s %q: %w", step, id, ErrNotFound)
}
