package reply

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/pkg/atlas"
)

// Message is one Slack message: Block Kit blocks plus the plain-text
// fallback Slack shows in notifications and to screen readers. Both are
// already escaped; they go to Slack as they are.
type Message struct {
	Text   string        `json:"text"`
	Blocks []slack.Block `json:"blocks,omitempty"`
}

// Status is the state a parent message shows at its end.
type Status string

// The parent message's states.
const (
	StatusPending Status = "⏳"
	StatusDone    Status = "✅"
	StatusFailed  Status = "❌"
)

// Request is what a caller asked for, as the parent message shows it. The
// values are Atlas's (AWS, VIRGINIA_USA, SP30); Project is the policy alias
// or, without one, the project ID.
type Request struct {
	UserID   string
	Name     string
	Provider string
	Region   string
	Tier     string
	MaxTier  string
	Project  string
}

// maxSectionText keeps a section under Block Kit's 3000-character limit.
const maxSectionText = 2900

var userIDPattern = regexp.MustCompile(`^[UW][A-Z0-9]+$`)

// mention renders a Slack user mention, or the escaped ID when it does not
// look like one (so a forged ID cannot become <!channel>).
func mention(userID string) string {
	if userIDPattern.MatchString(userID) {
		return "<@" + userID + ">"
	}
	return Escape(userID)
}

// code renders s as inline code, escaped; backticks inside s are replaced
// so they cannot end the code span.
func code(s string) string {
	return "`" + strings.ReplaceAll(Escape(s), "`", "'") + "`"
}

// codeLines renders each of ss as inline code, one per line.
func codeLines(ss []string) string {
	cs := make([]string, len(ss))
	for i, s := range ss {
		cs[i] = code(s)
	}
	return strings.Join(cs, "\n")
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, truncate(text, maxSectionText), false, false), nil, nil)
}

func fields(pairs ...string) slack.Block {
	var fs []*slack.TextBlockObject
	for i := 0; i+1 < len(pairs); i += 2 {
		fs = append(fs, slack.NewTextBlockObject(slack.MarkdownType, "*"+pairs[i]+"*\n"+pairs[i+1], false, false))
	}
	return slack.NewSectionBlock(nil, fs, nil)
}

func contextBlock(text string) slack.Block {
	return slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, truncate(text, maxSectionText), false, false))
}

// truncate cuts s, which is already escaped, to at most n bytes ending in
// "…", neither inside a UTF-8 sequence nor inside an entity such as &amp;.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	// every & in escaped text starts an entity; drop one that the cut opens
	if amp := strings.LastIndexByte(s[:cut], '&'); amp >= 0 && !strings.Contains(s[amp:cut], ";") {
		cut = amp
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// tiers renders "SP30 (max SP50)" or "SP30", escaped.
func tiers(tier, maxTier string) string { return Escape(rawTiers(tier, maxTier)) }

func rawTiers(tier, maxTier string) string {
	if maxTier == "" || maxTier == tier {
		return tier
	}
	return tier + " (max " + maxTier + ")"
}

func where(provider, region string) string { return Escape(provider) + " / " + Escape(region) }

// Parent is the message the worker posts in the channel before it talks to
// Atlas; it updates the same message with [StatusDone] or [StatusFailed] at
// the end:
//
//	<@U…> asked for stream workspace `orders-ws` · AWS / VIRGINIA_USA · SP30 (max SP50) · project dev ⏳
func Parent(r Request, s Status) Message {
	line := fmt.Sprintf("%s asked for stream workspace %s · %s · %s · project %s %s",
		mention(r.UserID), code(r.Name), where(r.Provider, r.Region), tiers(r.Tier, r.MaxTier), Escape(r.Project), s)
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}

// Success describes a workspace that exists as asked.
type Success struct {
	Workspace atlas.StreamWorkspace
	// Project is the policy alias or project ID, for display.
	Project string
	// AlreadyExisted says the workspace was there before this request
	// (a repeated command, or a redelivered Job); nothing was changed.
	AlreadyExisted bool
	// UIURL is the project's stream processing page in the Atlas UI.
	UIURL string
	// SampleSolar says the caller asked for the sample connection. A
	// workspace that already existed shows it only if Atlas reports it.
	SampleSolar bool
	// Buttons go under the answer (Delete…, where the caller may delete).
	Buttons []Button
}

// Created renders the thread reply for a workspace that exists: name,
// provider and region, tiers, every hostname in code format, the Atlas UI
// link and the sample connection when asked for.
func Created(s Success) Message {
	w := s.Workspace
	provider, region, tier, maxTier := parts(w)
	verb := "created"
	if s.AlreadyExisted {
		verb = "already existed (nothing was changed)"
	}
	head := fmt.Sprintf("✅ Stream workspace %s %s in project %s.", code(w.Name), verb, Escape(s.Project))
	text := fmt.Sprintf("✅ Stream workspace %s %s in project %s: %s, %s.",
		Escape(w.Name), verb, Escape(s.Project), where(provider, region), tiers(tier, maxTier))

	blocks := []slack.Block{
		section(head),
		fields("Provider / region", where(provider, region), "Tier", tiers(tier, maxTier)),
	}
	if len(w.Hostnames) > 0 {
		blocks = append(blocks, section("*Hostnames*\n"+codeLines(w.Hostnames)))
		text += " Hostnames: " + Escape(strings.Join(w.Hostnames, ", ")) + "."
	} else {
		pending := fmt.Sprintf("Atlas has not assigned hostnames yet; ask again in a minute with `/stream describe %s`.", Escape(w.Name))
		blocks = append(blocks, section("*Hostnames*\n_"+pending+"_"))
		text += " " + pending
	}
	if name, ok := sampleConnection(w); s.SampleSolar && (ok || !s.AlreadyExisted) {
		blocks = append(blocks, section("*Sample connection*\n"+code(name)))
		text += " Sample connection: " + Escape(name) + "."
	}
	if s.UIURL != "" {
		blocks = append(blocks, contextBlock("<"+s.UIURL+"|Open stream processing in Atlas>"))
		text += " Atlas: " + s.UIURL
	}
	return withButtons(Message{Text: text, Blocks: blocks}, s.Buttons)
}

// sampleConnection returns the name of w's sample connection and whether
// Atlas's answer shows one. A workspace created just now with the sample
// asked for has one even when the answer does not list it; one that
// already existed may have been created without it.
func sampleConnection(w atlas.StreamWorkspace) (string, bool) {
	for _, c := range w.Connections {
		if strings.EqualFold(c.Type, "Sample") && c.Name != "" {
			return c.Name, true
		}
	}
	solar := w.SampleConnections != nil && w.SampleConnections.Solar != nil && *w.SampleConnections.Solar
	return "sample_stream_solar", solar
}

// Failure describes a request that did not succeed.
type Failure struct {
	// Action and Name say what failed: "create" and "orders-ws" read
	// "Could not create stream workspace `orders-ws`".
	Action string
	Name   string
	// Processor, when set, is the stream processor in workspace Name the
	// action was on: "Could not start stream processor `p` in workspace
	// `orders-ws`".
	Processor string
	// Project is the policy alias or project ID, for display.
	Project string
	// Summary says what went wrong in plain words when Atlas's own error
	// does not (a timeout, a conflicting existing workspace, a secret
	// problem). It is escaped when rendered.
	Summary string
	// Err is Atlas's error, when Atlas answered with one.
	Err *atlas.APIError
	// Tries is how many times the request was sent (for 429 advice).
	Tries int
	// Advice overrides the one line of advice [Advice] gives for Err.
	Advice string
}

// Advice is the one line of advice for an Atlas error status; tries is how
// many times the request was sent (used for 429). It returns "" when there
// is nothing useful to add.
func Advice(status, tries int) string {
	switch {
	case status == 400:
		return "Fix the values Atlas names above and send the command again."
	case status == 401 || status == 403:
		return "The bot's Atlas key lacks a project role (Project Owner, Project Data Access Admin or Project Stream Processing Owner), or its API access list does not include the bot's IP address: ask an Atlas admin."
	case status == 402:
		return "Atlas refused for billing reasons: check the organization's payment method in Atlas."
	case status == 404:
		return "Atlas does not know this project, or the bot's key cannot see it: check the project ID."
	case status == 409:
		return "The name is taken in this project: pick another name."
	case status == 429:
		return fmt.Sprintf("Atlas rate limited the bot after %d tries: wait a minute and try again.", max(tries, 1))
	case status >= 500:
		return "Atlas had trouble on its side; it is safe to try again (the bot never creates a workspace twice)."
	}
	return ""
}

// Failed renders the thread reply for a failure: Atlas's reason and
// errorCode, its detail verbatim (escaped), the field violations from
// badRequestDetail, and one line of advice.
func Failed(f Failure) Message {
	head := fmt.Sprintf("❌ Could not %s stream workspace %s in project %s.", Escape(f.Action), code(f.Name), Escape(f.Project))
	switch {
	case f.Name == "":
		head = fmt.Sprintf("❌ Could not %s stream workspaces in project %s.", Escape(f.Action), Escape(f.Project))
	case f.Processor != "":
		head = fmt.Sprintf("❌ Could not %s stream processor %s in workspace %s (project %s).",
			Escape(f.Action), code(f.Processor), code(f.Name), Escape(f.Project))
	}
	text := strings.ReplaceAll(head, "`", "")
	blocks := []slack.Block{section(head)}
	if f.Summary != "" {
		blocks = append(blocks, section(Escape(f.Summary)))
		text += " " + sentence(Escape(f.Summary))
	}
	advice := f.Advice
	if e := f.Err; e != nil {
		reason := e.Reason
		if reason == "" {
			reason = orDash(http.StatusText(e.StatusCode))
		}
		said := fmt.Sprintf("*Atlas said:* %s · HTTP %d", Escape(reason), e.StatusCode)
		plain := fmt.Sprintf(" Atlas said: %s (HTTP %d).", Escape(reason), e.StatusCode)
		if e.ErrorCode != "" {
			said = fmt.Sprintf("*Atlas said:* %s · %s · HTTP %d", Escape(reason), code(e.ErrorCode), e.StatusCode)
			plain = fmt.Sprintf(" Atlas said: %s (%s, HTTP %d).", Escape(reason), Escape(e.ErrorCode), e.StatusCode)
		}
		blocks = append(blocks, section(said))
		text += plain
		if e.Detail != "" {
			detail := strings.ReplaceAll(Escape(e.Detail), "```", "'''")
			blocks = append(blocks, section("*Detail*\n```"+truncate(detail, maxSectionText-20)+"```"))
			text += " " + sentence(Escape(e.Detail))
		}
		if e.BadRequestDetail != nil && len(e.BadRequestDetail.Fields) > 0 {
			var b strings.Builder
			b.WriteString("*Fields*")
			for _, v := range e.BadRequestDetail.Fields {
				fmt.Fprintf(&b, "\n• %s: %s", code(v.Field), Escape(v.Description))
				text += " " + sentence(Escape(v.Field)+": "+Escape(v.Description))
			}
			blocks = append(blocks, section(b.String()))
		}
		if advice == "" {
			advice = Advice(e.StatusCode, f.Tries)
		}
	}
	if advice != "" {
		blocks = append(blocks, contextBlock("💡 "+Escape(advice)))
		text += " " + Escape(advice)
	}
	return Message{Text: text, Blocks: blocks}
}

// sentence ends s with a full stop unless it ends in punctuation already.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?…)") {
		return s
	}
	return s + "."
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Denied renders a refusal before anything was sent to Atlas, e.g. the
// Atlas role check's "no Atlas user with the email … in project dev".
func Denied(reason string) Message {
	line := "🚫 " + Escape(reason)
	return Message{Text: line, Blocks: []slack.Block{section(line)}}
}

// NotFound renders the answer for a workspace name Atlas does not know
// (describe, update, delete, and every command that names a workspace);
// see [WorkspaceNotFound] for one with a suggestion.
func NotFound(name, project string) Message { return WorkspaceNotFound(name, project, "") }

// WorkspaceNotFound renders the answer for a workspace name Atlas does not
// know, with the nearest existing name when there is one (see
// suggest.NearestName), and where to see them all:
//
//	No workspace named `ordres-ws` in project dev. Did you mean `orders-ws`? `/stream list` shows the project's workspaces.
func WorkspaceNotFound(name, project, suggestion string) Message {
	line := fmt.Sprintf("No workspace named %s in project %s.", code(name), Escape(project))
	if suggestion != "" {
		line += fmt.Sprintf(" Did you mean %s?", code(suggestion))
	}
	line += " `/stream list` shows the project's workspaces."
	return Message{Text: truncate(strings.ReplaceAll(line, "`", ""), maxTextFallback), Blocks: []slack.Block{section(line)}}
}

// List renders a compact table of workspaces (name, provider/region, tier,
// hostnames) for `/stream list`, then buttons (Describe for each row the
// caller may describe, in the table's order) as far as Slack's 50 blocks
// allow.
func List(project string, ws []atlas.StreamWorkspace, buttons ...Button) Message {
	if len(ws) == 0 {
		line := fmt.Sprintf("No stream workspaces in project %s.", Escape(project))
		return Message{Text: line, Blocks: []slack.Block{section(line)}}
	}
	noun := "stream workspaces"
	if len(ws) == 1 {
		noun = "stream workspace"
	}
	head := fmt.Sprintf("*%d %s in project %s*", len(ws), noun, Escape(project))
	blocks := []slack.Block{section(head)}

	var rows []string
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPROVIDER/REGION\tTIER\tHOSTNAMES")
	for _, w := range ws {
		p, r, t, m := parts(w)
		hosts := strings.Join(w.Hostnames, ", ")
		if hosts == "" {
			hosts = "(pending)"
		}
		fmt.Fprintf(tw, "%s\t%s/%s\t%s\t%s\n", w.Name, p, r, rawTiers(t, m), hosts)
	}
	tw.Flush()
	rows = strings.SplitAfter(strings.TrimRight(b.String(), "\n"), "\n")

	// One code block per chunk that fits in a section.
	var chunk strings.Builder
	flush := func() {
		if chunk.Len() > 0 {
			blocks = append(blocks, section("```"+strings.TrimRight(chunk.String(), "\n")+"```"))
			chunk.Reset()
		}
	}
	for _, row := range rows {
		row = strings.ReplaceAll(Escape(row), "`", "'")
		if chunk.Len()+len(row) > maxSectionText-10 {
			flush()
		}
		chunk.WriteString(row)
	}
	flush()
	text := fmt.Sprintf("%d %s in project %s: ", len(ws), noun, Escape(project))
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = Escape(w.Name)
	}
	return withButtons(Message{Text: text + strings.Join(names, ", "), Blocks: blocks}, buttons)
}

func parts(w atlas.StreamWorkspace) (provider, region, tier, maxTier string) {
	if w.DataProcessRegion != nil {
		provider, region = string(w.DataProcessRegion.CloudProvider), w.DataProcessRegion.Region
	}
	if w.StreamConfig != nil {
		tier, maxTier = string(w.StreamConfig.Tier), string(w.StreamConfig.MaxTierSize)
	}
	return
}

// Describe renders every field of one workspace for `/stream describe`,
// then buttons (Delete…, where the caller may delete).
func Describe(project string, w atlas.StreamWorkspace, uiURL string, buttons ...Button) Message {
	p, r, t, m := parts(w)
	head := fmt.Sprintf("*Stream workspace %s* in project %s", code(w.Name), Escape(project))
	solar := "no"
	if _, ok := sampleConnection(w); ok {
		solar = "yes"
	}
	blocks := []slack.Block{
		section(head),
		fields("ID", code(orDash(w.ID)), "Project ID", code(orDash(w.GroupID)),
			"Provider / region", where(p, r), "Tier", Escape(orDash(t)),
			"Max tier", Escape(orDash(m)), "Sample solar connection", solar),
	}
	hosts := "_none assigned yet_"
	if len(w.Hostnames) > 0 {
		hosts = codeLines(w.Hostnames)
	}
	blocks = append(blocks, section("*Hostnames*\n"+hosts))
	conns := "_none_"
	if len(w.Connections) > 0 {
		cs := make([]string, len(w.Connections))
		for i, c := range w.Connections {
			cs[i] = code(c.Name) + " (" + Escape(orDash(c.Type)) + ")"
		}
		conns = strings.Join(cs, "\n")
	}
	blocks = append(blocks, section("*Connections*\n"+conns))
	if uiURL != "" {
		blocks = append(blocks, contextBlock("<"+uiURL+"|Open stream processing in Atlas>"))
	}
	text := fmt.Sprintf("Stream workspace %s in project %s: %s, %s, hostnames: %s.",
		Escape(w.Name), Escape(project), where(p, r), tiers(t, m), Escape(strings.Join(w.Hostnames, ", ")))
	return withButtons(Message{Text: text, Blocks: blocks}, buttons)
}
