// Package state is streambot's record of operations: one item per
// operation (a create, an update, a delete, a start, ...), shared by every
// container of both functions, so that each step that must happen once is
// decided once, by a conditional write, before its side effect.
//
// The model follows Powertools' idempotency layer for Lambda
// (aws-powertools/powertools-lambda-python, persistence/dynamodb.py): the
// first writer of an ID wins ([Store.Begin] is PutItem with
// attribute_not_exists), later steps are conditional UpdateItems
// ([Store.SetParent], [Store.Transition]), reads are consistent, and a failed
// condition is the normal "someone else has it" answer: a [*ConflictError]
// carrying the item as it is, never a generic failure.
//
// The once-only steps and the calls that make them once:
//
//   - Replay detection: the Slack edge calls [Store.Begin] with the
//     trigger_id of the slash command (or of the click that starts an
//     operation, e.g. Delete… on a describe) before it hands off a Job. A
//     replayed request gets [ErrExists] with the first request's item,
//     whose ParentChannel/ParentTS link to its thread. A confirmation's
//     click decides once by the worker's [Claim] on the operation its
//     button names.
//   - Run once: the worker calls [Store.Transition] with [Claim] before any
//     Atlas write. One caller wins; the others get [ErrConflict]. A worker
//     retried after its predecessor died takes over once the dead claim's
//     lease has passed.
//   - Parent once: the claimant posts the parent message only when the
//     claimed item has no ParentTS, then records it with [Store.SetParent];
//     a retried worker finds ParentTS set and finishes that parent.
//   - Approval once: [Approve] (by someone other than the requester, before
//     ExpiresAt), [Reject], [Cancel] (by the requester) and [Expire] move a
//     pending_approval item exactly once; a second click gets [ErrConflict]
//     with the decision already made.
//   - Expiry shown: the worker's scheduled sweep lists the lapsed requests
//     with [Store.ExpiredApprovals] and records each one's lapse with
//     [Expire] (a click after the expiry does the same on the edge); of a
//     sweep and a click, or two sweeps, one writes it. A recorded expiry
//     stays listed until its [Announce], so that one written and never
//     shown is shown by the next sweep.
//   - Decision noted once: the worker that re-renders a rejected,
//     cancelled or expired request takes [Announce] before it posts the
//     decision in the thread.
//   - One final answer: [Finish] moves the claimant's running item to done or
//     failed with its outcome.
//
// Two stores implement [Store]: [Dynamo], the DynamoDB table STATE_TABLE
// declared in infra/template.yaml, for the Lambda functions; and [Memory],
// for one process (`streambot serve`, `make run`, unit tests). [FromEnv]
// picks one. docs/state-table.md describes the table for operators.
//
// Any error other than a conflict means the record was not written (or may
// not have been): the caller must not perform the step it guards. A missing
// or throttled table is an [*UnavailableError] (errors.Is(err,
// [ErrUnavailable])), so the caller can say "the state table is unavailable,
// nothing was done".
package state

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// Store records operations. Every method is safe for concurrent use, also
// across processes for [Dynamo]. Methods that change an item return it as
// written.
type Store interface {
	// Begin records a new operation, if no operation with its ID exists:
	// the first writer wins. op.Status must be StatusQueued or
	// StatusPendingApproval (which needs ExpiresAt in the future); ID,
	// Kind, Requester and GroupID are required. The store sets CreatedAt,
	// UpdatedAt and, when zero, TTL, and clears what later steps record
	// (parent, outcome, decision, claim). If the ID exists,
	// Begin returns a [*ConflictError] matching [ErrExists] whose Current is
	// the existing item.
	Begin(ctx context.Context, op Operation) (*Operation, error)

	// Get returns the operation with the given ID, read consistently, or an
	// error matching [ErrNotFound].
	Get(ctx context.Context, id string) (*Operation, error)

	// SetParent records the parent message (channel and ts) of operation
	// id, once. If a parent is already recorded it returns a
	// [*ConflictError] matching [ErrConflict] whose Current holds that
	// parent: the caller finishes that thread and deletes or abandons any
	// message of its own.
	SetParent(ctx context.Context, id, channel, ts string) (*Operation, error)

	// Transition moves operation id as t describes, if t's conditions hold
	// when the write happens (one conditional write). Otherwise it returns a
	// [*ConflictError] matching [ErrConflict] with the item as it is and the
	// [Refusal] that applies, or [ErrNotFound].
	Transition(ctx context.Context, id string, t Transition) (*Operation, error)

	// History returns the last limit operations (at most [MaxHistory]; 0
	// means [DefaultHistory]) on the project groupID, newest first, or only
	// those on workspace when it is not empty. It may miss writes of the
	// last second or so ([Dynamo] reads a global secondary index, which is
	// eventually consistent).
	History(ctx context.Context, groupID, workspace string, limit int) ([]Operation, error)

	// ExpiredApprovals returns the approvals whose lapse is still to be
	// shown at the store's clock ([Operation.ExpiryToShow]: waiting with
	// ExpiresAt not after now, or expired and not yet announced), the
	// longest lapsed first, at most limit (at most [MaxExpired]; 0 means
	// [MaxExpired]): what the worker's sweep expires and shows. It records
	// nothing; the caller's [Expire] decides, once, and [Announce] shows
	// it once. [Dynamo] reads a sparse global secondary index, which is
	// eventually consistent: an operation decided a moment ago may still
	// be listed (its Expire then conflicts), and one that lapsed a moment
	// ago may be missing until the next call.
	ExpiredApprovals(ctx context.Context, limit int) ([]Operation, error)
}

// History limits.
const (
	DefaultHistory = 20  // what /stream history shows
	MaxHistory     = 100 // the most one call returns
)

// MaxExpired bounds one [Store.ExpiredApprovals] call, so that a sweep's
// work is bounded; the next sweep gets the rest.
const MaxExpired = 100

// DefaultRetention is how long an item is kept after it was created (or,
// if later, after its approval expired): its TTL. DynamoDB deletes expired
// items within a few days of their TTL.
const DefaultRetention = 30 * 24 * time.Hour

// MaxRequestSize bounds Operation.Request (DynamoDB items are at most
// 400 KB).
const MaxRequestSize = 64 << 10

// MaxIDLength bounds Operation.ID (DynamoDB allows 2048-byte keys; Slack's
// trigger IDs are under 100).
const MaxIDLength = 512

// Status is where an operation stands. The constants are the complete list.
type Status string

// The statuses. An operation starts queued or pending_approval; the arrows
// are the transitions of [Claim], [Approve], [Reject], [Cancel], [Expire]
// and [Finish]:
//
//	queued ─────────────────────────────▶ running ──▶ done | failed
//	pending_approval ──▶ approved ──────▶ running
//	pending_approval ──▶ rejected | cancelled | expired
//
// [Release] gives a running claim back to queued (the worker's answer
// reached nobody and Lambda retries the Job); [Unapprove] gives an
// unclaimed approval back to pending_approval (its Job could not be handed
// to the worker); a confirmation's Cancel finishes a running claim as
// cancelled.
const (
	StatusQueued          Status = "queued"           // accepted, handed to the worker
	StatusPendingApproval Status = "pending_approval" // waiting for an approver
	StatusApproved        Status = "approved"         // approved, handed to the worker
	StatusRejected        Status = "rejected"         // an approver said no
	StatusCancelled       Status = "cancelled"        // the requester withdrew it
	StatusExpired         Status = "expired"          // nobody approved (or confirmed) it in time
	StatusRunning         Status = "running"          // a worker has claimed it
	StatusDone            Status = "done"             // finished; Outcome says what happened
	StatusFailed          Status = "failed"           // finished with an error; Outcome says which
)

var statuses = []Status{
	StatusQueued, StatusPendingApproval, StatusApproved, StatusRejected, StatusCancelled,
	StatusExpired, StatusRunning, StatusDone, StatusFailed,
}

// Valid reports whether s is one of the constants.
func (s Status) Valid() bool { return slices.Contains(statuses, s) }

// Final reports whether nothing more happens to an operation in status s.
func (s Status) Final() bool {
	switch s {
	case StatusRejected, StatusCancelled, StatusExpired, StatusDone, StatusFailed:
		return true
	}
	return false
}

// Operation is one item of the state table: one request, from the Slack
// command (or click) that made it to its final answer.
type Operation struct {
	// ID is the key: the slash command's trigger_id, or [DerivedID] of a
	// click that starts an operation (a confirmation).
	ID string
	// Kind is the command, e.g. "create", "delete", "start".
	Kind string
	// Requester is the Slack user ID of the person who asked.
	Requester string
	// TeamID and ChannelID are where the request was made.
	TeamID, ChannelID string
	// GroupID is the Atlas project; ProjectAlias the policy's name for it,
	// if it has one.
	GroupID, ProjectAlias string
	// Workspace and Processor are the target; Processor may be empty.
	Workspace, Processor string
	// Status is where the operation stands.
	Status Status
	// ParentChannel and ParentTS locate the parent message the bot
	// answers under; empty until [Store.SetParent].
	ParentChannel, ParentTS string
	// Outcome is a short text for history: "created", the Atlas error
	// code, "rejected: wrong tier", ...
	Outcome string
	// DecidedBy is the Slack user who approved, rejected or cancelled it;
	// DecidedAt when.
	DecidedBy string
	DecidedAt time.Time
	// Owner is the worker attempt holding the run claim (see [Claim]) and
	// LeaseUntil when that claim lapses if the attempt dies.
	Owner      string
	LeaseUntil time.Time
	// Attempts counts the claims: 2 or more means a worker took over.
	Attempts int
	// Request is the Job as the Slack function handed it over (JSON),
	// opaque here, so that the worker can run an approved request as it
	// was asked. It must not hold secrets: history returns it too.
	Request []byte
	// CreatedAt and UpdatedAt are set by the store.
	CreatedAt, UpdatedAt time.Time
	// ExpiresAt is when a pending approval lapses; zero otherwise.
	ExpiresAt time.Time
	// TTL is when the table may delete the item (DynamoDB's TTL, in epoch
	// seconds); [Store.Begin] sets it when zero.
	TTL time.Time
}

// Expired reports whether op is waiting for an approval that has lapsed at
// now, whether or not [Expire] has recorded it yet.
func (op *Operation) Expired(now time.Time) bool {
	return op.Status == StatusPendingApproval && !op.ExpiresAt.After(now)
}

// ExpiryToShow reports whether op's lapse is still to be shown at now: it
// has lapsed unrecorded ([Operation.Expired]), or [Expire] recorded it
// and no [Announce] has claimed its note yet (a worker died, or the
// Expire's answer was lost, in between). The sweep lists both, so that an
// expiry recorded is shown by a later sweep if not by the first.
func (op *Operation) ExpiryToShow(now time.Time) bool {
	return op.Expired(now) || op.Status == StatusExpired && op.Owner == ""
}

// LogValue keeps Request (which may hold a response_url, a credential) out
// of logs.
func (op Operation) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", op.ID),
		slog.String("kind", op.Kind),
		slog.String("status", string(op.Status)),
		slog.String("group_id", op.GroupID),
		slog.String("workspace", op.Workspace),
		slog.String("slack_user", op.Requester),
		slog.Int("attempts", op.Attempts),
	)
}

// DerivedID returns a stable operation ID for a request that carries no
// trigger_id of its own that would be the same on a replay, from parts that
// are: e.g. the confirmation button's value and the clicking user. The
// parts are length-prefixed, so ("ab", "c") and ("a", "bc") differ.
func DerivedID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return "d-" + hex.EncodeToString(h.Sum(nil))[:40]
}

// validateNew checks an operation for [Store.Begin].
func validateNew(op *Operation, now time.Time) error {
	var errs []error
	if op.ID == "" || len(op.ID) > MaxIDLength {
		errs = append(errs, fmt.Errorf("id must be 1 to %d bytes", MaxIDLength))
	}
	for name, v := range map[string]string{"kind": op.Kind, "requester": op.Requester, "group id": op.GroupID} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is empty", name))
		}
	}
	switch op.Status {
	case StatusQueued:
	case StatusPendingApproval:
		if !op.ExpiresAt.After(now) {
			errs = append(errs, errors.New("a pending approval needs an expiry in the future"))
		}
	default:
		errs = append(errs, fmt.Errorf("status %q: an operation begins queued or pending_approval", op.Status))
	}
	if len(op.Request) > MaxRequestSize {
		errs = append(errs, fmt.Errorf("request is %d bytes, at most %d", len(op.Request), MaxRequestSize))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("state: begin %q: %w", op.ID, err)
	}
	return nil
}

// prepareNew fills in what the store sets on [Store.Begin].
func prepareNew(op Operation, now time.Time, retention time.Duration) Operation {
	op.Request = slices.Clone(op.Request)
	op.CreatedAt, op.UpdatedAt = now, now
	op.Attempts = 0
	op.Owner, op.LeaseUntil = "", time.Time{}
	op.DecidedBy, op.DecidedAt = "", time.Time{}
	op.ParentChannel, op.ParentTS, op.Outcome = "", "", ""
	op.ExpiresAt = norm(op.ExpiresAt)
	if op.TTL.IsZero() {
		op.TTL = now.Add(retention)
		if e := op.ExpiresAt.Add(retention); e.After(op.TTL) {
			op.TTL = e
		}
	}
	// DynamoDB's TTL has a resolution of seconds.
	op.TTL = op.TTL.Truncate(time.Second)
	return op
}

// norm returns t in UTC without a monotonic reading, as it reads back from
// the table.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.Round(0).UTC()
}

// workspaceKey is the key of the workspace index: "" (no index entry) when
// the operation has no workspace.
func workspaceKey(groupID, workspace string) string {
	if workspace == "" {
		return ""
	}
	return groupID + "/" + workspace
}

// clampExpired applies [MaxExpired].
func clampExpired(limit int) int {
	if limit <= 0 {
		return MaxExpired
	}
	return min(limit, MaxExpired)
}

// clampLimit applies [DefaultHistory] and [MaxHistory].
func clampLimit(limit int) int {
	if limit <= 0 {
		return DefaultHistory
	}
	return min(limit, MaxHistory)
}

// validateParent checks the arguments of [Store.SetParent].
func validateParent(id, channel, ts string) error {
	if id == "" || channel == "" || ts == "" {
		return fmt.Errorf("state: set parent %q: need the channel and the ts of the message", id)
	}
	return nil
}
