package slackbot

import (
	"encoding/json"
	"errors"

	"github.com/slack-go/slack"
)

// decodeInteraction decodes an interaction payload (the JSON of the form
// field "payload") into cb, filling the fields the edge and its
// interaction handlers read, with the values slack-go's own decoding
// (json.Unmarshal into a slack.InteractionCallback) gives them:
//
//   - Type, CallbackID, ResponseURL, TriggerID;
//   - Team.ID, User.ID, User.TeamID, User.Name, Channel.ID, Enterprise;
//   - Container (all of it) and Message.Timestamp, the clicked message;
//   - ActionCallback.BlockActions: ActionID, BlockID and Value of each
//     block action (an element slack-go counts as one: its "block_id" is a
//     string);
//   - View.ID, View.CallbackID, View.PrivateMetadata, View.Hash,
//     View.State, and ResponseURLs: a view_submission's form.
//
// Why not slack-go's decoding (issue 10 asked for it): it decodes all of a
// payload into its large InteractionCallback, the clicked message with
// every block (through a map per block) and each action twice (once into
// a map[string]any to tell block actions from attachment actions), which
// made a click's ack path five times the cost of a slash command's
// (BenchmarkClick: 52 µs and 124 allocations before, BENCHMARKS.md). The
// edge reads a dozen fields. The types handed on stay slack-go's (the
// *slack.InteractionCallback of [InteractionHandler], slack.ViewState,
// slack.Container), and FuzzDecodeInteraction checks, for any input
// slack-go decodes, that this decodes too and to the same values of the
// fields above. Everything else is left zero: the message's text and
// blocks, attachment actions (legacy attachments; the edge never had a
// use for them), a block action's selected options, a view's blocks.
//
// One difference is deliberate: a payload whose unread parts slack-go
// cannot decode (a block type it does not know in the message, say) is
// decoded here, where slack-go refused it and the click was lost. The
// body's signature was checked before; nothing read comes from elsewhere.
func decodeInteraction(payload []byte, cb *slack.InteractionCallback) error {
	var p interactionPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return err
	}
	*cb = slack.InteractionCallback{
		Type:        p.Type,
		CallbackID:  p.CallbackID,
		ResponseURL: p.ResponseURL,
		TriggerID:   p.TriggerID,
		Team:        slack.Team{ID: p.Team.ID},
		User:        slack.User{ID: p.User.ID, TeamID: p.User.TeamID, Name: p.User.Name},
		Container:   p.Container,
		Enterprise:  p.Enterprise,
	}
	cb.Channel.ID = p.Channel.ID
	cb.Message.Timestamp = p.Message.Timestamp
	cb.View.ID, cb.View.CallbackID, cb.View.PrivateMetadata = p.View.ID, p.View.CallbackID, p.View.PrivateMetadata
	cb.View.Hash, cb.View.State = p.View.Hash, p.View.State
	cb.ResponseURLs = p.ResponseURLs
	if n := len(p.Actions); n > 0 {
		acts := make([]slack.BlockAction, n) // one allocation for all
		cb.ActionCallback.BlockActions = make([]*slack.BlockAction, n)
		for i, a := range p.Actions {
			acts[i] = slack.BlockAction{ActionID: a.ActionID, BlockID: a.BlockID, Value: a.Value}
			cb.ActionCallback.BlockActions[i] = &acts[i]
		}
	}
	return nil
}

// interactionPayload is the part of an interaction payload
// [decodeInteraction] reads. Each field has the JSON name and Go type of
// its slack.InteractionCallback counterpart (or a struct with a subset of
// the counterpart's fields), so encoding/json matches and converts keys
// the same way for both.
type interactionPayload struct {
	Type        slack.InteractionType `json:"type"`
	CallbackID  string                `json:"callback_id"`
	ResponseURL string                `json:"response_url"`
	TriggerID   string                `json:"trigger_id"`
	Team        struct {
		ID string `json:"id"`
	} `json:"team"`
	User struct {
		ID     string `json:"id"`
		TeamID string `json:"team_id"`
		Name   string `json:"name"`
	} `json:"user"`
	Channel struct {
		ID string `json:"id"`
	} `json:"channel"`
	Enterprise slack.Enterprise `json:"enterprise"`
	Container  slack.Container  `json:"container"`
	Message    struct {
		Timestamp string `json:"ts"`
	} `json:"message"`
	Actions      blockActions `json:"actions"`
	View         payloadView  `json:"view"`
	ResponseURLs []slack.ViewSubmissionCallbackResponseURL `json:"response_urls"`
}

// payloadView is the part of slack.View a view_submission is read by.
type payloadView struct {
	ID              string           `json:"id"`
	CallbackID      string           `json:"callback_id"`
	PrivateMetadata string           `json:"private_metadata"`
	Hash            string           `json:"hash"`
	State           *slack.ViewState `json:"state"`
}

// blockAction is the part of slack.BlockAction the edge reads.
type blockAction struct {
	ActionID string `json:"action_id"`
	BlockID  string `json:"block_id"`
	Value    string `json:"value"`
}

// blockActions decodes the "actions" array the way slack.ActionCallbacks
// does, keeping only the block actions: an element is a block action when
// its "block_id" (that exact key, its last occurrence) is a string, and
// then it is decoded as a slack.BlockAction is; any other element must be
// an object or null (an attachment action, skipped). Like slack-go it
// appends, so a repeated "actions" key adds to the first one's.
type blockActions []blockAction

func (a *blockActions) UnmarshalJSON(data []byte) error {
	// data is one valid JSON value: encoding/json checked the whole input
	// before decoding it.
	rest := skipSpace(data)
	if len(rest) == 0 || rest[0] != '[' {
		if isNull(rest) {
			return nil
		}
		return errors.New("slackbot: interaction actions: not an array")
	}
	rest = skipSpace(rest[1:])
	for len(rest) > 0 && rest[0] != ']' {
		n := valueLen(rest)
		elem := rest[:n]
		switch block, ok := isBlockAction(elem); {
		case !ok:
			return errors.New("slackbot: interaction action: not an object")
		case block:
			var b blockAction
			if err := json.Unmarshal(elem, &b); err != nil {
				return err
			}
			*a = append(*a, b)
		}
		rest = skipSpace(rest[n:])
		if len(rest) > 0 && rest[0] == ',' {
			rest = skipSpace(rest[1:])
		}
	}
	return nil
}

// isBlockAction reports whether elem, one valid JSON value, is an object
// whose member "block_id" (the last one of that exact name, after
// unescaping, as a map[string]any keeps it) is a string; ok is false when
// elem is neither an object nor null.
func isBlockAction(elem []byte) (block, ok bool) {
	if isNull(elem) {
		return false, true
	}
	if elem[0] != '{' {
		return false, false
	}
	rest := skipSpace(elem[1:])
	for len(rest) > 0 && rest[0] == '"' {
		kn := valueLen(rest)
		key := rest[:kn]
		rest = skipSpace(rest[kn:])
		rest = skipSpace(rest[1:]) // ':'
		vn := valueLen(rest)
		if keyIs(key, "block_id") {
			block = rest[0] == '"'
		}
		rest = skipSpace(rest[vn:])
		if len(rest) > 0 && rest[0] == ',' {
			rest = skipSpace(rest[1:])
		}
	}
	return block, true
}

// keyIs reports whether the quoted JSON string quoted decodes to name.
func keyIs(quoted []byte, name string) bool {
	for _, c := range quoted[1 : len(quoted)-1] {
		if c == '\\' {
			var s string // escapes: rare, decoded by encoding/json itself
			return json.Unmarshal(quoted, &s) == nil && s == name
		}
	}
	return string(quoted[1:len(quoted)-1]) == name
}

// isNull reports whether b (leading space skipped) is the literal null.
func isNull(b []byte) bool { return len(b) >= 4 && string(b[:4]) == "null" }

// skipSpace drops JSON white space from the front of b.
func skipSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

// valueLen returns the length of the valid JSON value at the start of b
// (no leading space).
func valueLen(b []byte) int {
	switch b[0] {
	case '"':
		for i := 1; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return len(b)
	case '{', '[':
		depth := 0
		for i := 0; i < len(b); i++ {
			switch b[i] {
			case '"':
				i += valueLen(b[i:]) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	i := 0 // a number or a literal
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i
}
