package form

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// maxListed is how many options RenderViewAsText lists in one select or
// option group before it only counts the rest.
const maxListed = 6

// RenderViewAsText shows a modal as text, for `make run` and the console
// Slack: the title and buttons, then each block, an input as its label,
// block_id, kind and options — a long list shortened to its first options
// and a count — with the preselected option marked "(selected)" and the
// hint below. It works on any modal, including one read back from JSON.
func RenderViewAsText(v slack.ModalViewRequest) string {
	var b strings.Builder
	b.WriteString("[modal] " + text(v.Title))
	if v.Submit != nil {
		b.WriteString("  [" + text(v.Submit) + "]")
	}
	if v.Close != nil {
		b.WriteString("  [" + text(v.Close) + "]")
	}
	if v.CallbackID != "" {
		b.WriteString("  callback_id=" + v.CallbackID)
	}
	b.WriteString("\n")
	for _, bl := range v.Blocks.BlockSet {
		writeBlock(&b, bl)
	}
	return b.String()
}

func writeBlock(b *strings.Builder, bl slack.Block) {
	switch bl := bl.(type) {
	case *slack.InputBlock:
		opt := ""
		if bl.Optional {
			opt = " (optional)"
		}
		fmt.Fprintf(b, "• %s%s [%s]: %s\n", text(bl.Label), opt, bl.BlockID, element(bl.Element))
		if bl.Hint != nil {
			b.WriteString("    " + text(bl.Hint) + "\n")
		}
	case *slack.SectionBlock:
		b.WriteString(text(bl.Text) + "\n")
	case *slack.HeaderBlock:
		b.WriteString("# " + text(bl.Text) + "\n")
	case *slack.ContextBlock:
		var parts []string
		for _, e := range bl.ContextElements.Elements {
			if t, ok := e.(*slack.TextBlockObject); ok {
				parts = append(parts, t.Text)
			}
		}
		b.WriteString(strings.Join(parts, " ") + "\n")
	case *slack.DividerBlock:
		b.WriteString("---\n")
	default:
		fmt.Fprintf(b, "(%s block)\n", bl.BlockType())
	}
}

func element(e slack.BlockElement) string {
	switch e := e.(type) {
	case *slack.PlainTextInputBlockElement:
		s := "text"
		if e.MaxLength > 0 {
			s += ", at most " + strconv.Itoa(e.MaxLength) + " characters"
		}
		if e.Placeholder != nil {
			s += `, e.g. "` + text(e.Placeholder) + `"`
		}
		return s
	case *slack.SelectBlockElement:
		return selectText(e)
	case *slack.CheckboxGroupsBlockElement:
		return "checkboxes " + checks(e.Options, e.InitialOptions)
	case *slack.RadioButtonsBlockElement:
		var init []*slack.OptionBlockObject
		if e.InitialOption != nil {
			init = append(init, e.InitialOption)
		}
		return "one of " + checks(e.Options, init)
	case nil:
		return "(no element)"
	}
	return "(" + string(e.ElementType()) + ")"
}

func selectText(e *slack.SelectBlockElement) string {
	ph := ""
	if e.Placeholder != nil {
		ph = `, empty: "` + text(e.Placeholder) + `"`
	}
	switch e.Type {
	case slack.OptTypeStatic:
	case slack.OptTypeConversations, slack.OptTypeChannels:
		s := "a conversation"
		if e.Filter != nil && len(e.Filter.Include) > 0 {
			s += " (" + strings.Join(e.Filter.Include, ", ") + ")"
		}
		return s + ph
	case slack.OptTypeUser:
		return "a person" + ph
	default:
		return "(" + e.Type + ")" + ph
	}
	initial := ""
	if e.InitialOption != nil {
		initial = e.InitialOption.Value
	}
	if len(e.OptionGroups) == 0 {
		return "one of " + optionList(e.Options, initial) + ph
	}
	var s strings.Builder
	n := 0
	for _, g := range e.OptionGroups {
		n += len(g.Options)
	}
	fmt.Fprintf(&s, "one of %d in %d groups%s", n, len(e.OptionGroups), ph)
	for _, g := range e.OptionGroups {
		fmt.Fprintf(&s, "\n    %s (%d): %s", text(g.Label), len(g.Options), optionList(g.Options, initial))
	}
	return s.String()
}

// optionList lists options by their text: all of them, or when there are
// more than maxListed the first few, the selected one and a count of the
// rest.
func optionList(opts []*slack.OptionBlockObject, initial string) string {
	var parts []string
	shown := 0
	for i, o := range opts {
		selected := initial != "" && o.Value == initial
		if len(opts) > maxListed && i >= maxListed-2 && !selected {
			continue
		}
		p := text(o.Text)
		if selected {
			p += " (selected)"
		}
		parts = append(parts, p)
		shown++
	}
	if shown < len(opts) {
		parts = append(parts, fmt.Sprintf("… %d more", len(opts)-shown))
	}
	return strings.Join(parts, ", ")
}

// checks shows checkboxes or radio buttons as [x] or [ ] and their text.
func checks(opts, initial []*slack.OptionBlockObject) string {
	var parts []string
	for _, o := range opts {
		box := "[ ] "
		for _, in := range initial {
			if in != nil && in.Value == o.Value {
				box = "[x] "
			}
		}
		parts = append(parts, box+text(o.Text))
	}
	return strings.Join(parts, ", ")
}

func text(t *slack.TextBlockObject) string {
	if t == nil {
		return ""
	}
	return t.Text
}

// blockOrder is the order of the form's input blocks.
var blockOrder = []string{BlockName, BlockProject, BlockRegion, BlockTier, BlockMaxTier, BlockSampleSolar, BlockChannel}

// RenderErrorsAsText shows the field errors of a submission as text, one
// line per field in the form's order (for `make run` and the console
// Slack): "• name: workspace name …". Keys that are not the form's come
// last, sorted.
func RenderErrorsAsText(errs map[string]string) string {
	var b strings.Builder
	var rest []string
	for id := range errs {
		if !slices.Contains(blockOrder, id) {
			rest = append(rest, id)
		}
	}
	slices.Sort(rest)
	for _, id := range append(slices.Clone(blockOrder), rest...) {
		if msg, ok := errs[id]; ok {
			b.WriteString("• " + id + ": " + msg + "\n")
		}
	}
	return b.String()
}
