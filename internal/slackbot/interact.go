package slackbot

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/button"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply"
)

// InteractionHandler answers an interaction type: the edge answers
// block_actions itself, and view_submission and shortcut (the create form,
// modal.go) unless [Config].Interactions plugs in others; message_action
// and the rest have none. It runs on the ack path after the signature
// check and returns the HTTP response body (nil: an empty 200), e.g. a
// view_submission's {"response_action":"errors",…}.
type InteractionHandler interface {
	Interaction(ctx context.Context, cb *slack.InteractionCallback) []byte
}

// interactionsPath is the route of Slack's interactivity requests; every
// other path is taken for slash commands.
const interactionsPath = "/slack/interactions"

// isInteraction reports whether path is the interactivity route.
func isInteraction(path string) bool { return strings.HasSuffix(path, interactionsPath) }

// payloadField reads the form field "payload" of an interactivity body
// (application/x-www-form-urlencoded, the payload JSON in one field),
// decoded as url.QueryUnescape decodes it.
func payloadField(body string) (string, error) {
	for body != "" {
		var pair string
		pair, body, _ = strings.Cut(body, "&")
		if v, ok := strings.CutPrefix(pair, "payload="); ok {
			return queryUnescape(v)
		}
	}
	return "", errors.New("no payload field")
}

// queryUnescape is url.QueryUnescape ('+' is a space, %XX a byte, a
// malformed escape an error) in one pass into one allocation (the result's
// bytes, never written again, are its string): a payload is
// kilobytes of JSON with every quote, colon and brace escaped (runs of three
// bytes between escapes on average), and url.QueryUnescape's two
// byte-by-byte passes were a quarter of a view_submission's ack path. (A
// loop without a branch on the byte, tried, was 2.5 times slower: each
// byte's load then waited on the one before.)
func queryUnescape(s string) (string, error) {
	i := nextEscape(s)
	if i == len(s) {
		return s, nil
	}
	out := make([]byte, len(s))
	n := copy(out, s[:i])
	for i < len(s) {
		c := s[i]
		i++
		switch c {
		case '+':
			c = ' '
		case '%':
			if len(s) < i+2 || hexValue[s[i]]|hexValue[s[i+1]] > 0xf {
				return "", url.EscapeError(clipEscape(s[i-1:]))
			}
			c = hexValue[s[i]]<<4 | hexValue[s[i+1]]
			i += 2
		}
		out[n] = c
		n++
	}
	return stringOf(out[:n]), nil
}

// nextEscape returns the index of the first '%' or '+' in s, or len(s).
// (A loop: the runs between escapes are short, and strings.IndexAny's
// set-up per call cost more than the scan.)
func nextEscape(s string) int {
	i := 0
	for i < len(s) && s[i] != '%' && s[i] != '+' {
		i++
	}
	return i
}

// hexValue is the value of each hex digit, 0xff for any other byte.
var hexValue = func() (t [256]byte) {
	for c := range t {
		t[c] = 0xff
		if isHexDigit(byte(c)) {
			t[c] = unhex(byte(c))
		}
	}
	return t
}()

func clipEscape(s string) string { return s[:min(len(s), 3)] }

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// Interaction answers one interaction known to come from Slack (its
// signature verified, or a Socket Mode envelope) and returns the response
// body (nil for an empty 200). It never fails: a payload it does not
// handle is logged once and answered with 200, so that Slack shows the
// person no error (a 4xx would).
//
// block_actions: the clicked value is parsed strictly (package button),
// checked against its action_id and its block (same project, same
// operation), and the clicking person is authorized against the policy for
// the operation's action, now. A confirmation (Apply, Delete, Cancel) is
// the requester's alone and expires after command.ConfirmFor (an expired
// one goes to the worker as provision.ClickExpired, which changes nothing
// in Atlas and retires the message). Then one Job goes to the worker. A refused click is answered privately through the
// worker (an ActionNotice Job: the ack of a click carries no message, and
// the edge makes no Web API call).
func (h *Handler) Interaction(ctx context.Context, cb *slack.InteractionCallback) []byte {
	ctx = h.withAckBudget(ctx)
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		h.blockActions(ctx, cb)
		return nil
	}
	if ih := h.interactions[cb.Type]; ih != nil {
		return ih.Interaction(ctx, cb)
	}
	h.log.WarnContext(ctx, "interaction not handled", "type", string(cb.Type), "slack_user", cb.User.ID)
	return nil
}

// interaction parses and answers an interactivity request body.
func (h *Handler) interaction(ctx context.Context, body string) []byte {
	payload, err := payloadField(body)
	if err != nil {
		h.log.WarnContext(ctx, "interaction payload malformed", "reason", err.Error())
		return nil
	}
	var cb slack.InteractionCallback
	if err := decodeInteraction(payload, &cb); err != nil {
		h.log.WarnContext(ctx, "interaction payload malformed", "reason", "json: "+err.Error())
		return nil
	}
	return h.Interaction(ctx, &cb)
}

// blockActions handles a button click.
func (h *Handler) blockActions(ctx context.Context, cb *slack.InteractionCallback) {
	acts := cb.ActionCallback.BlockActions
	if len(acts) != 1 || acts[0] == nil {
		h.log.WarnContext(ctx, "interaction not handled", "type", string(cb.Type), "reason", fmt.Sprintf("%d actions", len(acts)))
		return
	}
	a := acts[0]
	if !button.Ours(a.ActionID) {
		h.log.WarnContext(ctx, "interaction not handled", "type", string(cb.Type), "action_id", a.ActionID)
		return
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	clicker := cb.User.ID
	refuse := func(reason, text string) {
		h.log.WarnContext(ctx, "click refused", "reason", reason, "action_id", a.ActionID, "slack_user", clicker, "channel_id", channel)
		h.notice(ctx, cb, channel, provision.Job{Notice: text})
	}
	v, err := button.Parse(a.Value, h.now())
	if err != nil {
		refuse(err.Error(), "This button's data could not be read, so nothing was done. Run the command again.")
		return
	}
	if a.ActionID != v.ActionID() {
		refuse("action_id does not match the value", "This button's data does not match the button, so nothing was done.")
		return
	}
	if err := v.CheckBlock(a.BlockID); err != nil {
		refuse(err.Error(), "This button names another project or request than its message, so nothing was done.")
		return
	}
	op := command.Lookup(v.Op) // Parse accepts declared operations only
	if v.Step == button.StepApprove || v.Step == button.StepReject {
		// Approvers need no grant on the project: the approvals entry is
		// their authority (access.Policy.CanApprove).
		h.decideApproval(ctx, cb, channel, &v, refuse)
		return
	}
	confirmation := v.Step == button.StepConfirm || v.Step == button.StepCancel
	if !confirmation && v.Step != button.StepAsk {
		refuse("step not handled", "This button does nothing yet.")
		return
	}
	req := access.Request{TeamID: cb.Team.ID, EnterpriseID: enterpriseID(cb), UserID: clicker, ChannelID: channel,
		Action: op.Action, Resource: op.Resource, Project: v.GroupID}
	d := h.policy.Authorize(ctx, req)
	if !d.Allowed {
		h.deny(ctx, cb, channel, a.ActionID, &d)
		return
	}
	if confirmation && clicker != v.Requester {
		refuse("not the requester", fmt.Sprintf("Only the person who asked can %s this; nothing was done.", v.Step))
		return
	}
	if v.Step == button.StepConfirm {
		// A confirmation shown before the policy began to ask approvals
		// for this operation on this project would otherwise run without
		// one: the approval flow never shows a confirming button (the
		// approval is its confirmation), so such a click is refused.
		if _, ok := h.policy.ApprovalFor(d.GroupID, op.Action); ok {
			refuse("approval required", fmt.Sprintf("The access policy now asks for an approval of %s on this project, so nothing was done. Run /stream %s again to ask for one.",
				op.Action, strings.TrimSpace(string(v.Op)+" "+v.Workspace+" "+v.Processor)))
			return
		}
	}
	job := h.clickJob(cb, channel, &v, &d)
	if confirmation {
		ts := cb.Container.MessageTs
		if ts == "" {
			ts = cb.Message.Timestamp
		}
		step := string(v.Step)
		if v.Expired(h.now()) {
			// Refused: the worker acts on nothing, but retires the
			// confirmation (unless it was decided already), so that its
			// buttons go, and tells the requester privately.
			h.log.WarnContext(ctx, "click refused", "reason", "expired", "action_id", a.ActionID, "slack_user", clicker, "channel_id", channel)
			step = provision.ClickExpired
		}
		job.Click = &provision.Click{Step: step, OpID: v.OpID, Requester: v.Requester, MessageTS: ts, IssuedAt: v.IssuedAt}
		h.dispatch(ctx, job)
		return
	}
	job.Offers = h.offers(ctx, op, req)
	// A button that starts an operation (Delete… on a describe) is a
	// request like a typed command: recorded once, approved where the
	// policy asks. Its replay is refused privately.
	if _, why := h.start(ctx, job, reply.Ack{}); why != "" {
		refuse("not started", why)
	}
}

// clickJob builds the Job of an accepted click; the clicker is its caller.
func (h *Handler) clickJob(cb *slack.InteractionCallback, channel string, v *button.Value, d *access.Decision) provision.Job {
	id := cb.TriggerID
	if id == "" {
		id = rand.Text()
	}
	job := provision.Job{
		ID:           id,
		Action:       provision.Action(v.Op),
		GroupID:      d.GroupID,
		ProjectAlias: d.ProjectAlias,
		Name:         v.Workspace,
		Processor:    v.Processor,
		Provider:     string(v.Provider),
		Region:       v.Region,
		Tier:         string(v.Tier),
		MaxTier:      string(v.MaxTier),
		Slack: &provision.SlackTarget{
			TeamID:      cb.Team.ID,
			ChannelID:   channel,
			UserID:      cb.User.ID,
			UserName:    cb.User.Name,
			ResponseURL: cb.ResponseURL,
			Command:     "/stream",
		},
		RequestedAt: h.now(),
	}
	if d.AtlasRoleCheck {
		job.RequiredRoles = d.RequiredRoles
	}
	return job
}

// enterpriseID is the Enterprise Grid organization (E…) an interaction
// comes from, for access.Request.EnterpriseID and
// access.ApproveRequest.EnterpriseID: the payload's enterprise, or its
// team's enterprise_id; empty outside Enterprise Grid.
func enterpriseID(cb *slack.InteractionCallback) string {
	if cb.Enterprise.ID != "" {
		return cb.Enterprise.ID
	}
	return cb.Team.EnterpriseID
}

// deny answers a click the access policy refused (d, from Authorize or
// CanApprove): privately, through the worker, with the decision's reason,
// which the worker shows with whom to ask as mentions (see
// provision.Job.Denial).
func (h *Handler) deny(ctx context.Context, cb *slack.InteractionCallback, channel, actionID string, d *access.Decision) {
	h.log.WarnContext(ctx, "click refused", "reason", "denied", "action_id", actionID, "slack_user", cb.User.ID, "channel_id", channel)
	h.notice(ctx, cb, channel, provision.Job{Denial: d.Reason})
}

// notice hands the worker a private answer for the clicker: answer's
// Notice or Denial.
func (h *Handler) notice(ctx context.Context, cb *slack.InteractionCallback, channel string, answer provision.Job) {
	if cb.ResponseURL == "" && (channel == "" || cb.User.ID == "") {
		return // nowhere to answer
	}
	id := cb.TriggerID
	if id == "" {
		id = rand.Text()
	}
	h.dispatch(ctx, provision.Job{ID: id, Action: provision.ActionNotice, Notice: answer.Notice, Denial: answer.Denial, RequestedAt: h.now(),
		Slack: &provision.SlackTarget{TeamID: cb.Team.ID, ChannelID: channel, UserID: cb.User.ID, ResponseURL: cb.ResponseURL}})
}
