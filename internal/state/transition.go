package state

import (
	"fmt"
	"slices"
	"time"
)

// Transition describes one conditional change of an operation for
// [Store.Transition]: the conditions under which it happens and what it
// records. Build it with [Claim], [Approve], [Unapprove], [Reject],
// [Cancel], [Expire], [Announce], [Release] or [Finish]; the fields are exported so a caller can read what it asks
// for, and both stores interpret them the same way (the conformance tests
// hold them to it).
type Transition struct {
	// From lists the statuses the operation must be in.
	From []Status
	// TakeOver also allows StatusRunning when the running claim's
	// LeaseUntil has passed: its worker died.
	TakeOver bool
	// To is the new status.
	To Status

	// Actor is the Slack user who acts; Rule says how they must relate to
	// the requester. Actor is recorded as DecidedBy (with DecidedAt) when
	// To is approved, rejected or cancelled.
	Actor string
	Rule  ActorRule
	// Expiry says how ExpiresAt must relate to the time of the write.
	Expiry ExpiryRule
	// IfOwner, when set, must be the operation's Owner: only the claimant
	// finishes.
	IfOwner string
	// IfUnowned requires the operation to have no Owner, and records
	// Owner: [Announce]'s once-only mark on a decided approval.
	IfUnowned bool

	// Owner and LeaseUntil are recorded when To is StatusRunning (which
	// also counts an attempt).
	Owner      string
	LeaseUntil time.Time
	// Outcome is recorded when not empty.
	Outcome string
}

// ActorRule relates [Transition.Actor] to the operation's requester.
type ActorRule int

// The actor rules.
const (
	AnyActor      ActorRule = iota // anyone (authorization is the caller's)
	NotRequester                   // a second person: approvals
	OnlyRequester                  // the requester: cancellation
)

// ExpiryRule relates the time of a write to [Operation.ExpiresAt].
type ExpiryRule int

// The expiry rules.
const (
	AnyTime      ExpiryRule = iota
	BeforeExpiry            // now < ExpiresAt: approve, reject, cancel
	AfterExpiry             // now >= ExpiresAt: expire
)

// Claim takes operation for running, once: from queued or approved, or
// from running when the previous claim's lease has passed (a retried
// worker after a crash). owner must be unique to the attempt (a random
// token, not the Lambda request ID, which Lambda reuses on a retry and on
// a duplicate delivery); leaseUntil is when the claim lapses if the
// attempt dies: the attempt's deadline. The claimed item's ParentTS tells
// the winner whether a parent message exists already. A loser gets
// [ErrConflict]: Current.Status running with a live lease (another worker
// has it), or a final status (it is answered).
func Claim(owner string, leaseUntil time.Time) Transition {
	return Transition{
		From:       []Status{StatusQueued, StatusApproved},
		TakeOver:   true,
		To:         StatusRunning,
		Owner:      owner,
		LeaseUntil: leaseUntil,
	}
}

// Approve grants a pending approval, once: only before it expires and only
// by someone other than the requester. Whether approver may approve at all
// is the access policy's question, asked by the caller first.
func Approve(approver string) Transition {
	return Transition{
		From:   []Status{StatusPendingApproval},
		To:     StatusApproved,
		Actor:  approver,
		Rule:   NotRequester,
		Expiry: BeforeExpiry,
	}
}

// Reject refuses a pending approval, once, before it expires; reason
// becomes the outcome.
func Reject(approver, reason string) Transition {
	return Transition{
		From:    []Status{StatusPendingApproval},
		To:      StatusRejected,
		Actor:   approver,
		Expiry:  BeforeExpiry,
		Outcome: reason,
	}
}

// Cancel withdraws a pending approval, once, by its requester, before it
// expires.
func Cancel(requester string) Transition {
	return Transition{
		From:   []Status{StatusPendingApproval},
		To:     StatusCancelled,
		Actor:  requester,
		Rule:   OnlyRequester,
		Expiry: BeforeExpiry,
	}
}

// Expire records that a pending approval lapsed, once it has.
func Expire() Transition {
	return Transition{
		From:   []Status{StatusPendingApproval},
		To:     StatusExpired,
		Expiry: AfterExpiry,
	}
}

// Unapprove takes back an approval that no worker has claimed yet, so
// that the request waits again and can be approved again: the Job that
// would run it could not be handed to the worker. It races the claim
// fairly: if a worker got the Job after all, either its claim wins (the
// operation runs, Unapprove gets [ErrConflict]) or Unapprove wins (the
// claim loses); either way it runs at most once. The expiry is not
// checked: a lapsed request is expired by the next click.
func Unapprove() Transition {
	return Transition{
		From: []Status{StatusApproved},
		To:   StatusPendingApproval,
	}
}

// Announce takes, once, the announcement of a decided approval: s is its
// status (rejected, cancelled or expired), owner a token unique to the
// attempt, recorded as Owner (an approval that was not approved never had
// one). The winner posts the decision in the request's thread; a second
// copy of its Job (Lambda delivers at least once) gets [ErrConflict]
// refused [RefusedOwner], and posts nothing.
func Announce(s Status, owner string) Transition {
	return Transition{
		From:      []Status{s},
		To:        s,
		IfUnowned: true,
		Owner:     owner,
	}
}

// Release gives a running operation claimed by owner back (to queued),
// so that another attempt can claim it at once: the worker's answer
// reached nobody and it hands the Job to Lambda's retry, which comes
// sooner than the claim's lease would lapse.
func Release(owner string) Transition {
	return Transition{
		From:    []Status{StatusRunning},
		To:      StatusQueued,
		IfOwner: owner,
	}
}

// Finish records the final answer of a running operation claimed by owner:
// to is StatusDone or StatusFailed, outcome a short text for history.
func Finish(owner string, to Status, outcome string) Transition {
	return Transition{
		From:    []Status{StatusRunning},
		To:      to,
		IfOwner: owner,
		Outcome: outcome,
	}
}

// validate checks t itself (not the operation).
func (t *Transition) validate() error {
	if len(t.From) == 0 || !t.To.Valid() {
		return fmt.Errorf("state: transition from %v to %q: need a source and a valid target status", t.From, t.To)
	}
	for _, s := range t.From {
		if !s.Valid() {
			return fmt.Errorf("state: transition from unknown status %q", s)
		}
	}
	if t.Rule != AnyActor && t.Actor == "" {
		return fmt.Errorf("state: transition to %s needs the acting user", t.To)
	}
	if t.To == StatusRunning && (t.Owner == "" || t.LeaseUntil.IsZero()) {
		return fmt.Errorf("state: a claim needs an owner and a lease")
	}
	if t.IfUnowned && (t.Owner == "" || t.To == StatusRunning) {
		return fmt.Errorf("state: a mark needs an owner and is no claim")
	}
	return nil
}

// records reports whether the transition records its Actor as DecidedBy.
func (t *Transition) records() bool {
	switch t.To {
	case StatusApproved, StatusRejected, StatusCancelled:
		return t.Actor != ""
	}
	return false
}

// Refusal says which condition of a [Transition] (or of [Store.SetParent])
// an operation did not meet, in the order they are checked. The constants
// are the complete list.
type Refusal string

// The refusals.
const (
	RefusedStatus       Refusal = "status"        // the status is not one the transition starts from
	RefusedRunning      Refusal = "running"       // another worker holds a live claim
	RefusedExpired      Refusal = "expired"       // the approval has expired (or, for Expire, has not)
	RefusedRequester    Refusal = "requester"     // the requester may not approve their own request
	RefusedNotRequester Refusal = "not requester" // only the requester may do this
	RefusedOwner        Refusal = "owner"         // another attempt holds the claim
	RefusedParentSet    Refusal = "parent set"    // a parent message is recorded already
	RefusedExists       Refusal = "exists"        // Begin: the ID is taken
	RefusedChanged      Refusal = "changed"       // the condition failed, yet the item returned meets it (clock skew at a boundary)
	refusedNone         Refusal = ""              // no refusal: the transition applies
)

// check returns why t cannot apply to op at now, or refusedNone. It is
// [Memory]'s decision and [Dynamo]'s explanation of a failed condition;
// the condition expression in dynamo.go says the same in DynamoDB's
// language.
func (t *Transition) check(op *Operation, now time.Time) Refusal {
	if !slices.Contains(t.From, op.Status) {
		if t.TakeOver && op.Status == StatusRunning {
			if op.LeaseUntil.After(now) {
				return RefusedRunning
			}
		} else {
			return RefusedStatus
		}
	}
	switch t.Expiry {
	case BeforeExpiry:
		if !now.Before(op.ExpiresAt) {
			return RefusedExpired
		}
	case AfterExpiry:
		if now.Before(op.ExpiresAt) {
			return RefusedExpired
		}
	}
	switch t.Rule {
	case NotRequester:
		if t.Actor == op.Requester {
			return RefusedRequester
		}
	case OnlyRequester:
		if t.Actor != op.Requester {
			return RefusedNotRequester
		}
	}
	if t.IfOwner != "" && op.Owner != t.IfOwner {
		return RefusedOwner
	}
	if t.IfUnowned && op.Owner != "" {
		return RefusedOwner
	}
	return refusedNone
}

// apply changes op as t records, at now.
func (t *Transition) apply(op *Operation, now time.Time) {
	op.Status = t.To
	op.UpdatedAt = now
	if t.records() {
		op.DecidedBy, op.DecidedAt = t.Actor, now
	}
	if t.To == StatusRunning {
		op.Owner, op.LeaseUntil = t.Owner, norm(t.LeaseUntil)
		op.Attempts++
	}
	if t.IfUnowned {
		op.Owner = t.Owner
	}
	if t.Outcome != "" {
		op.Outcome = t.Outcome
	}
}
