// Package provision is the worker side of streambot: it takes a [Job] handed
// over by the Slack edge (or a direct create request), talks to Atlas through
// pkg/atlas and answers in Slack.
package provision

import (
	"log/slog"
	"time"

	"github.com/streambot/streambot/pkg/atlas"
)

// Action is what a Job asks the worker to do.
type Action string

// The actions the worker performs.
const (
	ActionCreate   Action = "create"
	ActionList     Action = "list"
	ActionDescribe Action = "describe"
	ActionUpdate   Action = "update"
	ActionDelete   Action = "delete"
	// The operations on a workspace's stream processors and connections.
	ActionProcessors  Action = "processors"
	ActionProcessor   Action = "processor"
	ActionStart       Action = "start"
	ActionStop        Action = "stop"
	ActionConnections Action = "connections"
	// ActionNotice posts Job.Notice to the caller alone and does nothing
	// else: the edge's private answer to a refused click (the ack of a
	// click cannot carry a message).
	ActionNotice Action = "notice"
	// ActionHistory answers `/stream history` from the state table.
	ActionHistory Action = "history"
)

// Job is the unit of work the Slack edge hands to the worker (functions/create)
// through a Lambda async invoke, or in-process locally. Its JSON is a
// contract between two separately deployed functions: change it only in a
// backwards-compatible way (testdata/job.golden.json pins it).
//
// A Job with no Slack target is a direct create request, as sent by
// `sam local invoke`, `aws lambda invoke` or other automation: then Action
// defaults to create and the worker returns the workspace instead of
// replying in Slack. The field names of a direct request are the same:
// group_id, name, provider, region, tier, max_tier, sample_solar.
type Job struct {
	// ID identifies the request across both functions' logs. The Slack edge
	// sets it from the slash command's trigger_id.
	ID string `json:"id,omitempty"`
	// Action is the operation's name (command.Op.Name: create, list,
	// describe, update, delete, …), notice, or sweep_approvals (the
	// schedule's Job, which carries nothing else); empty means create.
	Action Action `json:"action,omitempty"`
	// GroupID is the Atlas project (24 hex characters), already resolved
	// from an alias, a channel default or the policy default.
	GroupID string `json:"group_id"`
	// ProjectAlias is the policy's name for GroupID, for display; empty if
	// the caller named the project by ID.
	ProjectAlias string `json:"project_alias,omitempty"`
	// Name is the workspace name (every operation on one workspace).
	Name string `json:"name,omitempty"`
	// Processor is the stream processor's name, for the operations on one
	// processor (command.ArgsProcessor).
	Processor string `json:"processor,omitempty"`
	// Provider, Region, Tier and MaxTier are Atlas's values (AWS,
	// VIRGINIA_USA, SP30, SP50), already validated by the Slack edge. For
	// update they are the requested new values; empty ones stay as they
	// are.
	Provider string `json:"provider,omitempty"`
	Region   string `json:"region,omitempty"`
	Tier     string `json:"tier,omitempty"`
	MaxTier  string `json:"max_tier,omitempty"`
	// RegionInput is the region as the caller typed it when it was mapped
	// from a cloud code (us-east-1 → VIRGINIA_USA); empty otherwise.
	RegionInput string `json:"region_input,omitempty"`
	// SampleSolar asks Atlas for the sample_stream_solar connection.
	SampleSolar bool `json:"sample_solar,omitempty"`
	// RequiredRoles are the Atlas project roles the caller must hold when the
	// policy asks for an Atlas role check; empty means no check.
	RequiredRoles []string `json:"required_roles,omitempty"`
	// Slack is where the answer goes; nil for a direct invocation.
	Slack *SlackTarget `json:"slack,omitempty"`
	// RequestedAt is when the Slack edge accepted the command.
	RequestedAt time.Time `json:"requested_at,omitzero"`
	// Offers are the operations whose buttons the answer may carry, as the
	// edge found the caller may use them (e.g. ["delete"] on a describe).
	Offers []string `json:"offers,omitempty"`
	// Click is set when the Job comes from a confirmation's button.
	Click *Click `json:"click,omitempty"`
	// Notice is the private answer of an ActionNotice Job, plain text.
	Notice string `json:"notice,omitempty"`
	// Approval is set on the Jobs of an operation that needs an approval
	// (policy approvals:): the request to post, or a decision to record
	// and, once approved, carry out. See approval.go.
	Approval *ApprovalStep `json:"approval,omitempty"`
	// Denial, on an ActionNotice Job instead of Notice, is why the access
	// policy refused a click: the decision's plain-text Reason
	// (access.Decision.Reason). The worker renders it as
	// access.Decision.Mrkdwn does, escaped with the subjects it names
	// (whom to ask) as mentions, so a Job never carries raw mrkdwn.
	Denial string `json:"denial,omitempty"`
}

// ApprovalStep is where a Job stands in an approval's flow.
type ApprovalStep struct {
	// Step is one of the Approval* constants.
	Step string `json:"step"`
	// Approvers are who may approve, as Slack mentions (the edge renders
	// the policy's subjects); for the request.
	Approvers []string `json:"approvers,omitempty"`
	// ExpiresAt is when the request lapses.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// By is who decided (approved, rejected, withdrew).
	By string `json:"by,omitempty"`
}

// The steps of an approval, as Jobs carry them.
const (
	// ApprovalRequest: post the request (Approve, Reject) in the channel
	// and the requester's private note (Cancel); nothing runs.
	ApprovalRequest = "request"
	// ApprovalApproved: record the approval in the thread, then run the
	// operation as an unprotected one would, answering in that thread.
	ApprovalApproved = "approved"
	// ApprovalRejected, ApprovalCancelled, ApprovalExpired: record the
	// decision in the thread and re-render the request without buttons.
	ApprovalRejected  = "rejected"
	ApprovalCancelled = "cancelled"
	ApprovalExpired   = "expired"
)

// Click is what the worker needs of a click on a confirmation's button
// (Apply, Delete, Cancel). The edge has already checked the value, the
// clicking person against the policy, that they are the requester and
// whether the confirmation has expired (Step [ClickExpired] then); the
// Job's Slack target is the clicker, with the click's response_url.
type Click struct {
	// Step is "confirm" or "cancel" (button.StepConfirm, StepCancel), or
	// [ClickExpired].
	Step string `json:"step"`
	// OpID is the operation the confirmation belongs to: once-only claims
	// are keyed by it, so a second click does nothing.
	OpID string `json:"op_id"`
	// Requester is who asked for the operation (the clicker, as checked).
	Requester string `json:"requester"`
	// MessageTS is the confirmation message, which the worker re-renders
	// without buttons (chat.update) and replies under; empty when the
	// message was ephemeral.
	MessageTS string `json:"message_ts,omitempty"`
	// IssuedAt is when the confirmation was shown.
	IssuedAt time.Time `json:"issued_at"`
}

// ClickExpired is the Click.Step of a click by the requester on a
// confirmation older than command.ConfirmFor. The edge refuses it; the
// worker does nothing in Atlas, retires the confirmation (its message
// redrawn without buttons, saying it expired) unless it was decided
// already, and tells the clicker privately.
const ClickExpired = "expired"

// Update is the update request body the Job stands for (the fields set).
// The worker sends it; the Slack edge shows it for --dry-run.
func (j Job) Update() *atlas.StreamWorkspaceUpdate {
	u := &atlas.StreamWorkspaceUpdate{CloudProvider: atlas.Provider(j.Provider), Region: j.Region}
	if j.Tier != "" || j.MaxTier != "" {
		u.StreamConfig = &atlas.StreamConfig{Tier: atlas.Tier(j.Tier), MaxTierSize: atlas.Tier(j.MaxTier)}
	}
	return u
}

// SlackTarget says who asked and where to answer.
type SlackTarget struct {
	TeamID    string `json:"team_id"`
	ChannelID string `json:"channel_id"`
	UserID    string `json:"user_id"`
	UserName  string `json:"user_name,omitempty"`
	// ResponseURL is Slack's per-command webhook. It is a credential (anyone
	// holding it can post into the channel for 30 minutes): never log it.
	ResponseURL string `json:"response_url"`
	// Command is the slash command as typed ("/stream"), for messages.
	Command string `json:"command,omitempty"`
}

// LogValue keeps the response_url out of logs.
func (t SlackTarget) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("team_id", t.TeamID),
		slog.String("channel_id", t.ChannelID),
		slog.String("user_id", t.UserID),
	)
}

// LogValue logs a Job without its credentials.
func (j Job) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("job_id", j.ID),
		slog.String("action", string(j.action())),
		slog.String("group_id", j.GroupID),
		slog.String("workspace", j.Name),
	}
	if j.Processor != "" {
		attrs = append(attrs, slog.String("processor", j.Processor))
	}
	if j.Click != nil {
		attrs = append(attrs, slog.String("click", j.Click.Step), slog.String("op_id", j.Click.OpID))
	}
	if j.Approval != nil {
		attrs = append(attrs, slog.String("approval", j.Approval.Step))
	}
	if j.Slack != nil {
		attrs = append(attrs, slog.Any("slack", *j.Slack))
	}
	return slog.GroupValue(attrs...)
}

func (j Job) action() Action {
	if j.Action == "" {
		return ActionCreate
	}
	return j.Action
}

// Workspace is the create request body the Job stands for. The worker sends
// it; the Slack edge shows it for --dry-run. Both go through this one
// function so they cannot disagree.
func (j Job) Workspace() *atlas.StreamWorkspace {
	w := &atlas.StreamWorkspace{
		Name:              j.Name,
		DataProcessRegion: &atlas.DataProcessRegion{CloudProvider: atlas.Provider(j.Provider), Region: j.Region},
		StreamConfig:      &atlas.StreamConfig{Tier: atlas.Tier(j.Tier), MaxTierSize: atlas.Tier(j.MaxTier)},
	}
	if j.SampleSolar {
		w.SampleConnections = &atlas.SampleConnections{Solar: atlas.Ptr(true)}
	}
	return w
}

// startOptions are the options of a start Job: nil for a plain :start,
// the tier for :startWith. The worker sends them; the Slack edge shows
// them for --dry-run.
func (j Job) startOptions() *atlas.StartOptions {
	if j.Tier == "" {
		return nil
	}
	return &atlas.StartOptions{Tier: atlas.Tier(j.Tier)}
}
