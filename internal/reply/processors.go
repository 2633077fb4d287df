package reply

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/pkg/atlas"
)

// Scope names the workspace a processors or connections message is about.
type Scope struct {
	// Project is the policy alias or project ID, for display.
	Project string
	// GroupID is the project's ID: a Cluster connection to another
	// project shows that project, one to this project does not.
	GroupID   string
	Workspace string
}

// ProcessorButtons returns the buttons of one processor (Start, Stop…), or
// nil for none, for example when the caller may not operate. The button
// values are the caller's business; the renderers only place them, in a
// block whose block_id is the first button's BlockID (the edge checks a
// click against it, and Slack wants each block_id once a message: give
// each processor's buttons their own). A nil ProcessorButtons means no
// buttons at all.
type ProcessorButtons func(p atlas.StreamProcessor) []Button

// Slack's Block Kit limits the renderers stay within.
const (
	// maxProcessorRows is how many processors a list shows one by one,
	// with figures and buttons; the rest are summarised by name.
	maxProcessorRows = 20
	// maxNamedRest is how many more a list names, without figures.
	maxNamedRest = 100
	// maxTextFallback bounds the notification text of a message.
	maxTextFallback = 3000
	// maxPipelineJSON bounds the pipeline shown in a code block.
	maxPipelineJSON = 2000
)

// stateBadge returns the emoji and word for a processor state; an unknown
// or empty state is shown as it is, escaped.
func stateBadge(s atlas.ProcessorState) string {
	var emoji string
	switch s {
	case atlas.ProcessorStarted:
		emoji = "🟢"
	case atlas.ProcessorStopped:
		emoji = "⏸️"
	case atlas.ProcessorFailed:
		emoji = "🔴"
	case atlas.ProcessorCreated:
		emoji = "⚪"
	default:
		emoji = "❔"
	}
	return emoji + " " + truncate(Escape(orDash(string(s))), maxWord)
}

// maxWord bounds a state or tier word that Atlas could send at any length.
const maxWord = 40

// stateRank orders a list: failed first (what needs attention), then
// running, stopped, created and anything else.
func stateRank(s atlas.ProcessorState) int {
	switch s {
	case atlas.ProcessorFailed:
		return 0
	case atlas.ProcessorStarted:
		return 1
	case atlas.ProcessorStopped:
		return 2
	case atlas.ProcessorCreated:
		return 3
	}
	return 4
}

// count renders a stat count with thousands separators, or "–" when the
// stats do not hold it.
func count(n int64, ok bool) string {
	if !ok {
		return "–"
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// slackDate renders t with Slack's date formatting, so each reader sees
// their own time zone; the fallback is UTC.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// lastChange renders when the processor last changed state, or "–".
func lastChange(s atlas.ProcessorStats) (block, plain string) {
	t, ok := s.LastStateChange()
	if !ok {
		return "–", "–"
	}
	return slackDate(t), t.UTC().Format("2006-01-02 15:04 UTC")
}

// figures is the one-line summary of a processor's stats.
func figures(p atlas.StreamProcessor) string {
	changed, _ := lastChange(p.Stats)
	return fmt.Sprintf("in %s · out %s · DLQ %s · changed %s",
		count(p.Stats.InputMessageCount()), count(p.Stats.OutputMessageCount()), count(p.Stats.DLQMessageCount()), changed)
}

// tierText is the processor's tier, or "default tier".
func tierText(t atlas.Tier) string {
	if t == "" {
		return "default tier"
	}
	return truncate(Escape(string(t)), maxWord)
}

// buttonsFor calls buttons safely: nil means none. It returns the
// elements and the block_id of the block that holds them.
func buttonsFor(buttons ProcessorButtons, p atlas.StreamProcessor) ([]slack.BlockElement, string) {
	if buttons == nil {
		return nil, ""
	}
	bs := buttons(p)
	if len(bs) > MaxButtonsPerBlock {
		bs = bs[:MaxButtonsPerBlock]
	}
	if len(bs) == 0 {
		return nil, ""
	}
	els := make([]slack.BlockElement, len(bs))
	for i, b := range bs {
		els[i] = b.element()
	}
	return els, bs[0].BlockID
}

// ProcessorsList renders `/stream processors <workspace>`: a summary of the
// states, then each processor with its state (word and emoji), tier,
// input, output and DLQ counts, when it last changed state, and the
// buttons buttons returns for it. Failed processors come first, then
// running, stopped and created ones. With more than 20 processors, the
// next 100 are listed by name and state only, and the message says how to
// see one in full; whatever is not listed is counted, never dropped
// silently.
func ProcessorsList(s Scope, ps []atlas.StreamProcessor, buttons ProcessorButtons) Message {
	where := fmt.Sprintf("workspace %s in project %s", code(s.Workspace), Escape(s.Project))
	plainWhere := fmt.Sprintf("workspace %s in project %s", Escape(s.Workspace), Escape(s.Project))
	if len(ps) == 0 {
		line := "No stream processors in " + where + "."
		return Message{Text: "No stream processors in " + plainWhere + ".", Blocks: []slack.Block{section(line)}}
	}
	sorted := slices.Clone(ps)
	slices.SortStableFunc(sorted, func(a, b atlas.StreamProcessor) int {
		if d := stateRank(a.State) - stateRank(b.State); d != 0 {
			return d
		}
		return strings.Compare(a.Name, b.Name)
	})

	noun := "stream processors"
	if len(ps) == 1 {
		noun = "stream processor"
	}
	summary := stateSummary(sorted)
	head := fmt.Sprintf("*%d %s in %s*\n%s", len(ps), noun, where, summary)
	blocks := []slack.Block{section(head)}
	text := fmt.Sprintf("%d %s in %s: %s.", len(ps), noun, plainWhere, stripEmoji(summary))

	// Reserve room for the summary of the rest and the closing context.
	const reserved = 5
	shown := 0
	for _, p := range sorted {
		if shown == maxProcessorRows {
			break
		}
		els, blockID := buttonsFor(buttons, p)
		need := 1
		if len(els) > 1 {
			need = 2
		}
		if len(blocks)+need > maxBlocks-reserved {
			break
		}
		line := fmt.Sprintf("%s *%s* · %s\n%s", stateBadge(p.State), code(p.Name), tierText(p.Tier), figures(p))
		var acc *slack.Accessory
		var opts []slack.SectionBlockOption
		if len(els) == 1 {
			acc = slack.NewAccessory(els[0])
			opts = append(opts, slack.SectionBlockOptionBlockID(blockID))
		}
		blocks = append(blocks, slack.NewSectionBlock(
			slack.NewTextBlockObject(slack.MarkdownType, truncate(line, maxSectionText), false, false), nil, acc, opts...))
		if len(els) > 1 {
			blocks = append(blocks, slack.NewActionBlock(blockID, els...))
		}
		shown++
	}

	rest := sorted[shown:]
	listed := 0
	if len(rest) > 0 {
		var chunk strings.Builder
		inChunk := 0
		flush := func() bool {
			if inChunk == 0 {
				return true
			}
			if len(blocks) >= maxBlocks-1 { // the closing context needs the last one
				return false
			}
			blocks = append(blocks, section(strings.TrimRight(chunk.String(), "\n")))
			listed += inChunk
			chunk.Reset()
			inChunk = 0
			return true
		}
		chunk.WriteString("*The other " + strconv.Itoa(len(rest)) + "*\n")
		for _, p := range rest {
			line := stateBadge(p.State) + " " + code(p.Name) + "\n"
			if listed+inChunk == maxNamedRest || chunk.Len()+len(line) > maxSectionText && !flush() {
				break
			}
			chunk.WriteString(line)
			inChunk++
		}
		flush()
	}
	var note string
	seeOne := fmt.Sprintf("See one in full with `/stream processor %s %s`", Escape(s.Workspace), Escape("<name>"))
	switch hidden := len(rest) - listed; {
	case len(rest) == 0:
		note = seeOne + "."
	case hidden > 0:
		note = fmt.Sprintf("Showing %d of %d in full and %d by name; %d more are not shown. %s, or all of them in the Atlas UI.",
			shown, len(ps), listed, hidden, seeOne)
	default:
		note = fmt.Sprintf("Showing %d of %d in full; the other %d by name. %s.", shown, len(ps), len(rest), seeOne)
	}
	blocks = append(blocks, contextBlock(note))
	return Message{Text: truncate(text+" "+stripEmoji(note), maxTextFallback), Blocks: blocks}
}

// stateSummary counts the processors per state, e.g.
// "🔴 1 FAILED · 🟢 3 STARTED · ⏸️ 2 STOPPED"; ps is sorted by state.
func stateSummary(ps []atlas.StreamProcessor) string {
	var parts []string
	for i := 0; i < len(ps); {
		j := i
		for j < len(ps) && ps[j].State == ps[i].State {
			j++
		}
		badge := stateBadge(ps[i].State)
		emoji, word, _ := strings.Cut(badge, " ")
		parts = append(parts, fmt.Sprintf("%s %d %s", emoji, j-i, word))
		i = j
	}
	return strings.Join(parts, " · ")
}

// emojiStripper removes the state emoji and mrkdwn marks.
var emojiStripper = strings.NewReplacer("🟢 ", "", "⏸️ ", "", "🔴 ", "", "⚪ ", "", "❔ ", "", "`", "", "*", "")

// stripEmoji turns a line of badges into plain text for the fallback.
func stripEmoji(s string) string { return emojiStripper.Replace(s) }

// ProcessorDetail renders `/stream processor <workspace> <name>`: the state,
// tier and figures in full, the other scalar stats, the pipeline's stages
// in order ($source → $match → $merge) and its JSON (truncated) in a code
// block, the dead letter queue settings, and the buttons.
func ProcessorDetail(s Scope, p atlas.StreamProcessor, buttons ProcessorButtons) Message {
	head := fmt.Sprintf("%s *Stream processor %s* in workspace %s · project %s",
		stateBadge(p.State), code(p.Name), code(s.Workspace), Escape(s.Project))
	changed, plainChanged := lastChange(p.Stats)
	blocks := []slack.Block{
		section(head),
		fields("State", stateBadge(p.State), "Tier", tierText(p.Tier),
			"Input messages", count(p.Stats.InputMessageCount()), "Output messages", count(p.Stats.OutputMessageCount()),
			"DLQ messages", count(p.Stats.DLQMessageCount()), "Last state change", changed),
	}
	text := fmt.Sprintf("Stream processor %s in workspace %s (project %s): %s, %s; in %s, out %s, DLQ %s, changed %s.",
		Escape(p.Name), Escape(s.Workspace), Escape(s.Project), Escape(orDash(string(p.State))), tierText(p.Tier),
		count(p.Stats.InputMessageCount()), count(p.Stats.OutputMessageCount()), count(p.Stats.DLQMessageCount()), plainChanged)

	shown := map[string]bool{atlas.StatInputMessageCount: true, atlas.StatOutputMessageCount: true, atlas.StatDLQMessageCount: true}
	var other strings.Builder
	for _, f := range p.Stats.Scalars() {
		if shown[f.Key] {
			continue
		}
		fmt.Fprintf(&other, "%s: %s\n", f.Key, f.Value)
	}
	if other.Len() > 0 {
		blocks = append(blocks, section("*Stats*\n"+codeBlock(other.String(), maxSectionText-20)))
	}

	stages := p.Stages()
	if len(stages) == 0 {
		blocks = append(blocks, section("*Pipeline*\n_no stages_"))
	} else {
		cs := make([]string, len(stages))
		for i, st := range stages {
			cs[i] = code(st)
		}
		noun := "stages"
		if len(stages) == 1 {
			noun = "stage"
		}
		blocks = append(blocks, section(fmt.Sprintf("*Pipeline* (%d %s)\n%s", len(stages), noun, strings.Join(cs, " → "))))
		blocks = append(blocks, section(codeBlock(pipelineJSON(p.Pipeline), maxPipelineJSON)))
		text += " Pipeline: " + Escape(strings.Join(stages, " → ")) + "."
	}

	dlq := "_none_"
	if p.Options != nil && p.Options.DLQ != nil && (p.Options.DLQ.ConnectionName != "" || p.Options.DLQ.Coll != "") {
		d := p.Options.DLQ
		dlq = fmt.Sprintf("connection %s → %s", code(orDash(d.ConnectionName)), code(orDash(d.DB)+"."+orDash(d.Coll)))
	}
	blocks = append(blocks, section("*Dead letter queue*\n"+dlq))
	if els, blockID := buttonsFor(buttons, p); len(els) > 0 {
		blocks = append(blocks, slack.NewActionBlock(blockID, els...))
	}
	return Message{Text: truncate(text, maxTextFallback), Blocks: blocks}
}

// pipelineJSON is the pipeline as indented JSON; stages that are not JSON
// are shown as they are.
func pipelineJSON(stages []json.RawMessage) string {
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, st := range stages {
		var ind bytes.Buffer
		if err := json.Indent(&ind, st, "  ", "  "); err != nil {
			ind.Reset()
			ind.Write(bytes.ToValidUTF8(st, []byte("\uFFFD")))
		}
		b.WriteString("  ")
		b.Write(ind.Bytes())
		if i < len(stages)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]")
	return b.String()
}

// codeBlock renders raw text (not yet escaped) as a code block of at most
// n bytes; a cut is marked "(truncated)".
func codeBlock(raw string, n int) string {
	body := strings.ReplaceAll(Escape(strings.ToValidUTF8(strings.TrimRight(raw, "\n"), "\uFFFD")), "```", "'''")
	const marker = "\n… (truncated)"
	if len(body)+6 > n {
		body = strings.TrimSuffix(truncate(body, n-6-len(marker)), "…") + marker
	}
	return "```" + body + "```"
}

// Connections renders `/stream connections <workspace>`: per connection its
// name, type and state, and what identifies it by type: Kafka's bootstrap
// servers and security protocol, a cluster's name (and project when it is
// another), a sample's name; other types show the type alone. Nothing from
// a connection's authentication is ever rendered: atlas.StreamConnection
// does not hold it.
func Connections(s Scope, cs []atlas.StreamConnection) Message {
	where := fmt.Sprintf("workspace %s in project %s", code(s.Workspace), Escape(s.Project))
	plainWhere := fmt.Sprintf("workspace %s in project %s", Escape(s.Workspace), Escape(s.Project))
	if len(cs) == 0 {
		return Message{Text: "No connections in " + plainWhere + ".", Blocks: []slack.Block{section("No connections in " + where + ".")}}
	}
	noun := "connections"
	if len(cs) == 1 {
		noun = "connection"
	}
	blocks := []slack.Block{section(fmt.Sprintf("*%d %s in %s*", len(cs), noun, where))}
	names := make([]string, 0, len(cs))
	var chunk strings.Builder
	listed := 0
	for _, c := range cs {
		line := "• " + connectionLine(s, c) + "\n"
		if chunk.Len()+len(line) > maxSectionText {
			if len(blocks) >= maxBlocks-2 {
				break
			}
			blocks = append(blocks, section(strings.TrimRight(chunk.String(), "\n")))
			chunk.Reset()
		}
		chunk.WriteString(line)
		names = append(names, Escape(c.Name)+" ("+Escape(orDash(c.Type))+")")
		listed++
	}
	if chunk.Len() > 0 {
		blocks = append(blocks, section(strings.TrimRight(chunk.String(), "\n")))
	}
	if hidden := len(cs) - listed; hidden > 0 {
		blocks = append(blocks, contextBlock(fmt.Sprintf("%d more are not shown; see them in the Atlas UI.", hidden)))
	}
	text := fmt.Sprintf("%d %s in %s: %s.", len(cs), noun, plainWhere, strings.Join(names, ", "))
	return Message{Text: truncate(text, maxTextFallback), Blocks: blocks}
}

// connectionLine is one connection: `name` · Type · STATE — what
// identifies it.
func connectionLine(s Scope, c atlas.StreamConnection) string {
	line := code(c.Name) + " · " + Escape(orDash(c.Type))
	if c.State != "" {
		line += " · " + Escape(c.State)
	}
	var what string
	switch c.Type {
	case atlas.ConnectionKafka:
		what = "bootstrap " + code(orDash(c.BootstrapServers))
		if c.Security != nil && c.Security.Protocol != "" {
			what += " over " + Escape(c.Security.Protocol)
		}
	case atlas.ConnectionCluster:
		what = "cluster " + code(orDash(c.ClusterName))
		if c.ClusterGroupID != "" && c.ClusterGroupID != s.GroupID {
			what += " in project " + code(c.ClusterGroupID)
		}
	case atlas.ConnectionSample:
		what = "sample " + code(c.Name)
	}
	if what != "" {
		line += " — " + what
	}
	return line
}

// ProcessorNotFound renders the answer for a processor name Atlas does not
// know in the workspace, with the nearest existing name when there is one
// (see suggest.NearestName).
func ProcessorNotFound(s Scope, name, suggestion string) Message {
	line := fmt.Sprintf("No stream processor named %s in workspace %s (project %s).", code(name), code(s.Workspace), Escape(s.Project))
	if suggestion != "" {
		line += fmt.Sprintf(" Did you mean %s?", code(suggestion))
	}
	return Message{Text: truncate(strings.ReplaceAll(line, "`", ""), maxTextFallback), Blocks: []slack.Block{section(line)}}
}

// ProcessorChanged renders the thread reply after a start or stop: what
// was done (verb, e.g. "started") and the state and tier Atlas reports
// afterwards.
func ProcessorChanged(s Scope, verb string, p atlas.StreamProcessor) Message {
	line := fmt.Sprintf("✅ Stream processor %s in workspace %s %s. Atlas now reports %s (%s).",
		code(p.Name), code(s.Workspace), Escape(verb), stateBadge(p.State), tierText(p.Tier))
	text := fmt.Sprintf("Stream processor %s in workspace %s %s. Atlas now reports %s (%s).",
		Escape(p.Name), Escape(s.Workspace), Escape(verb), truncate(Escape(orDash(string(p.State))), maxWord), tierText(p.Tier))
	return Message{Text: truncate(text, maxTextFallback), Blocks: []slack.Block{section(line), contextBlock(figures(p))}}
}

// ProcessorUnchanged renders the answer when nothing was sent because the
// processor is already where the caller wants it, e.g. a start on a
// running processor ("already running").
func ProcessorUnchanged(s Scope, p atlas.StreamProcessor, already string) Message {
	line := fmt.Sprintf("Stream processor %s in workspace %s is %s (%s); nothing was sent to Atlas.",
		code(p.Name), code(s.Workspace), Escape(already), stateBadge(p.State))
	return Message{Text: truncate(stripEmoji(line), maxTextFallback), Blocks: []slack.Block{section(line)}}
}

// StopAsk is what the worker shows for `/stream stop`: the processor as
// Atlas reports it, with a danger Stop (behind Slack's confirm dialog) and
// Cancel.
type StopAsk struct {
	UserID    string
	Scope     Scope
	Processor atlas.StreamProcessor
	Stop      Button
	Cancel    Button
}

// AskStop renders the stop confirmation message:
//
//	<@U…> asks to *stop* stream processor `solarDemo` in workspace `orders-ws` (project dev).
//	🟢 STARTED · SP10 · in 926 · out 383 · DLQ 2 · changed …
//	[Stop] [Cancel]
func AskStop(a StopAsk) Message {
	p, s := a.Processor, a.Scope
	head := fmt.Sprintf("%s asks to *stop* stream processor %s in workspace %s (project %s). Stopping interrupts its pipeline until it is started again.",
		mention(a.UserID), code(p.Name), code(s.Workspace), Escape(s.Project))
	text := fmt.Sprintf("%s asks to stop stream processor %s in workspace %s (project %s), now %s.",
		mention(a.UserID), Escape(p.Name), Escape(s.Workspace), Escape(s.Project), Escape(orDash(string(p.State))))
	m := Message{Text: truncate(text, maxTextFallback), Blocks: []slack.Block{
		section(head),
		section(fmt.Sprintf("%s · %s\n%s", stateBadge(p.State), tierText(p.Tier), figures(p))),
		contextBlock("Only " + mention(a.UserID) + " can confirm, within 15 minutes. Nothing has been stopped yet."),
	}}
	return withButtons(m, []Button{a.Stop, a.Cancel})
}

// ProcessorRequest renders the parent message of a start, under which the
// answer is threaded: who asked to do what (verb, e.g. "start") to which
// processor, and the status (⏳, then ✅ or ❌).
func ProcessorRequest(s Scope, userID, verb, processor, detail string, st Status) Message {
	line := fmt.Sprintf("%s asked to %s stream processor %s in workspace %s · project %s",
		mention(userID), Escape(verb), code(processor), code(s.Workspace), Escape(s.Project))
	if detail != "" {
		line += " · " + Escape(detail)
	}
	line += " " + string(st)
	return Message{Text: truncate(strings.ReplaceAll(line, "`", ""), maxTextFallback), Blocks: []slack.Block{section(line)}}
}
