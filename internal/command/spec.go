package command

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/pkg/atlas"
)

// The command language is defined once, here. The parser reads these tables
// to accept flags, and the help and usage text is rendered from the same
// tables, so the two cannot drift apart.

// The defaults a bare create gets (the Atlas CLI's).
const (
	defaultProvider = atlas.ProviderAWS
	defaultTier     = atlas.TierSP30
)

// flagDef is one flag of a subcommand.
type flagDef struct {
	name string // without dashes, e.g. "region"
	arg  string // the value's placeholder in usage; empty for a switch
	help string
}

// set stores a value flag's value (as typed, non-empty) in c. It is a
// switch rather than a function field so that c stays on the stack.
func (f *flagDef) set(c *Command, v string) *UsageError {
	switch f {
	case providerFlag, providerUpdateFlag:
		return setProvider(c, v)
	case regionFlag, regionUpdateFlag:
		return setRegion(c, v)
	case tierFlag, tierUpdateFlag, tierStartFlag:
		return setTier(&c.Tier, "tier", v)
	case maxTierFlag:
		return setTier(&c.MaxTier, "max tier", v)
	case projectFlag:
		return setProject(c, v)
	}
	panic("command: no setter for --" + f.name)
}

// turn stores a switch flag in c.
func (f *flagDef) turn(c *Command, on bool) {
	switch f {
	case sampleSolarFlag:
		c.SampleSolar = on
	case dryRunFlag:
		c.DryRun = on
	default:
		panic("command: --" + f.name + " is not a switch")
	}
}

// Op is the one declaration of an operation, `/stream <name> …`. Every
// part of streambot that treats operations differently reads it rather than
// keeping its own switch:
//
//   - the parser and the help and usage text (Args, the flags, Summary,
//     Examples);
//   - the Slack edge's policy check (Action), its acknowledgement (Working)
//     and whether a click may start the operation;
//   - the Job: its action is the Op's Name (provision.Action(op.Name()));
//   - the worker: provision keeps one handler per Op, keyed by Name, and a
//     test fails when an Op that dispatches has none;
//   - the buttons: whether the worker asks for a confirmation first
//     (Confirm), and which operations a button may carry (internal/button
//     accepts only declared Names).
//
// Why here, in internal/command: the words and flags are the largest part
// of a declaration and the parser must own them, and the import direction
// (functions and cmd → slackbot → provision → reply → pkg/atlas; command is
// a leaf that every other package may import) lets the edge, the worker and
// the button codec all read it. The Atlas call and the rendering, which
// need the worker's clients, live in provision's registry next to each
// other, one entry per Op; see provision's ops.go. The policy action is
// access's type, the one thing command takes from the policy package.
//
// Adding an operation: declare an Op below and add it to ops, add its
// handler to provision's registry, and (when its answer is new) a renderer
// in internal/reply.
type Op struct {
	name     Name
	arg      string // the positional arguments' placeholder; derived from Args when empty
	summary  string
	flags    []*flagDef
	examples []string

	// Args is how many positional arguments the operation takes.
	Args Args
	// Optional makes the workspace of an ArgsWorkspace operation optional
	// (history: a project's or one workspace's).
	Optional bool
	// Action is the policy action checked when the command is typed and
	// again when a button for it is clicked; empty for help.
	Action access.Action
	// Resource is what Action reads or changes, for the policy check
	// (access.Request.Resource): the zero value is a workspace; the
	// processor and connection operations name theirs, because Atlas asks
	// more of a caller for them (a GROUP_READ_ONLY person may list
	// workspaces, not processors).
	Resource access.Resource
	// Confirm says the worker first shows what would happen, with a
	// confirmation button only the requester may click, within
	// [ConfirmFor]; nothing changes before the click.
	Confirm bool
	// Approval says the operation changes something a protected project's
	// approvers may be asked to approve (policy approvals:).
	Approval bool
	// Working is the acknowledgement shown while the worker runs, after
	// "Working on it: ". %[1]s is the project, %[2]s the workspace and,
	// for ArgsProcessor, %[3]s the processor (already escaped and
	// formatted by the edge). Create acknowledges with its own
	// richer text.
	Working string
	// Offers are the operations whose buttons this operation's answer
	// carries (Delete… on a describe, Describe on each list row); the edge
	// lists in the Job those the caller may use, and only those are shown.
	Offers []Name
	// Button is the label of a button that starts this operation from
	// another answer ("Delete…"); empty when no answer offers it.
	Button string
	// Form says the operation typed with no arguments at all opens a form
	// (a Slack modal, package form) instead of being a usage error: Parse
	// returns a Command with Form set and the Slack edge opens the modal.
	Form bool
}

// Args is how many positional arguments an operation takes.
type Args int

// The positional argument shapes.
const (
	ArgsNone      Args = iota // list
	ArgsWorkspace             // describe <name>
	ArgsProcessor             // processor <workspace> <processor>
)

// ConfirmFor is how long a confirmation button stays valid after the
// worker showed it.
const ConfirmFor = 15 * time.Minute

// Name returns the operation's subcommand word.
func (sc *Op) Name() Name { return sc.name }

// Lookup returns the declaration of operation n, or nil when there is
// none.
func Lookup(n Name) *Op {
	for _, sc := range subcommands {
		if sc.name == n {
			return sc
		}
	}
	return nil
}

// Ops returns every operation, in the order help shows them.
func Ops() []*Op { return slices.Clone(subcommands) }

var (
	providerFlag = &flagDef{
		name: "provider", arg: joinWords(atlas.Providers, "|"),
		help: "cloud provider; default " + string(defaultProvider) + ", or the one that offers --region",
	}
	regionFlag = &flagDef{
		name: "region", arg: "REGION",
		help: "Atlas region name or the cloud's own code (VIRGINIA_USA or us-east-1); default: the policy's",
	}
	tierFlag = &flagDef{
		name: "tier", arg: joinWords(atlas.Tiers, "|"),
		help: "processing tier; default " + string(defaultTier),
	}
	maxTierFlag = &flagDef{
		name: "max-tier", arg: "TIER",
		help: "largest tier the workspace may scale to; not below --tier",
	}
	sampleSolarFlag = &flagDef{
		name: "sample-solar",
		help: "add the sample_stream_solar connection",
	}
	projectFlag = &flagDef{
		name: "project", arg: "ALIAS|GROUP_ID",
		help: "project alias from the access policy, or a 24-hex project ID; default: the channel's",
	}
	tierUpdateFlag = &flagDef{
		name: "tier", arg: joinWords(atlas.Tiers, "|"),
		help: "the new processing tier",
	}
	providerUpdateFlag = &flagDef{
		name: "provider", arg: joinWords(atlas.Providers, "|"),
		help: "with --region: move to this provider's region",
	}
	regionUpdateFlag = &flagDef{
		name: "region", arg: "REGION",
		help: "move to this region (Atlas name or the cloud's code); the provider is the region's unless --provider says",
	}
	tierStartFlag = &flagDef{
		name: "tier", arg: joinWords(atlas.Tiers, "|"),
		help: "run the processor on this tier instead of the workspace's (Atlas's :startWith)",
	}
	dryRunFlag = &flagDef{
		name: "dry-run",
		help: "show the Atlas request that would be sent, and send nothing",
	}
)

var (
	createCmd = &Op{
		name: Create, Args: ArgsWorkspace, Action: access.ActionCreate, Approval: true, Offers: []Name{Delete}, Form: true,
		summary: "create a stream workspace (with no arguments at all: opens a form)",
		flags:   []*flagDef{providerFlag, regionFlag, tierFlag, maxTierFlag, sampleSolarFlag, projectFlag, dryRunFlag},
		examples: []string{
			"create orders-ws --region us-east-1",
			"create orders-ws --region VIRGINIA_USA --tier SP10 --max-tier SP50 --project prod",
			"create clicks --provider GCP --region europe-west1 --dry-run",
			"create solar-demo --region westeurope --sample-solar",
		},
	}
	listCmd = &Op{
		name: List, Action: access.ActionList, Working: "listing the stream workspaces in project %[1]s…",
		Offers:   []Name{Describe},
		summary:  "list the project's stream workspaces",
		flags:    []*flagDef{projectFlag},
		examples: []string{"list", "list --project prod"},
	}
	describeCmd = &Op{
		name: Describe, Args: ArgsWorkspace, Action: access.ActionDescribe, Offers: []Name{Delete}, Button: "Describe",
		Working:  "looking up %[2]s in project %[1]s…",
		summary:  "show one stream workspace: region, tier, hostnames",
		flags:    []*flagDef{projectFlag},
		examples: []string{"describe orders-ws", "describe orders-ws --project 5f1a2b3c4d5e6f7a8b9c0d1e"},
	}
	updateCmd = &Op{
		name: Update, Args: ArgsWorkspace, Action: access.ActionUpdate, Confirm: true, Approval: true,
		Working: "reading %[2]s in project %[1]s to show the change; nothing changes before you click Apply…",
		summary: "change a workspace's tier, max tier or region (shows before → after, then Apply)",
		flags:   []*flagDef{tierUpdateFlag, maxTierFlag, providerUpdateFlag, regionUpdateFlag, projectFlag, dryRunFlag},
		examples: []string{
			"update orders-ws --tier SP50",
			"update orders-ws --max-tier SP50 --project prod",
			"update orders-ws --provider AWS --region OHIO_USA --dry-run",
		},
	}
	deleteCmd = &Op{
		name: Delete, Args: ArgsWorkspace, Action: access.ActionDelete, Confirm: true, Approval: true, Button: "Delete…",
		Working:  "looking up what deleting %[2]s in project %[1]s would remove; nothing is deleted before you confirm…",
		summary:  "delete a stream workspace (shows what would go, then asks you to confirm)",
		flags:    []*flagDef{projectFlag, dryRunFlag},
		examples: []string{"delete orders-ws", "delete orders-ws --project prod --dry-run"},
	}
	processorsCmd = &Op{
		name: Processors, Args: ArgsWorkspace, arg: "<workspace>", Action: access.ActionList, Resource: access.ResourceProcessor,
		Offers:   []Name{Start, Stop},
		Working:  "listing the stream processors of %[2]s in project %[1]s…",
		summary:  "list a workspace's stream processors: state, tier, message counts; Start/Stop buttons",
		flags:    []*flagDef{projectFlag},
		examples: []string{"processors orders-ws", "processors orders-ws --project prod"},
	}
	processorCmd = &Op{
		name: Processor, Args: ArgsProcessor, Action: access.ActionDescribe, Resource: access.ResourceProcessor,
		Offers:   []Name{Start, Stop},
		Working:  "looking up stream processor %[3]s in %[2]s, project %[1]s…",
		summary:  "show one stream processor: state, stats, pipeline stages and JSON, dead letter queue",
		flags:    []*flagDef{projectFlag},
		examples: []string{"processor orders-ws solarDemo"},
	}
	startCmd = &Op{
		name: Start, Args: ArgsProcessor, Action: access.ActionOperate, Resource: access.ResourceProcessor, Approval: true,
		Button:  "Start",
		Working: "starting stream processor %[3]s in %[2]s, project %[1]s…",
		summary: "start a stream processor (one already running is left alone)",
		flags:   []*flagDef{tierStartFlag, projectFlag, dryRunFlag},
		examples: []string{
			"start orders-ws solarDemo",
			"start orders-ws solarDemo --tier SP10 --dry-run",
		},
	}
	stopCmd = &Op{
		name: Stop, Args: ArgsProcessor, Action: access.ActionOperate, Resource: access.ResourceProcessor,
		Confirm: true, Approval: true, Button: "Stop…",
		Working:  "looking up stream processor %[3]s in %[2]s, project %[1]s; nothing stops before you confirm…",
		summary:  "stop a stream processor (asks you to confirm first: stopping interrupts its pipeline)",
		flags:    []*flagDef{projectFlag, dryRunFlag},
		examples: []string{"stop orders-ws solarDemo", "stop orders-ws solarDemo --project prod --dry-run"},
	}
	connectionsCmd = &Op{
		name: Connections, Args: ArgsWorkspace, arg: "<workspace>", Action: access.ActionList, Resource: access.ResourceConnection,
		Working:  "listing the connections of %[2]s in project %[1]s…",
		summary:  "list a workspace's connections: name, type, state and what each points at",
		flags:    []*flagDef{projectFlag},
		examples: []string{"connections orders-ws"},
	}
	historyCmd = &Op{
		name: History, Args: ArgsWorkspace, Optional: true, arg: "[<workspace>]", Action: access.ActionList,
		Working:  "reading the last operations on project %[1]s from the state table…",
		summary:  "the last 20 operations on the project (or one workspace): when, who, what, approved by whom, outcome",
		flags:    []*flagDef{projectFlag},
		examples: []string{"history", "history orders-ws --project prod"},
	}
	helpCmd = &Op{
		name: Help, arg: "[<command>]",
		summary:  "this overview, or one command's usage, flags and examples (also: -h, --help, or nothing at all)",
		examples: []string{"help create", "create --help"},
	}
	// subcommands is in the order help shows them.
	subcommands = []*Op{createCmd, listCmd, describeCmd, updateCmd, deleteCmd,
		processorsCmd, processorCmd, startCmd, stopCmd, connectionsCmd, historyCmd, helpCmd}
)

// subcommandNames are the names of subcommands, for suggestions.
var subcommandNames = func() []Name {
	ns := make([]Name, len(subcommands))
	for i, sc := range subcommands {
		ns[i] = sc.name
	}
	return ns
}()

// synonyms are words people try for a subcommand; they are suggested, never
// accepted.
var synonyms = map[string]Name{
	"new": Create, "add": Create, "make": Create, "provision": Create,
	"ls": List, "rm": Delete, "remove": Delete, "destroy": Delete, "drop": Delete,
	"run": Start, "resume": Start, "pause": Stop, "halt": Stop, "pipelines": Processors,
	"change": Update, "set": Update, "scale": Update, "resize": Update, "modify": Update, "show": Describe, "get": Describe, "info": Describe, "status": Describe,
}

func lookupSubcommand(word string) *Op {
	for _, sc := range subcommands {
		if strings.EqualFold(word, string(sc.name)) {
			return sc
		}
	}
	return nil
}

func (sc *Op) lookupFlag(name string) (int, *flagDef) {
	for i, f := range sc.flags {
		if strings.EqualFold(name, f.name) {
			return i, f
		}
	}
	return -1, nil
}

// Usage returns the usage line of subcommand n, e.g.
// "/stream list [--project ALIAS|GROUP_ID]". For a name that is not a
// subcommand it returns the one line that names them all,
// "/stream create|list|…|help …": a usage error shows one line, never
// every subcommand's.
func Usage(n Name) string {
	if sc := lookupSubcommand(string(n)); sc != nil {
		return sc.usage()
	}
	return "/stream " + joinWords(subcommandNames, "|") + " …"
}

func (sc *Op) usage() string {
	var b strings.Builder
	b.WriteString("/stream ")
	b.WriteString(string(sc.name))
	if a := sc.argWords(); a != "" {
		b.WriteString(" " + a)
	}
	for _, f := range sc.flags {
		b.WriteString(" [--" + f.name)
		if f.arg != "" {
			b.WriteString(" " + f.arg)
		}
		b.WriteString("]")
	}
	return b.String()
}

// HelpText returns the overview that `/stream help` and empty text show:
// one line per operation (its words and summary), short enough to read in
// Slack at a glance; the flags, regions, tiers and examples are in each
// operation's [HelpFor]. (It cannot be called Help: that is the subcommand
// constant.)
func HelpText() string {
	var b strings.Builder
	b.WriteString("/stream manages MongoDB Atlas Stream Processing workspaces and their stream processors:\n")
	for _, sc := range subcommands {
		b.WriteString("• /stream " + sc.title() + " — " + sc.summary + "\n")
	}
	b.WriteString("Commands take --" + projectFlag.name + " " + projectFlag.arg + " (default: the channel's project). " +
		"`/stream help <command>` shows one command's flags and examples, e.g. `/stream help create`.\n")
	return b.String()
}

// HelpFor returns the help for one subcommand: its usage line, its flags,
// the regions when it takes --region and the tiers when it takes --tier,
// and its examples. For Help, the empty name or an unknown one it returns
// the overview, [HelpText].
func HelpFor(n Name) string {
	sc := lookupSubcommand(string(n))
	if sc == nil || sc == helpCmd {
		return HelpText()
	}
	var b strings.Builder
	b.WriteString("Usage: " + sc.usage() + "\n\n")
	sc.writeFlags(&b)
	regions, tiers := sc.hasFlag("region"), sc.hasFlag("tier")
	if regions || tiers {
		b.WriteString("\n")
	}
	if regions {
		writeRegions(&b)
	}
	if tiers {
		b.WriteString("Tiers, smallest first: " + joinWords(atlas.Tiers, ", ") + "\n")
	}
	b.WriteString("\nExamples:\n")
	for _, ex := range sc.examples {
		b.WriteString("  /stream " + ex + "\n")
	}
	return b.String()
}

// hasFlag reports whether the operation takes --name.
func (sc *Op) hasFlag(name string) bool {
	_, f := sc.lookupFlag(name)
	return f != nil
}

// title is the operation's words: its name and positional placeholders.
func (sc *Op) title() string {
	if a := sc.argWords(); a != "" {
		return string(sc.name) + " " + a
	}
	return string(sc.name)
}

// writeFlags writes the subcommand's summary and a table of its flags.
func (sc *Op) writeFlags(b *strings.Builder) {
	fmt.Fprintf(b, "%s: %s\n", sc.title(), sc.summary)
	width := 0
	for _, f := range sc.flags {
		width = max(width, len(f.synopsis()))
	}
	for _, f := range sc.flags {
		fmt.Fprintf(b, "  %-*s  %s\n", width, f.synopsis(), f.help)
	}
}

// argWords is the positional arguments' placeholder in usage.
func (sc *Op) argWords() string {
	switch {
	case sc.arg != "":
		return sc.arg
	case sc.Args == ArgsWorkspace:
		return "<name>"
	case sc.Args == ArgsProcessor:
		return "<workspace> <processor>"
	}
	return ""
}

func (f *flagDef) synopsis() string {
	if f.arg == "" {
		return "--" + f.name
	}
	return "--" + f.name + " " + f.arg
}

// writeRegions lists each provider's regions, with cloud codes.
func writeRegions(b *strings.Builder) {
	b.WriteString("Regions (Atlas name, or the cloud's code in parentheses; any case):\n")
	for _, p := range atlas.Providers {
		var words []string
		for _, r := range regionTable {
			if r.Provider != p {
				continue
			}
			w := r.Name
			if r.Code != "" {
				w += " (" + r.Code + ")"
			}
			words = append(words, w)
		}
		writeWrapped(b, fmt.Sprintf("  %-6s", p), words)
	}
}

// writeWrapped writes words after prefix, separated by commas, wrapping
// lines at about 100 columns with continuation lines indented to match.
func writeWrapped(b *strings.Builder, prefix string, words []string) {
	const width = 100
	b.WriteString(prefix)
	col := len(prefix)
	for i, w := range words {
		sep := " "
		if i > 0 {
			b.WriteString(",")
			col++
		}
		if i > 0 && col+len(sep)+len(w) > width {
			b.WriteString("\n" + strings.Repeat(" ", len(prefix)))
			col = len(prefix)
		}
		b.WriteString(sep + w)
		col += len(sep) + len(w)
	}
	b.WriteString("\n")
}

func joinWords[S ~string](xs []S, sep string) string {
	ss := make([]string, len(xs))
	for i, x := range xs {
		ss[i] = string(x)
	}
	return strings.Join(ss, sep)
}
