package command

import (
	"fmt"
	"strings"

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
	case providerFlag:
		return setProvider(c, v)
	case regionFlag:
		return setRegion(c, v)
	case tierFlag:
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

// subcommand is one `/stream <name>` form.
type subcommand struct {
	name     Name
	arg      string // the positional argument's placeholder; empty when none
	summary  string
	flags    []*flagDef
	examples []string
}

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
	dryRunFlag = &flagDef{
		name: "dry-run",
		help: "show the Atlas request that would be sent, and send nothing",
	}
)

var (
	createCmd = &subcommand{
		name: Create, arg: "<name>",
		summary: "create a stream workspace",
		flags:   []*flagDef{providerFlag, regionFlag, tierFlag, maxTierFlag, sampleSolarFlag, projectFlag, dryRunFlag},
		examples: []string{
			"create orders-ws --region us-east-1",
			"create orders-ws --region VIRGINIA_USA --tier SP10 --max-tier SP50 --project prod",
			"create clicks --provider GCP --region europe-west1 --dry-run",
			"create solar-demo --region westeurope --sample-solar",
		},
	}
	listCmd = &subcommand{
		name: List, summary: "list the project's stream workspaces",
		flags:    []*flagDef{projectFlag},
		examples: []string{"list", "list --project prod"},
	}
	describeCmd = &subcommand{
		name: Describe, arg: "<name>",
		summary:  "show one stream workspace: region, tier, hostnames",
		flags:    []*flagDef{projectFlag},
		examples: []string{"describe orders-ws", "describe orders-ws --project 5f1a2b3c4d5e6f7a8b9c0d1e"},
	}
	helpCmd = &subcommand{
		name: Help, arg: "[" + joinWords(helpTopics, "|") + "]",
		summary:  "show this help, or one subcommand's (also: -h, --help, or nothing at all)",
		examples: []string{"help create", "create --help"},
	}
	// subcommands is in the order help shows them.
	subcommands = []*subcommand{createCmd, listCmd, describeCmd, helpCmd}
)

// helpTopics are the subcommands `help` can take, in order.
var helpTopics = []Name{Create, List, Describe}

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
	"ls": List, "show": Describe, "get": Describe, "info": Describe, "status": Describe,
}

func lookupSubcommand(word string) *subcommand {
	for _, sc := range subcommands {
		if strings.EqualFold(word, string(sc.name)) {
			return sc
		}
	}
	return nil
}

func (sc *subcommand) lookupFlag(name string) (int, *flagDef) {
	for i, f := range sc.flags {
		if strings.EqualFold(name, f.name) {
			return i, f
		}
	}
	return -1, nil
}

// Usage returns the usage line of subcommand n, e.g.
// "/stream list [--project ALIAS|GROUP_ID]". For a name that is not a
// subcommand it returns every usage line, one per line.
func Usage(n Name) string {
	if sc := lookupSubcommand(string(n)); sc != nil {
		return sc.usage()
	}
	lines := make([]string, len(subcommands))
	for i, sc := range subcommands {
		lines[i] = sc.usage()
	}
	return strings.Join(lines, "\n")
}

func (sc *subcommand) usage() string {
	var b strings.Builder
	b.WriteString("/stream ")
	b.WriteString(string(sc.name))
	if sc.arg != "" {
		b.WriteString(" " + sc.arg)
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

// HelpText returns the full help text: every subcommand with its flags, the
// regions and tiers, and examples. (It cannot be called Help: that is the
// subcommand constant.)
func HelpText() string {
	var b strings.Builder
	b.WriteString("/stream creates and inspects MongoDB Atlas Stream Processing workspaces.\n\nUsage:\n")
	for _, sc := range subcommands {
		b.WriteString("  " + sc.usage() + "\n")
	}
	for _, sc := range subcommands {
		b.WriteString("\n")
		sc.writeFlags(&b)
	}
	b.WriteString("\n")
	writeRegions(&b)
	b.WriteString("\nExamples:\n")
	for _, sc := range subcommands {
		for _, ex := range sc.examples {
			b.WriteString("  /stream " + ex + "\n")
		}
	}
	return b.String()
}

// HelpFor returns the help for one subcommand: its usage line, flags and
// examples. For Help, the empty name or an unknown one it returns
// [HelpText].
func HelpFor(n Name) string {
	sc := lookupSubcommand(string(n))
	if sc == nil || sc == helpCmd {
		return HelpText()
	}
	var b strings.Builder
	b.WriteString("Usage: " + sc.usage() + "\n\n")
	sc.writeFlags(&b)
	if sc == createCmd {
		b.WriteString("\n")
		writeRegions(&b)
	}
	b.WriteString("\nExamples:\n")
	for _, ex := range sc.examples {
		b.WriteString("  /stream " + ex + "\n")
	}
	return b.String()
}

// writeFlags writes the subcommand's summary and a table of its flags.
func (sc *subcommand) writeFlags(b *strings.Builder) {
	title := string(sc.name)
	if sc.arg != "" {
		title += " " + sc.arg
	}
	fmt.Fprintf(b, "%s: %s\n", title, sc.summary)
	width := 0
	for _, f := range sc.flags {
		width = max(width, len(f.synopsis()))
	}
	for _, f := range sc.flags {
		fmt.Fprintf(b, "  %-*s  %s\n", width, f.synopsis(), f.help)
	}
}

func (f *flagDef) synopsis() string {
	if f.arg == "" {
		return "--" + f.name
	}
	return "--" + f.name + " " + f.arg
}

// writeRegions lists each provider's regions, with cloud codes, and the tiers.
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
	b.WriteString("Tiers, smallest first: " + joinWords(atlas.Tiers, ", ") + "\n")
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
