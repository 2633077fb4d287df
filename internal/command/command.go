// Package command turns the text of a `/stream …` slash command into a
// [Command]. It is pure: no I/O, no Slack types, no policy. User mistakes
// come back as a *[UsageError] whose text can be shown to the caller as is.
package command

import "github.com/streambot/streambot/pkg/atlas"

// Name is a subcommand of /stream.
type Name string

// The subcommands.
const (
	Help     Name = "help"
	Create   Name = "create"
	List     Name = "list"
	Describe Name = "describe"
	Update   Name = "update"
	Delete   Name = "delete"
	// The operations on a workspace's stream processors and connections.
	Processors  Name = "processors"
	Processor   Name = "processor"
	Start       Name = "start"
	Stop        Name = "stop"
	Connections Name = "connections"
	History     Name = "history"
)

// Command is a parsed `/stream …` command. Values are canonical: provider,
// region and tiers are Atlas's spellings, whatever case or cloud code the
// caller typed.
type Command struct {
	Name Name
	// Workspace is the workspace name (every operation with Args of
	// ArgsWorkspace or more), already checked
	// with atlas.ValidateName.
	Workspace string
	// Processor is the stream processor's name (ArgsProcessor operations).
	Processor string
	// Provider defaults to AWS for create; for update it is empty unless
	// the region changes.
	Provider atlas.Provider
	// Region is Atlas's region name; empty when the caller gave none (the
	// Slack edge then applies the policy's default or reports a usage error).
	Region string
	// RegionInput is what the caller typed when it differs from Region only
	// by being a cloud code (us-east-1 → VIRGINIA_USA); empty otherwise.
	RegionInput string
	// Tier defaults to SP30 for create; for update and start, and MaxTier
	// always, it is empty unless given (start: the tier to run on, through
	// Atlas's :startWith).
	Tier    atlas.Tier
	MaxTier atlas.Tier
	// SampleSolar adds the sample_stream_solar connection.
	SampleSolar bool
	// Project is an alias or a 24-hex group ID as typed; empty means the
	// channel's or the policy's default.
	Project string
	// DryRun asks for the Atlas request that would be sent, sending nothing.
	DryRun bool
	// ProviderSet is true when the caller typed --provider. Otherwise
	// Provider is the default AWS, or the provider that offers Region, and
	// [Command.RequireRegion] may take it from the policy's default region.
	ProviderSet bool
	// Form is set, with nothing but Name, when the operation was typed with
	// no arguments and its declaration has a form ([Op].Form): the Slack
	// edge opens the form rather than running the operation.
	Form bool
	// Topic is the subcommand a help command asks about (`help create`,
	// `create --help`); empty for the overview.
	Topic Name
}
