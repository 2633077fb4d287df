package reply

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/pkg/atlas"
)

// Button is one button of a message. Value is the encoded record of
// internal/button; the renderers here only place it.
type Button struct {
	Label    string
	ActionID string
	Value    string
	// BlockID is the block_id of the block the button sits in (the edge
	// checks a click's value against it); buttons with the same BlockID
	// share one actions block.
	BlockID string
	// Style is "", "primary" or "danger".
	Style slack.Style
	// Confirm, when set, is Slack's own "are you sure?" dialog before the
	// click is sent.
	Confirm *Confirm
}

// Confirm is Slack's confirmation dialog of a button.
type Confirm struct {
	Title, Text, Yes, No string
}

// MaxButtonsPerBlock is Block Kit's limit of elements in an actions block:
// give the buttons of a long list a new BlockID every 25.
const MaxButtonsPerBlock = 25

// maxBlocks is Slack's limit of blocks in a message.
const maxBlocks = 50

// actionBlocks renders buttons into actions blocks: one per BlockID, at
// most 25 buttons each, and no more blocks than room leaves in a message.
// It reports how many buttons had no room.
func actionBlocks(bs []Button, room int) ([]slack.Block, int) {
	var out []slack.Block
	var cur *slack.ActionBlock
	curID := ""
	dropped := 0
	for _, b := range bs {
		if cur == nil || b.BlockID != curID || len(cur.Elements.ElementSet) >= MaxButtonsPerBlock {
			if len(out) >= room {
				dropped++
				continue
			}
			cur = slack.NewActionBlock(b.BlockID)
			curID = b.BlockID
			out = append(out, cur)
		}
		cur.Elements.ElementSet = append(cur.Elements.ElementSet, b.element())
	}
	return out, dropped
}

// element renders the button as a Block Kit element.
func (b Button) element() *slack.ButtonBlockElement {
	el := slack.NewButtonBlockElement(b.ActionID, b.Value, slack.NewTextBlockObject(slack.PlainTextType, truncate(b.Label, 75), true, false))
	if b.Style != "" {
		el = el.WithStyle(b.Style)
	}
	if c := b.Confirm; c != nil {
		el = el.WithConfirm(slack.NewConfirmationBlockObject(
			slack.NewTextBlockObject(slack.PlainTextType, truncate(c.Title, 100), false, false),
			slack.NewTextBlockObject(slack.MarkdownType, truncate(c.Text, 300), false, false),
			slack.NewTextBlockObject(slack.PlainTextType, truncate(c.Yes, 30), false, false),
			slack.NewTextBlockObject(slack.PlainTextType, truncate(c.No, 30), false, false)))
		if b.Style == slack.StyleDanger {
			el.Confirm.Style = slack.StyleDanger
		}
	}
	return el
}

// withButtons appends bs to m's blocks within Slack's 50 blocks.
func withButtons(m Message, bs []Button) Message {
	if len(bs) == 0 {
		return m
	}
	blocks, dropped := actionBlocks(bs, maxBlocks-len(m.Blocks)-1)
	m.Blocks = append(m.Blocks, blocks...)
	if dropped > 0 {
		m.Blocks = append(m.Blocks, contextBlock(fmt.Sprintf("%d more buttons did not fit in one message.", dropped)))
	}
	return m
}

// Change is one line of an update's before → after.
type Change struct {
	Field  string // "tier", "max tier", "region"
	Before string // "" shows as –
	After  string
}

// UpdateAsk is what the worker shows for `/stream update`: the change as
// before → after, with Apply and Cancel.
type UpdateAsk struct {
	UserID  string
	Name    string
	Project string
	Changes []Change
	Apply   Button
	Cancel  Button
}

// AskUpdate renders the update's confirmation message:
//
//	<@U…> asks to update stream workspace `orders-ws` in project dev:
//	• tier: SP10 → SP30
//	• max tier: – → SP50
//	[Apply] [Cancel]
func AskUpdate(u UpdateAsk) Message {
	head := fmt.Sprintf("%s asks to update stream workspace %s in project %s:", mention(u.UserID), code(u.Name), Escape(u.Project))
	text := head + " " + changeText(u.Changes) + "."
	body := head + "\n" + changeLines(u.Changes)
	m := Message{Text: strings.ReplaceAll(text, "`", ""), Blocks: []slack.Block{
		section(body),
		contextBlock("Only " + mention(u.UserID) + " can apply this, within 15 minutes. Nothing has changed yet."),
	}}
	return withButtons(m, []Button{u.Apply, u.Cancel})
}

func changeLines(cs []Change) string {
	lines := make([]string, len(cs))
	for i, c := range cs {
		lines[i] = "• " + Escape(c.Field) + ": " + Escape(orNothing(c.Before)) + " → *" + Escape(orNothing(c.After)) + "*"
	}
	return strings.Join(lines, "\n")
}

func changeText(cs []Change) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = Escape(c.Field) + " " + Escape(orNothing(c.Before)) + " → " + Escape(orNothing(c.After))
	}
	return strings.Join(parts, ", ")
}

// orNothing shows an unset value as an en dash.
func orNothing(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// NoChange answers an update whose values are already the workspace's.
func NoChange(name, project string, cs []Change) Message {
	line := fmt.Sprintf("Stream workspace %s in project %s already has these values (%s): nothing to change, nothing was sent to Atlas.",
		code(name), Escape(project), changeText(cs))
	return Message{Text: strings.ReplaceAll(line, "`", ""), Blocks: []slack.Block{section(line)}}
}

// Counts is what runs in a workspace, for the delete confirmation.
type Counts struct {
	Processors, Running, Connections int
}

// DeleteAsk is what the worker shows for `/stream delete`: what would go,
// with a danger Delete (behind Slack's confirm dialog) and Cancel.
type DeleteAsk struct {
	UserID    string
	Project   string
	Workspace atlas.StreamWorkspace
	// Counts is nil when the bot cannot count processors and connections.
	Counts *Counts
	Delete Button
	Cancel Button
}

// AskDelete renders the delete confirmation message.
func AskDelete(d DeleteAsk) Message {
	w := d.Workspace
	p, r, t, m := parts(w)
	head := fmt.Sprintf("%s asks to *delete* stream workspace %s in project %s. This would go:",
		mention(d.UserID), code(w.Name), Escape(d.Project))
	procs, conns := "unknown", "unknown"
	if c := d.Counts; c != nil {
		procs = fmt.Sprintf("%d (%d running)", c.Processors, c.Running)
		conns = fmt.Sprint(c.Connections)
	}
	hosts := "_none assigned_"
	if len(w.Hostnames) > 0 {
		hosts = codeLines(w.Hostnames)
	}
	blocks := []slack.Block{
		section(head),
		fields("Provider / region", where(p, r), "Tier", tiers(t, m), "Processors", procs, "Connections", conns),
		section("*Hostnames*\n" + hosts),
		contextBlock("Only " + mention(d.UserID) + " can confirm, within 15 minutes. Nothing has been deleted yet."),
	}
	text := fmt.Sprintf("%s asks to delete stream workspace %s in project %s: %s, %s, processors: %s, connections: %s.",
		mention(d.UserID), Escape(w.Name), Escape(d.Project), where(p, r), tiers(t, m), procs, conns)
	return withButtons(Message{Text: text, Blocks: blocks}, []Button{d.Delete, d.Cancel})
}

// Decision is the state of a confirmation message after a click, from
// which [Decided] renders it anew, without buttons.
type Decision struct {
	// Op is the operation ("delete", "update", "stop"); Summary what it
	// changes ("tier SP10 → SP30"), or empty.
	Op     string
	UserID string // who asked
	Name   string // the workspace
	// Processor is the stream processor the operation acts on (stop);
	// empty for an operation on the workspace.
	Processor string
	Project   string
	Summary   string
	// By is who clicked, At when; Confirmed false means cancelled.
	By        string
	At        time.Time
	Confirmed bool
	// Expired says the click came after the confirmation's time: nothing
	// was done, and the message says so.
	Expired bool
	// Status is the outcome once known: StatusPending while the worker
	// runs, then StatusDone or StatusFailed. Cancelled messages show none.
	Status Status
}

// Decided renders a confirmation message after its click:
//
//	<@U…> asked to delete stream workspace `orders-ws` in project dev · confirmed by <@U…> at 09:31 UTC ✅
func Decided(d Decision) Message {
	what := fmt.Sprintf("%s asked to %s stream workspace %s in project %s", mention(d.UserID), Escape(d.Op), code(d.Name), Escape(d.Project))
	if d.Processor != "" {
		what = fmt.Sprintf("%s asked to %s stream processor %s in workspace %s, project %s",
			mention(d.UserID), Escape(d.Op), code(d.Processor), code(d.Name), Escape(d.Project))
	}
	if d.Summary != "" {
		what += " (" + Escape(d.Summary) + ")"
	}
	verb := "cancelled"
	if d.Confirmed {
		verb = "confirmed"
	}
	line := fmt.Sprintf("%s · %s by %s at %s", what, verb, mention(d.By), d.At.UTC().Format("2006-01-02 15:04 UTC"))
	if d.Expired {
		line = fmt.Sprintf("%s · expired: not confirmed in time, so nothing was done (%s clicked at %s)",
			what, mention(d.By), d.At.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if d.Confirmed && !d.Expired && d.Status != "" {
		line += " " + string(d.Status)
	}
	return Message{Text: strings.ReplaceAll(line, "`", ""), Blocks: []slack.Block{section(line)}}
}

// Deleted renders the thread reply after a delete: what was deleted, or
// that it was gone already. Pending says Atlas accepted the delete but the
// workspace was still visible when the bot stopped waiting.
func Deleted(project string, w atlas.StreamWorkspace, already, pending bool) Message {
	p, r, t, m := parts(w)
	var line string
	switch {
	case already:
		line = fmt.Sprintf("Stream workspace %s in project %s was already deleted; nothing was sent.", code(w.Name), Escape(project))
		return Message{Text: strings.ReplaceAll(line, "`", ""), Blocks: []slack.Block{section(line)}}
	case pending:
		line = fmt.Sprintf("🗑️ Atlas accepted the delete of stream workspace %s in project %s (%s, %s); it is still being removed. Check with `/stream describe %s` in a minute.",
			code(w.Name), Escape(project), where(p, r), tiers(t, m), Escape(w.Name))
	default:
		line = fmt.Sprintf("🗑️ Deleted stream workspace %s in project %s (%s, %s).", code(w.Name), Escape(project), where(p, r), tiers(t, m))
	}
	blocks := []slack.Block{section(line)}
	if len(w.Hostnames) > 0 {
		blocks = append(blocks, section("*Hostnames that no longer answer*\n"+codeLines(w.Hostnames)))
	}
	return Message{Text: strings.ReplaceAll(line, "`", ""), Blocks: blocks}
}

// Updated renders the thread reply after an update: the change and the
// workspace as Atlas now shows it.
func Updated(project string, w atlas.StreamWorkspace, cs []Change) Message {
	p, r, t, m := parts(w)
	head := fmt.Sprintf("✅ Updated stream workspace %s in project %s:\n%s", code(w.Name), Escape(project), changeLines(cs))
	text := fmt.Sprintf("✅ Updated stream workspace %s in project %s: %s. Now %s, %s.",
		Escape(w.Name), Escape(project), changeText(cs), where(p, r), tiers(t, m))
	return Message{Text: text, Blocks: []slack.Block{section(head), fields("Provider / region", where(p, r), "Tier", tiers(t, m))}}
}

// Notice renders a private notice to one person: a refused click, an
// expired confirmation, a decision already taken.
func Notice(text string) Message { return notice(Escape(text)) }

// DeniedNotice renders the private answer to a click the access policy
// refused, from the decision's own Slack text (access.Decision.Mrkdwn,
// already escaped, whom to ask as mentions), sent as it is, like
// [AckDeniedMrkdwn].
func DeniedNotice(mrkdwn string) Message { return notice("Not allowed: " + mrkdwn) }

func notice(mrkdwn string) Message {
	line := "🚫 " + mrkdwn
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}
