package main

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/form"
	"github.com/streambot/streambot/internal/reply/slackrec"
)

// console prints what a Slack client would show for the bot's messages:
// Block Kit rendered as text, threads indented under their parent.
type console struct {
	mu  sync.Mutex
	out io.Writer
}

// call prints one delivered Slack call.
func (c *console) call(sc slackrec.Call) {
	var head string
	switch sc.Method {
	case slackrec.PostMessage:
		head = "💬 streambot in " + sc.Channel + ":"
		if strings.Contains(string(sc.Blocks), `"actions"`) {
			head = "💬 streambot in " + sc.Channel + " (message " + sc.TS + "; click with --message-ts " + sc.TS + "):"
		}
		if sc.ThreadTS != "" {
			head = "    ↳ reply in the thread:"
		}
	case slackrec.Update:
		head = "✏️  streambot updated its message:"
	case slackrec.PostEphemeral:
		head = "💬 streambot in " + sc.Channel + " (only visible to @" + sc.User + "):"
	case slackrec.ResponseURL:
		head = "💬 streambot (only visible to you):"
		if sc.ResponseType == "in_channel" {
			head = "💬 streambot (through the command's response_url):"
		}
	case slackrec.ViewsOpen, slackrec.ViewsUpdate:
		c.print("🪟 streambot opens a form ("+sc.Method+"):", strings.TrimRight(renderView(sc.View), "\n")+submitHint(sc.View))
		return
	default:
		return // lookups (users.info, usergroups.users.list) show nothing in Slack
	}
	c.print(head, renderMessage(sc.Text, sc.Blocks))
}

// print writes a heading and an indented body.
func (c *console) print(head, body string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	indent := strings.Repeat(" ", 3+strings.Index(head, strings.TrimLeft(head, " ")))
	fmt.Fprintln(c.out, head)
	for _, line := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		fmt.Fprintln(c.out, indent+line)
	}
}

// block is the part of a Block Kit block the console renders.
type block struct {
	Type     string       `json:"type"`
	Text     *textObject  `json:"text"`
	Fields   []textObject `json:"fields"`
	Elements []element    `json:"elements"`
	// Accessory is a section's button (a processors list row's Start or
	// Stop…).
	Accessory *element `json:"accessory"`
}

// element is a context block's text, or an actions block's button.
type element struct {
	Type  string          `json:"type"`
	Text  json.RawMessage `json:"text"` // a string (context) or a text object (button)
	Style string          `json:"style"`
	Value string          `json:"value"`
}

// render shows a context text as it reads, and a button as [Label] with
// its value, which `streambot click` takes to press it.
func (e element) render() string {
	if e.Type != "button" {
		var s string
		_ = json.Unmarshal(e.Text, &s)
		return mrkdwn(s)
	}
	var t textObject
	_ = json.Unmarshal(e.Text, &t)
	label := "[" + t.Text + "]"
	if e.Style == "danger" {
		label = "[" + t.Text + " ⚠]"
	}
	return label + "  (streambot click '" + e.Value + "')"
}

type textObject struct {
	Text string `json:"text"`
}

// renderMessage turns a message's blocks (or, without blocks, its text)
// into terminal text.
func renderMessage(text string, blocks json.RawMessage) string {
	var bs []block
	if len(blocks) == 0 || json.Unmarshal(blocks, &bs) != nil || len(bs) == 0 {
		return mrkdwn(text)
	}
	var b strings.Builder
	for _, bl := range bs {
		switch bl.Type {
		case "divider":
			b.WriteString("────────\n")
			continue
		}
		if bl.Text != nil {
			b.WriteString(mrkdwn(bl.Text.Text) + "\n")
		}
		for _, f := range bl.Fields {
			b.WriteString(strings.ReplaceAll(mrkdwn(f.Text), "\n", ": ") + "\n")
		}
		if bl.Accessory != nil && bl.Accessory.Type == "button" {
			b.WriteString("  " + bl.Accessory.render() + "\n")
		}
		for _, e := range bl.Elements {
			b.WriteString(e.render() + "\n")
		}
	}
	return b.String()
}

var (
	slackLink = regexp.MustCompile(`<([^<>|]+)(?:\|([^<>]*))?>`)
	bold      = regexp.MustCompile(`\*([^*\n]+)\*`)
	// emoji shows the shortcodes the bot uses as Slack draws them.
	emoji = strings.NewReplacer(":no_entry:", "⛔")
)

// mrkdwn shows Slack markup the way Slack displays it: links as their
// label, mentions as @name, emoji shortcodes as emoji, no bold stars or
// code fences, and the three
// escapes unescaped last (so text a user typed as "<!channel>" stays
// visibly literal, as in Slack).
func mrkdwn(s string) string {
	s = slackLink.ReplaceAllStringFunc(s, func(m string) string {
		p := slackLink.FindStringSubmatch(m)
		target, label := p[1], p[2]
		switch {
		case strings.HasPrefix(target, "!date^") && label != "":
			return label // Slack shows the date in the reader's zone; the fallback is UTC
		case strings.HasPrefix(target, "@"), strings.HasPrefix(target, "#"):
			return target
		case strings.HasPrefix(target, "!date^") && label != "":
			return label // Slack shows the date in the reader's zone; the fallback is UTC
		case strings.HasPrefix(target, "!subteam^"):
			return "@" + strings.TrimPrefix(target, "!subteam^") // Slack shows the group's handle
		case strings.HasPrefix(target, "!"):
			return "@" + strings.TrimPrefix(target, "!")
		case label != "":
			return label + " (" + target + ")"
		}
		return target
	})
	s = bold.ReplaceAllString(strings.ReplaceAll(emoji.Replace(s), "```", ""), "$1")
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// renderView is a modal as text (form.RenderViewAsText), from the JSON the
// app sent to views.open, with its mrkdwn shown as Slack shows it (a
// channel link as #C…).
func renderView(raw json.RawMessage) string {
	var v slack.ModalViewRequest
	if err := json.Unmarshal(raw, &v); err != nil {
		return "(a view that does not parse: " + err.Error() + ")"
	}
	return mrkdwn(form.RenderViewAsText(v))
}

// submitHint is how to submit the create form view with `streambot
// submit`; empty for another view.
func submitHint(raw json.RawMessage) string {
	var v struct {
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
		Blocks          []struct {
			BlockID string `json:"block_id"`
			Element struct {
				InitialOption *struct {
					Value string `json:"value"`
				} `json:"initial_option"`
			} `json:"element"`
		} `json:"blocks"`
	}
	if json.Unmarshal(raw, &v) != nil || v.CallbackID != form.CallbackID {
		return ""
	}
	project := ""
	for _, b := range v.Blocks {
		if b.BlockID == form.BlockProject && b.Element.InitialOption != nil {
			project = " project=" + b.Element.InitialOption.Value
		}
	}
	return "\n(submit with: streambot submit --metadata '" + v.PrivateMetadata + "' name=orders-ws" + project + " region=VIRGINIA_USA tier=SP30)"
}

// renderSubmissionResponse is the answer to a view_submission as the person
// sees it: the form closes (an empty body), the errors under their fields,
// or the form replaced by a notice.
func renderSubmissionResponse(body []byte) string {
	if len(strings.TrimSpace(string(body))) == 0 {
		return "(the form closes)"
	}
	var r slack.ViewSubmissionResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return "(an answer that does not parse: " + err.Error() + ")"
	}
	switch {
	case r.ResponseAction == slack.RAErrors:
		return "the form stays open, with:\n" + form.RenderErrorsAsText(r.Errors)
	case r.View != nil:
		return "the form is replaced by:\n" + form.RenderViewAsText(*r.View)
	}
	return string(body)
}
