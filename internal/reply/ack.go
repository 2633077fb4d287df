package reply

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Ack is the immediate, ephemeral answer to a slash command: the JSON body
// of the HTTP response the Slack edge returns within Slack's 3 seconds. Only
// the caller sees it. Every Ack* function escapes the text it is given, so an
// Ack never pings or links anyone whatever the caller typed.
//
// See https://docs.slack.dev/interactivity/implementing-slash-commands#responding_to_commands
type Ack struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// Ephemeral is the response_type of a message only the caller sees.
const Ephemeral = "ephemeral"

// JSON is the Ack as the Slack edge sends it: compact JSON with '&', '<' and
// '>' left as they are (the text is already escaped for Slack), ending in a
// newline.
func (a Ack) JSON() []byte {
	var buf bytes.Buffer
	buf.Grow(len(a.Text) + 48)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(a) // two strings cannot fail to encode
	return buf.Bytes()
}

func ephemeral(text string) Ack { return Ack{ResponseType: Ephemeral, Text: text} }

// AckNone is the empty acknowledgement: the Slack edge sends it as an empty
// HTTP 200 (Socket Mode: an acknowledgement without payload), and Slack
// shows nothing. It answers a command that opened a form: the modal is the
// answer.
func AckNone() Ack { return Ack{} }

// Empty reports whether a is [AckNone].
func (a Ack) Empty() bool { return a == Ack{} }

// AckText is a private answer that says text, escaped; e.g. the create
// form's fallback when Slack refused to open it.
func AckText(text string) Ack { return ephemeral(Escape(text)) }

// Creating describes an accepted create command for [AckCreate]. The values
// are the canonical ones the worker will send to Atlas.
type Creating struct {
	// Project is how the caller should see the project: the policy's alias,
	// or the group ID when the caller named it by ID.
	Project  string
	Name     string
	Provider string
	Region   string
	// RegionInput is the cloud code the caller typed when Region was mapped
	// from it (us-east-1 → VIRGINIA_USA); empty otherwise.
	RegionInput string
	Tier        string
	MaxTier     string
	SampleSolar bool
}

// AckCreate acknowledges a create command handed to the worker:
//
//	Working on it: creating `orders-ws` in AWS / VIRGINIA_USA (SP30)…
//
// followed by one line for each detail the caller may not expect: the
// project, a region mapped from a cloud code, the max tier and the sample
// connection.
func AckCreate(c Creating) Ack {
	var b strings.Builder
	b.Grow(128)
	b.WriteString("Working on it: creating `")
	b.WriteString(Escape(c.Name))
	b.WriteString("` in ")
	b.WriteString(Escape(c.Provider))
	b.WriteString(" / ")
	b.WriteString(Escape(c.Region))
	b.WriteString(" (")
	b.WriteString(Escape(c.Tier))
	b.WriteString(")…")
	if c.Project != "" {
		b.WriteString("\n• project: ")
		b.WriteString(Escape(c.Project))
	}
	if c.RegionInput != "" {
		b.WriteString("\n• region: ")
		b.WriteString(Escape(c.RegionInput))
		b.WriteString(" → ")
		b.WriteString(Escape(c.Region))
	}
	if c.MaxTier != "" {
		b.WriteString("\n• max tier: ")
		b.WriteString(Escape(c.MaxTier))
	}
	if c.SampleSolar {
		b.WriteString("\n• sample connection: sample_stream_solar")
	}
	return ephemeral(b.String())
}

// AckWorking acknowledges a command handed to the worker with its
// declared text (command.Op.Working): "Working on it: " and working, in
// which %[1]s is the project and %[2]s the workspace, both escaped (the
// workspace as inline code), and %[3]s, %[4]s… the further names (a
// processor), also as inline code, e.g.
//
//	Working on it: looking up `orders-ws` in project dev…
func AckWorking(working, project, name string, more ...string) Ack {
	if working == "" {
		working = "on it in project %[1]s…"
	}
	args := make([]any, 0, 2+len(more))
	args = append(args, Escape(project), "`"+Escape(name)+"`")
	for _, m := range more {
		args = append(args, "`"+Escape(m)+"`")
	}
	return ephemeral("Working on it: " + fmt.Sprintf(working, args...))
}

// AckHelp shows the command's help text. The text is escaped: help shows
// placeholders such as <name>, which Slack would otherwise take for markup.
func AckHelp(help string) Ack { return ephemeral(Escape(help)) }

// AckUsage shows a usage error (a *command.UsageError's text: the bad
// token, the usage line and a suggestion), escaped.
func AckUsage(usage string) Ack { return ephemeral(Escape(usage)) }

// AckDenied tells the caller the access policy refused the command and why,
// from a plain-text reason, escaped. Nothing was handed to the worker. For
// an access.Decision use [AckDeniedMrkdwn] with its Mrkdwn, which names
// whom to ask as mentions.
func AckDenied(reason string) Ack { return AckDeniedMrkdwn(Escape(reason)) }

// AckDeniedMrkdwn tells the caller the access policy refused the command,
// with the decision's own Slack text (access.Decision.Mrkdwn: what the
// caller has, what the action needs, and whom to ask as a <@U…>,
// <!subteam^S…> or <#C…> mention). That text is already escaped and is
// sent as it is: escaping it again would show the mentions as text. Never
// pass it anything else.
func AckDeniedMrkdwn(mrkdwn string) Ack {
	return ephemeral(":no_entry: Not allowed: " + mrkdwn)
}

// AckInvalid reports a request that Atlas would refuse, found by the same
// validation the Atlas client runs before sending. err's text is shown one
// problem per line (errors.Join puts each on its own line), escaped.
func AckInvalid(err error) Ack {
	var b strings.Builder
	b.WriteString("Atlas would refuse this request, so nothing was sent:")
	for line := range strings.SplitSeq(err.Error(), "\n") {
		if line == "" {
			continue
		}
		b.WriteString("\n• ")
		b.WriteString(Escape(line))
	}
	return ephemeral(b.String())
}

// AckDryRun shows the exact Atlas request operation op would send, for
// --dry-run: method, path and the JSON body byte for byte (none for a
// DELETE). Nothing was sent.
func AckDryRun(op, method, path string, body []byte) Ack {
	var b strings.Builder
	b.Grow(len(body) + len(path) + 96)
	b.WriteString("Dry run: nothing was sent. The ")
	b.WriteString(Escape(op))
	b.WriteString(" would send this request to Atlas:\n```\n")
	b.WriteString(Escape(method))
	b.WriteByte(' ')
	b.WriteString(Escape(path))
	if len(body) > 0 {
		b.WriteByte('\n')
		b.WriteString(Escape(string(body)))
	}
	b.WriteString("\n```")
	return ephemeral(b.String())
}

// AckHandoffFailed tells the caller the command certainly did not reach
// the worker, so nothing will happen, with an ID to quote to an operator.
// Use it only when the dispatch was refused for sure; otherwise see
// [AckHandoffUnknown].
func AckHandoffFailed(requestID string) Ack {
	return ephemeral("Sorry, I couldn't hand that off to the worker, so nothing was done. Please try again. (request ID `" +
		Escape(requestID) + "`)")
}

// AckHandoffUnknown tells the caller the hand-off to the worker did not
// confirm in time (a time-out or a lost answer): the worker may have got
// the command and may still answer, so the outcome is unknown, and a
// create sent again never makes a second workspace.
func AckHandoffUnknown(requestID string) Ack {
	return ephemeral("I couldn't confirm that the worker got that, so its outcome is unknown: if it did, its answer will appear here " +
		"in a minute or two (for a create, in a thread under the bot's message). Check before sending it again; " +
		"a repeated create never makes a second workspace. (request ID `" + Escape(requestID) + "`)")
}
