package reply

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/slackid"
)

// Approval is an approval request on a protected project (policy
// approvals:), as the state table holds it. The worker renders the whole
// message from it every time something changes (posted, approved, ran,
// rejected, cancelled, expired), never patching it piecemeal, as
// Teleport's access-request plugin does.
type Approval struct {
	// Requester is the Slack user who asked.
	Requester string
	// Op is the operation ("create", "delete", ...); Target its workspace
	// (and processor); Project the alias or the project ID.
	Op, Target, Project string
	// Method, Path and Body are the Atlas request the operation sends,
	// exactly as --dry-run shows it; Method is empty when there is none.
	Method, Path string
	Body         []byte
	// Approvers are who may approve, as Slack mentions (the policy renders
	// them with access.Subject.Mention).
	Approvers []string
	// ExpiresAt is when the request lapses.
	ExpiresAt time.Time
	// Status is the state table's status of the operation
	// (pending_approval, approved, running, done, failed, rejected,
	// cancelled, expired); DecidedBy who approved, rejected or cancelled
	// it; Outcome the final outcome or a rejection's reason.
	Status    string
	DecidedBy string
	Outcome   string
	// Approve and Reject are the buttons of a waiting request; nil once
	// decided (the message then shows no buttons).
	Approve, Reject *Button
}

// what is "create of `orders-ws` in project prod".
func (a *Approval) what() string {
	return fmt.Sprintf("*%s* of %s in project %s", Escape(a.Op), code(a.Target), Escape(a.Project))
}

// state is the one line that says where the request stands.
func (a *Approval) state() string {
	by := mention(a.DecidedBy)
	switch a.Status {
	case "pending_approval":
		return "⏳ Waiting for approval by " + joinApprovers(a.Approvers) + " until " + slackDate(a.ExpiresAt) + "."
	case "approved", "running", "queued":
		return "👍 Approved by " + by + "; running."
	case "done":
		return "✅ Approved by " + by + "; done (" + Escape(a.Outcome) + ")."
	case "failed":
		return "❌ Approved by " + by + "; failed (" + Escape(a.Outcome) + ")."
	case "rejected":
		return "🚫 Rejected by " + by + "; nothing was done."
	case "cancelled":
		return "↩️ Withdrawn by " + by + "; nothing was done."
	case "expired":
		return "⌛ Expired at " + slackDate(a.ExpiresAt) + " without an approval; nothing was done."
	}
	return Escape(a.Status)
}

// request is the Atlas request as a code block, like --dry-run's.
func (a *Approval) request() string {
	if a.Method == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString("```\n" + Escape(a.Method) + " " + Escape(a.Path))
	if len(a.Body) > 0 {
		b.WriteString("\n" + Escape(string(a.Body)))
	}
	b.WriteString("\n```")
	return b.String()
}

// ApprovalMessage renders the approval request in the channel:
//
//	<@U…> asks to *create* `orders-ws` in project prod. It needs an approval.
//	```POST /api/atlas/v2/groups/…/streams {…}```
//	⏳ Waiting for approval by <!subteam^S0SRE> or <@U0LEAD> until …
//	[Approve] [Reject]
func ApprovalMessage(a Approval) Message {
	head := fmt.Sprintf("%s asks for a %s. The access policy asks a second person to approve it.", mention(a.Requester), a.what())
	blocks := []slack.Block{section(head)}
	if r := a.request(); r != "" {
		blocks = append(blocks, section("The Atlas request it sends:\n"+r))
	}
	st := a.state()
	blocks = append(blocks, section(st))
	m := Message{Text: strings.ReplaceAll(head+" "+st, "`", ""), Blocks: blocks}
	var bs []Button
	for _, b := range []*Button{a.Approve, a.Reject} {
		if b != nil {
			bs = append(bs, *b)
		}
	}
	if len(bs) > 0 {
		blocks = append(m.Blocks, contextBlock("Only an approver who is not the requester can approve; the first decision counts."))
		m.Blocks = blocks
	}
	return withButtons(m, bs)
}

// ApprovalNote is the requester's private note while the request waits,
// with Cancel.
func ApprovalNote(a Approval, cancel Button) Message {
	line := fmt.Sprintf("Your %s waits for an approval by %s until %s; nothing runs before that. You can withdraw it:",
		a.what(), joinApprovers(a.Approvers), slackDate(a.ExpiresAt))
	return withButtons(Message{Text: strings.ReplaceAll(line, "`", ""), Blocks: []slack.Block{section(line)}}, []Button{cancel})
}

// ApprovalDecided is the thread reply that records a decision:
// "👍 <@U…> approved this." and the like.
func ApprovalDecided(status, by string) Message {
	var line string
	switch status {
	case "approved":
		line = "👍 " + mention(by) + " approved this; it runs now."
	case "rejected":
		line = "🚫 " + mention(by) + " rejected this; nothing was done."
	case "cancelled":
		line = "↩️ " + mention(by) + " withdrew this request; nothing was done."
	case "expired":
		line = "⌛ Nobody approved this in time; nothing was done."
	default:
		line = Escape(status)
	}
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}

// joinApprovers writes approvers as "<@U0LEAD> or <!subteam^S0SRE>". They
// reach the worker inside a Job, which anyone allowed to invoke it
// writes: anything but a user or user-group mention is escaped, so that a
// Job cannot post <!channel> or a link through them.
func joinApprovers(as []string) string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a
		if !slackid.Mention(a) {
			out[i] = Escape(a)
		}
	}
	return strings.Join(out, " or ")
}

// Permalink links a message by channel and ts in Slack's own permalink
// form, which Slack resolves to the reader's workspace. It needs no Web
// API call (chat.getPermalink would cost one per message, on the ack path
// and twenty for a history); "" when either part is missing or is not
// shaped like Slack's (a channel ID, a message ts).
func Permalink(channel, ts string) string {
	if !slackid.Channel(channel) || !slackid.TS(ts) {
		return "" // also what the state table holds comes into a <link|…>
	}
	return "https://slack.com/archives/" + channel + "/p" + strings.ReplaceAll(ts, ".", "")
}

// HistoryEntry is one operation in `/stream history`.
type HistoryEntry struct {
	When       time.Time
	Who        string // Slack user ID
	Op         string
	Target     string // workspace (and processor), may be empty
	ApprovedBy string // Slack user ID, empty without an approval
	Status     string // the state table's status
	Outcome    string
	Link       string // the thread, or ""
}

// History renders the last operations on a project (or one workspace),
// newest first, one line each.
func History(project, workspace string, es []HistoryEntry) Message {
	scope := "project " + Escape(project)
	if workspace != "" {
		scope = code(workspace) + " in " + scope
	}
	if len(es) == 0 {
		line := "No operations on " + scope + " in the state table (it keeps them 30 days)."
		return Message{Text: strings.ReplaceAll(line, "`", ""), Blocks: []slack.Block{section(line)}}
	}
	head := fmt.Sprintf("The last %d operations on %s, newest first:", len(es), scope)
	if len(es) == 1 {
		head = "The last operation on " + scope + ":"
	}
	lines := make([]string, 0, len(es))
	for _, e := range es {
		l := slackDate(e.When) + " · " + mention(e.Who) + " · " + Escape(e.Op)
		if e.Target != "" {
			l += " " + code(e.Target)
		}
		if e.ApprovedBy != "" {
			l += " · approved by " + mention(e.ApprovedBy)
		}
		l += " · " + Escape(e.Status)
		if e.Outcome != "" && e.Outcome != e.Status {
			l += " (" + Escape(e.Outcome) + ")"
		}
		if e.Link != "" {
			l += " · <" + e.Link + "|thread>"
		}
		lines = append(lines, l)
	}
	// 20 lines fit one section (at most 2,900 characters); more are split.
	blocks := []slack.Block{section(head)}
	var cur strings.Builder
	for _, l := range lines {
		if cur.Len()+len(l)+1 > maxSectionText {
			blocks = append(blocks, section(cur.String()))
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString("• " + l)
	}
	blocks = append(blocks, section(cur.String()))
	return Message{Text: strings.ReplaceAll(head, "`", ""), Blocks: blocks}
}

// AckApproval tells the requester that the request waits for an approval.
func AckApproval(op, project, name string, approvers []string, expires time.Time) Ack {
	return ephemeral(fmt.Sprintf("The access policy asks for an approval of %s on project %s: the bot posts the request in this channel for %s; nothing runs before someone else approves it (until %s).",
		Escape(op)+" "+code(name), Escape(project), joinApprovers(approvers), slackDate(expires)))
}

// AckAlreadyHandled answers a replayed command: the first one is handled
// (link: its thread, or "" while the worker has not posted it yet).
func AckAlreadyHandled(link string) Ack {
	if link == "" {
		return ephemeral("This request was already handled (Slack sent it twice); its answer is on its way. Nothing more was done.")
	}
	return ephemeral("This request was already handled (Slack sent it twice): see <" + link + "|its thread>. Nothing more was done.")
}

// AckStateUnavailable answers a changing command whose once-only record
// could not be written: nothing was done.
func AckStateUnavailable() Ack {
	return ephemeral("The bot's state table is unavailable right now, so it cannot make sure this runs only once, and nothing was done. Please try again in a minute.")
}

// AckNoTime answers a request that reached the bot with too little of
// Slack's 3 seconds left to record and start it (a slow cold start):
// nothing was done, and trying again is enough.
func AckNoTime() Ack {
	return ephemeral("This request reached me too late to start it within Slack's 3 seconds, so nothing was done. Please try again.")
}
