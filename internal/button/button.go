// Package button is the codec of streambot's button values: the compact,
// versioned record a button carries from the message the worker rendered
// to the click the Slack edge receives. Slack signs the click, not the
// value's content; the value is our own data coming back, so [Parse] reads
// it strictly and refuses anything it did not write: another version, an
// unknown field, an operation or step that is not declared, a project ID,
// name or user ID of the wrong shape, a time in the future. Authorization is
// not its business: the edge checks the clicking person against the policy
// at click time, whatever the value says.
//
// The wire form is one line of semicolon-separated fields in a fixed order,
// version first:
//
//	1;delete;confirm;6a1b2c3d4e5f6a7b8c9d0e1f;orders-ws;;U2CERLKJA;398738663015.4744;1765065000;;;;
//
// version; operation; step; project (group) ID; workspace; processor;
// requester; operation ID; issued-at (Unix seconds); then an update's tier,
// max tier, provider and region. Empty fields stay empty. Every field is
// drawn from a small alphabet without ';', so no escaping is needed, and
// the longest value is far below Slack's 2,000 characters.
package button

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/slackid"
	"github.com/streambot/streambot/pkg/atlas"
)

// Version is the codec's version, the first field of every value.
const Version = "1"

// MaxValueLen is Slack's limit on a button's value.
const MaxValueLen = 2000

// MaxSkew is how far in the future an issued-at may be (the clocks of the
// worker that issued the value and the edge that reads it may differ a
// little); anything later is refused.
const MaxSkew = time.Minute

// fieldCount is the number of fields of a version-1 value.
const fieldCount = 13

// Step is what a click on a button asks for.
type Step string

// The steps.
const (
	// StepAsk starts the operation as if the clicking person had typed it
	// (Describe on a list row, Delete… on a describe): the clicker is the
	// requester.
	StepAsk Step = "ask"
	// StepConfirm carries out an operation the worker showed first (Apply,
	// Delete). Only the requester may click it, within
	// command.ConfirmFor.
	StepConfirm Step = "confirm"
	// StepCancel drops a shown operation. Only the requester may click it.
	StepCancel Step = "cancel"
	// StepApprove and StepReject are an approver's answer to a request on
	// a protected project (policy approvals:); reserved for that.
	StepApprove Step = "approve"
	StepReject  Step = "reject"
)

var steps = []Step{StepAsk, StepConfirm, StepCancel, StepApprove, StepReject}

// ErrInvalid is wrapped by every error [Parse] and [Value.Encode] return.
var ErrInvalid = errors.New("invalid button value")

// Value is what a button carries.
type Value struct {
	Op   command.Name
	Step Step
	// GroupID is the Atlas project; Workspace and Processor name the target
	// as the operation's declared Args require.
	GroupID   string
	Workspace string
	Processor string
	// Requester is the Slack user ID of the person who asked; for a
	// confirmation, the only person who may click.
	Requester string
	// OpID identifies the operation across clicks and Jobs (the first
	// Job's ID); once-only claims are keyed by it.
	OpID string
	// IssuedAt is when the worker rendered the button (second precision).
	IssuedAt time.Time
	// Tier, MaxTier, Provider and Region are an update's change, carried
	// on its Apply button; empty otherwise.
	Tier     atlas.Tier
	MaxTier  atlas.Tier
	Provider atlas.Provider
	Region   string
}

// Encode returns the value's wire form after checking it as [Parse] would.
func (v Value) Encode() (string, error) {
	s := v.encode()
	if err := v.check(); err != nil {
		return "", err
	}
	if len(s) > MaxValueLen {
		return "", fmt.Errorf("%w: %d characters, more than Slack's %d", ErrInvalid, len(s), MaxValueLen)
	}
	return s, nil
}

func (v Value) encode() string {
	var b strings.Builder
	b.Grow(160)
	for i, f := range [...]string{Version, string(v.Op), string(v.Step), v.GroupID, v.Workspace, v.Processor,
		v.Requester, v.OpID, strconv.FormatInt(v.IssuedAt.Unix(), 10),
		string(v.Tier), string(v.MaxTier), string(v.Provider), v.Region} {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(f)
	}
	return b.String()
}

// Parse reads a button value issued no later than now plus [MaxSkew]. Any
// deviation from what [Value.Encode] writes is an error wrapping
// [ErrInvalid]. Whether the value has expired is the caller's question
// ([Value.Expired]): a Cancel may be honoured later than a Delete.
func Parse(s string, now time.Time) (Value, error) {
	if len(s) > MaxValueLen {
		return Value{}, fmt.Errorf("%w: longer than %d characters", ErrInvalid, MaxValueLen)
	}
	f := strings.Split(s, ";")
	if len(f) == 0 || f[0] != Version {
		return Value{}, fmt.Errorf("%w: not version %s", ErrInvalid, Version)
	}
	if len(f) != fieldCount {
		return Value{}, fmt.Errorf("%w: %d fields, want %d", ErrInvalid, len(f), fieldCount)
	}
	secs, err := strconv.ParseInt(f[8], 10, 64)
	if err != nil || secs <= 0 || f[8] != strconv.FormatInt(secs, 10) {
		return Value{}, fmt.Errorf("%w: issued-at %q is not Unix seconds", ErrInvalid, f[8])
	}
	v := Value{
		Op: command.Name(f[1]), Step: Step(f[2]), GroupID: f[3], Workspace: f[4], Processor: f[5],
		Requester: f[6], OpID: f[7], IssuedAt: time.Unix(secs, 0).UTC(),
		Tier: atlas.Tier(f[9]), MaxTier: atlas.Tier(f[10]), Provider: atlas.Provider(f[11]), Region: f[12],
	}
	if err := v.check(); err != nil {
		return Value{}, err
	}
	if v.IssuedAt.After(now.Add(MaxSkew)) {
		return Value{}, fmt.Errorf("%w: issued in the future (%s)", ErrInvalid, v.IssuedAt.Format(time.RFC3339))
	}
	return v, nil
}

// check validates every field against the operation's declaration.
func (v Value) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
	}
	op := command.Lookup(v.Op)
	if op == nil || op.Action == "" {
		return bad("unknown operation %q", v.Op)
	}
	known := false
	for _, s := range steps {
		known = known || s == v.Step
	}
	switch {
	case !known:
		return bad("unknown step %q", v.Step)
	case (v.Step == StepConfirm || v.Step == StepCancel) && !op.Confirm:
		return bad("%s asks for no confirmation", v.Op)
	case (v.Step == StepApprove || v.Step == StepReject) && !op.Approval:
		return bad("%s needs no approval", v.Op)
	}
	if atlas.ValidateGroupID(v.GroupID) != nil {
		return bad("malformed project ID")
	}
	switch op.Args {
	case command.ArgsNone:
		if v.Workspace != "" || v.Processor != "" {
			return bad("%s names no workspace", v.Op)
		}
	case command.ArgsWorkspace:
		if atlas.ValidateName(v.Workspace) != nil || v.Processor != "" {
			return bad("%s names one workspace", v.Op)
		}
	case command.ArgsProcessor:
		if atlas.ValidateName(v.Workspace) != nil || atlas.ValidateProcessorName(v.Processor) != nil {
			return bad("%s names a workspace and a processor", v.Op)
		}
	}
	if !slackid.User(v.Requester) {
		return bad("malformed requester")
	}
	if !slackid.OpID(v.OpID) {
		return bad("malformed operation ID")
	}
	if v.IssuedAt.Unix() <= 0 {
		return bad("no issued-at")
	}
	change := v.Tier != "" || v.MaxTier != "" || v.Provider != "" || v.Region != ""
	if change && v.Op != command.Update {
		return bad("%s carries no change", v.Op)
	}
	if v.Tier != "" && v.Tier.Rank() < 0 || v.MaxTier != "" && v.MaxTier.Rank() < 0 {
		return bad("unknown tier")
	}
	if v.Tier != "" && atlas.ValidateTiers(v.Tier, v.MaxTier) != nil {
		return bad("max tier below tier")
	}
	if (v.Provider != "" || v.Region != "") && atlas.ValidateRegion(v.Provider, v.Region) != nil {
		return bad("region not on its provider")
	}
	return nil
}

// Expired reports whether a value issued for a confirmation is older than
// command.ConfirmFor at now.
func (v Value) Expired(now time.Time) bool { return now.Sub(v.IssuedAt) > command.ConfirmFor }

// ActionID is the action_id of the button that carries v:
// "streambot.<step>.<operation>". The edge routes on it and refuses a click
// whose value names another step or operation than its action_id.
func (v Value) ActionID() string { return ActionID(v.Op, v.Step) }

// ActionID returns the action_id of a button for step of operation op.
func ActionID(op command.Name, step Step) string {
	return actionPrefix + string(step) + "." + string(op)
}

const actionPrefix = "streambot."

// Ours reports whether actionID is one of streambot's (it may still name an
// unknown step or operation).
func Ours(actionID string) bool { return strings.HasPrefix(actionID, actionPrefix) }

// BlockID is the block_id of the n-th actions block that holds v's
// buttons: "streambot.<group ID>.<operation ID>.<n>" (at most 110
// characters, within Slack's 255). The edge checks that a clicked value
// names the same project and operation as its block, so a value copied into
// another message is refused.
func (v Value) BlockID(n int) string { return blockPrefix(v.GroupID, v.OpID) + strconv.Itoa(n) }

func blockPrefix(groupID, opID string) string { return actionPrefix + groupID + "." + opID + "." }

// CheckBlock returns an error wrapping [ErrInvalid] unless blockID is one
// of v's [Value.BlockID]s.
func (v Value) CheckBlock(blockID string) error {
	n, ok := strings.CutPrefix(blockID, blockPrefix(v.GroupID, v.OpID))
	if _, err := strconv.ParseUint(n, 10, 16); !ok || err != nil {
		return fmt.Errorf("%w: the value names another project or operation than its message", ErrInvalid)
	}
	return nil
}
