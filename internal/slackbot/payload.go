package slackbot

import (
	"encoding/json"
	"errors"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// decodeInteraction decodes an interaction payload (the JSON of the form
// field "payload") into cb, filling the fields the edge and its
// interaction handlers read, with the values slack-go's own decoding
// (json.Unmarshal into a slack.InteractionCallback) gives them:
//
//   - Type, CallbackID, ResponseURL, TriggerID;
//   - Team.ID, Team.EnterpriseID, Team.EnterpriseName, User.ID,
//     User.TeamID, User.Name, Channel.ID, Enterprise;
//   - Container.MessageTs, Container.ChannelID and Message.Timestamp: the
//     clicked message;
//   - ActionCallback.BlockActions: ActionID, BlockID and Value of each
//     block action (an element slack-go counts as one: its "block_id" is a
//     string);
//   - View.ID, View.CallbackID, View.PrivateMetadata, View.Hash, and
//     View.State: a view_submission's form, what the person entered (the
//     maps of Values as slack-go makes them, and of each value what
//     internal/form reads: Type, Value, SelectedOption.Value, the Value of
//     each of SelectedOptions, SelectedConversation);
//   - ResponseURLs (BlockID, ActionID, ChannelID, ResponseURL of each).
//
// Why not slack-go's decoding (issue 10 asked for it): it decodes all of a
// payload into its 3.8 kB InteractionCallback, the clicked message with
// every block (through a map per block), a view with every block, and each
// action twice (once into a map[string]any to tell block actions from
// attachment actions). That made a click's ack path five times the cost of
// a slash command's (BenchmarkClick: 52 µs and 124 allocations,
// BENCHMARKS.md) and a view_submission's far more, to read a dozen fields.
// Here one pass over the payload validates it as JSON and reads those
// fields; strings without escapes are slices of payload (no copies). A
// view_submission carries the whole view back (13 kB of body for the
// create form, BenchmarkViewSubmission): its blocks are skipped, and its
// state is read by hand into slack-go's types too (encoding/json made it
// 100 of the path's 130 allocations). The result is slack-go's type,
// handed on as [InteractionHandler] takes it. Everything else is left
// zero: the message's text and blocks, attachment actions (legacy
// attachments; the edge never used them), a block action's other fields,
// a view's blocks, the other fields of a state value (an option's text,
// dates, users…). A field the form starts to read must be added here:
// FuzzDecodeInteraction compares form.ParseSubmission's outcome on this
// decoding and on slack-go's, and the seeds fill every field it reads.
//
// Keys are matched the way encoding/json matches them to struct fields
// (escapes decoded, then exact or case-insensitive, Unicode simple
// folding), and a string replaces, null keeps, any other type is an error;
// FuzzDecodeInteraction checks, for any input slack-go decodes, that this
// decodes too and to the same values of the fields above. One difference
// is deliberate: a payload whose unread parts slack-go cannot decode (a
// block type it does not know, a number where it wants a string) is
// decoded here, where slack-go refused it and the click was lost. The
// body's signature was checked before; every value read comes from it.
func decodeInteraction(payload string, cb *slack.InteractionCallback) error {
	*cb = slack.InteractionCallback{}
	d := jsonScanner{s: payload}
	var buf [32]byte
	obj, err := d.beginObject()
	for first := true; obj && err == nil; {
		var key []byte
		if key, obj, err = d.nextKey(&first, buf[:0]); !obj || err != nil {
			break
		}
		switch string(key) {
		case "TYPE":
			err = d.str((*string)(&cb.Type))
		case "CALLBACK_ID":
			err = d.str(&cb.CallbackID)
		case "RESPONSE_URL":
			err = d.str(&cb.ResponseURL)
		case "TRIGGER_ID":
			err = d.str(&cb.TriggerID)
		case "TEAM":
			// On Enterprise Grid the team names its organization too;
			// enterpriseID reads it where "enterprise" is null.
			err = d.strFields([]string{"ID", "ENTERPRISE_ID", "ENTERPRISE_NAME"}, []*string{&cb.Team.ID, &cb.Team.EnterpriseID, &cb.Team.EnterpriseName})
		case "USER":
			err = d.strFields([]string{"ID", "TEAM_ID", "NAME"}, []*string{&cb.User.ID, &cb.User.TeamID, &cb.User.Name})
		case "CHANNEL":
			err = d.strFields([]string{"ID"}, []*string{&cb.Channel.ID})
		case "ENTERPRISE":
			err = d.strFields([]string{"ID", "NAME"}, []*string{&cb.Enterprise.ID, &cb.Enterprise.Name})
		case "CONTAINER":
			// attachment_id, a json.Number, is slack-go's to refuse.
			err = d.strFields([]string{"MESSAGE_TS", "CHANNEL_ID"}, []*string{&cb.Container.MessageTs, &cb.Container.ChannelID})
		case "MESSAGE":
			err = d.strFields([]string{"TS"}, []*string{&cb.Message.Timestamp})
		case "ACTIONS":
			err = d.actions(&cb.ActionCallback.BlockActions)
		case "VIEW":
			err = d.view(&cb.View)
		case "RESPONSE_URLS":
			err = decodeSlice(&d, &cb.ResponseURLs, d.responseURL)
		default:
			err = d.skip()
		}
	}
	if err != nil {
		return err
	}
	if d.ws(); d.i != len(d.s) {
		return errJSONSyntax
	}
	return nil
}

var (
	errJSONSyntax = errors.New("slackbot: interaction payload: invalid JSON")
	errJSONType   = errors.New("slackbot: interaction payload: a value of an unexpected type")
)

// maxJSONDepth is encoding/json's nesting limit.
const maxJSONDepth = 10000

// jsonScanner reads JSON text: it validates what it skips as encoding/json
// does, and decodes the few values [decodeInteraction] reads.
type jsonScanner struct {
	s     string
	i     int
	depth int
}

// ws skips white space.
func (d *jsonScanner) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// null consumes the literal null if it comes next (after white space).
func (d *jsonScanner) null() bool {
	d.ws()
	if len(d.s)-d.i >= 4 && d.s[d.i:d.i+4] == "null" {
		d.i += 4
		return true
	}
	return false
}

// beginObject starts reading an object: it consumes its '{' and reports
// true, or consumes null (no object: false), or skips any other value and
// returns a type error.
func (d *jsonScanner) beginObject() (bool, error) {
	if d.null() {
		return false, nil
	}
	if d.i >= len(d.s) || d.s[d.i] != '{' {
		return false, d.wrongType()
	}
	if d.depth++; d.depth > maxJSONDepth {
		return false, errJSONSyntax
	}
	d.i++
	return true, nil
}

// nextKey reads the next member of the object begun with beginObject up
// to its value: it returns the key folded as encoding/json folds keys to
// match struct fields (appended to buf), and true; or, at the object's
// end, false. The caller then reads the value. first is true before the
// first member.
func (d *jsonScanner) nextKey(first *bool, buf []byte) ([]byte, bool, error) {
	raw, escaped, ok, err := d.nextRawKey(first)
	if !ok || err != nil {
		return nil, false, err
	}
	return foldKey(buf, raw, escaped), true, nil
}

// nextRawKey is nextKey returning the key as written (quoted), and
// whether it has escapes.
func (d *jsonScanner) nextRawKey(first *bool) (raw string, escaped, ok bool, err error) {
	d.ws()
	if d.i >= len(d.s) {
		return "", false, false, errJSONSyntax
	}
	switch c := d.s[d.i]; {
	case c == '}':
		d.i++
		d.depth--
		return "", false, false, nil
	case *first:
	case c == ',':
		d.i++
		d.ws()
	default:
		return "", false, false, errJSONSyntax
	}
	*first = false
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return "", false, false, errJSONSyntax
	}
	if raw, escaped, err = d.scanString(); err != nil {
		return "", false, false, err
	}
	d.ws()
	if d.i >= len(d.s) || d.s[d.i] != ':' {
		return "", false, false, errJSONSyntax
	}
	d.i++
	d.ws()
	return raw, escaped, true, nil
}

// strFields reads an object into string fields: the value of a key that
// folds to names[i] goes into *dsts[i] (see str); other members are
// skipped.
func (d *jsonScanner) strFields(names []string, dsts []*string) error {
	var buf [32]byte
	obj, err := d.beginObject()
	for first := true; obj && err == nil; {
		var key []byte
		if key, obj, err = d.nextKey(&first, buf[:0]); !obj || err != nil {
			break
		}
		i := 0
		for i < len(names) && names[i] != string(key) {
			i++
		}
		if i < len(names) {
			err = d.str(dsts[i])
		} else {
			err = d.skip()
		}
	}
	return err
}

// view reads the fields of a view decodeInteraction promises.
func (d *jsonScanner) view(v *slack.View) error {
	var buf [32]byte
	obj, err := d.beginObject()
	for first := true; obj && err == nil; {
		var key []byte
		if key, obj, err = d.nextKey(&first, buf[:0]); !obj || err != nil {
			break
		}
		switch string(key) {
		case "ID":
			err = d.str(&v.ID)
		case "CALLBACK_ID":
			err = d.str(&v.CallbackID)
		case "PRIVATE_METADATA":
			err = d.str(&v.PrivateMetadata)
		case "HASH":
			err = d.str(&v.Hash)
		case "STATE":
			err = d.viewState(&v.State)
		default:
			err = d.skip()
		}
	}
	return err
}

// str decodes a value into *dst as encoding/json decodes it into a string
// field: a string replaces *dst, null leaves it, any other value is a type
// error.
func (d *jsonScanner) str(dst *string) error {
	if d.null() {
		return nil
	}
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return d.wrongType()
	}
	raw, escaped, err := d.scanString()
	if err != nil {
		return err
	}
	*dst, err = unquote(raw, escaped)
	return err
}

// viewState reads a view's "state" into *dst as encoding/json decodes it
// into a *slack.ViewState (null sets nil; an object fills the ViewState
// *dst points to, a new one if nil), with only the fields of each value
// that decodeInteraction promises (see stateAction).
func (d *jsonScanner) viewState(dst **slack.ViewState) error {
	if d.null() {
		*dst = nil
		return nil
	}
	obj, err := d.beginObject()
	if !obj {
		return err
	}
	if *dst == nil {
		*dst = new(slack.ViewState)
	}
	var buf [32]byte
	for first := true; err == nil; {
		var key []byte
		if key, obj, err = d.nextKey(&first, buf[:0]); !obj || err != nil {
			break
		}
		if string(key) == "VALUES" {
			err = d.stateValues(&(*dst).Values)
		} else {
			err = d.skip()
		}
	}
	return err
}

// stateValues reads the state's "values" (block_id → action_id → value)
// as encoding/json reads it into a map: null sets nil; an object adds to
// the map *dst (a new one if nil), each member replacing the entry for its
// key, exactly as written (maps do not fold keys); an inner null is a nil
// map, and an inner map is always new.
func (d *jsonScanner) stateValues(dst *map[string]map[string]slack.BlockAction) error {
	if d.null() {
		*dst = nil
		return nil
	}
	obj, err := d.beginObject()
	if !obj {
		return err
	}
	if *dst == nil {
		*dst = make(map[string]map[string]slack.BlockAction)
	}
	for first := true; ; {
		raw, escaped, more, err := d.nextRawKey(&first)
		if !more || err != nil {
			return err
		}
		block, err := unquote(raw, escaped)
		if err != nil {
			return err
		}
		var actions map[string]slack.BlockAction
		if !d.null() {
			if obj, err := d.beginObject(); !obj {
				return err
			}
			actions = make(map[string]slack.BlockAction, 1) // one action per input block
			for first := true; ; {
				raw, escaped, more, err := d.nextRawKey(&first)
				if err != nil {
					return err
				}
				if !more {
					break
				}
				id, err := unquote(raw, escaped)
				if err != nil {
					return err
				}
				var a slack.BlockAction
				if err := d.stateAction(&a); err != nil {
					return err
				}
				actions[id] = a
			}
		}
		(*dst)[block] = actions
	}
}

// stateAction reads one value of a view's state into a, as encoding/json
// reads it into a slack.BlockAction, filling only what the form reads:
// Type, Value, SelectedOption.Value, SelectedOptions (each one's Value)
// and SelectedConversation. Null leaves a as it is.
func (d *jsonScanner) stateAction(a *slack.BlockAction) error {
	var buf [32]byte
	obj, err := d.beginObject()
	for first := true; obj && err == nil; {
		var key []byte
		if key, obj, err = d.nextKey(&first, buf[:0]); !obj || err != nil {
			break
		}
		switch string(key) {
		case "TYPE":
			err = d.str((*string)(&a.Type))
		case "VALUE":
			err = d.str(&a.Value)
		case "SELECTED_OPTION":
			err = d.option(&a.SelectedOption)
		case "SELECTED_OPTIONS":
			err = decodeSlice(d, &a.SelectedOptions, d.option)
		case "SELECTED_CONVERSATION":
			err = d.str(&a.SelectedConversation)
		default:
			err = d.skip()
		}
	}
	return err
}

// option reads an option object's value (its text and description are
// not read).
func (d *jsonScanner) option(o *slack.OptionBlockObject) error {
	return d.strFields([]string{"VALUE"}, []*string{&o.Value})
}

// responseURL reads an element of response_urls.
func (d *jsonScanner) responseURL(r *slack.ViewSubmissionCallbackResponseURL) error {
	return d.strFields([]string{"BLOCK_ID", "ACTION_ID", "CHANNEL_ID", "RESPONSE_URL"},
		[]*string{&r.BlockID, &r.ActionID, &r.ChannelID, &r.ResponseURL})
}

// decodeSlice reads an array into *dst as encoding/json reads it into a
// slice, each element with elem: null sets nil; element i is decoded into
// (*dst)[i] where the slice (up to its capacity) has one, else into a new
// zero element appended; the slice is then cut to the array's length, and
// an empty array gives an empty, non-nil slice.
func decodeSlice[E any](d *jsonScanner, dst *[]E, elem func(*E) error) error {
	if d.null() {
		*dst = nil
		return nil
	}
	if d.i >= len(d.s) || d.s[d.i] != '[' {
		return d.wrongType()
	}
	if d.depth++; d.depth > maxJSONDepth {
		return errJSONSyntax
	}
	d.i++
	s, n := *dst, 0
	for first := true; ; first = false {
		more, err := d.nextElement(first)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		switch {
		case n >= cap(s): // then len(s) == n
			var zero E
			s = append(s, zero)
		case n >= len(s):
			s = s[:n+1]
		}
		if err := elem(&s[n]); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		s = []E{}
	}
	*dst = s[:n]
	return nil
}

// wrongType skips the value at d.i (it must still be valid JSON) and
// returns the type error.
func (d *jsonScanner) wrongType() error {
	if err := d.skip(); err != nil {
		return err
	}
	return errJSONType
}

// actions reads an "actions" array as slack.ActionCallbacks does, keeping
// the block actions, and appends them to *dst (slack-go appends too, so a
// repeated "actions" key adds to the first). An element is a block action
// when its "block_id" (that exact key after unescaping, its last
// occurrence: a map[string]any of the element) is a string; it is then
// read as encoding/json reads a slack.BlockAction. Any other element must
// be an object or null (an attachment action, skipped).
func (d *jsonScanner) actions(dst *[]*slack.BlockAction) error {
	if d.null() {
		return nil
	}
	if d.i >= len(d.s) || d.s[d.i] != '[' {
		return d.wrongType()
	}
	if d.depth++; d.depth > maxJSONDepth {
		return errJSONSyntax
	}
	d.i++
	for first := true; ; first = false {
		more, err := d.nextElement(first)
		if !more || err != nil {
			return err
		}
		a, err := d.action()
		if err != nil {
			return err
		}
		if a != nil {
			*dst = append(*dst, a)
		}
	}
}

// action reads one element of "actions": a block action, or nil.
func (d *jsonScanner) action() (*slack.BlockAction, error) {
	obj, err := d.beginObject()
	if !obj {
		return nil, err // null: an attachment action; else a type error
	}
	var (
		a       slack.BlockAction
		block   bool
		typeErr bool // a field of a BlockAction given a non-string
		buf     [32]byte
	)
	for first := true; ; {
		raw, escaped, more, err := d.nextRawKey(&first)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		if key, _ := unquote(raw, escaped); key == "block_id" { // raw is valid: no error
			block = d.i < len(d.s) && d.s[d.i] == '"'
		}
		var f *string
		switch string(foldKey(buf[:0], raw, escaped)) {
		case "ACTION_ID":
			f = &a.ActionID
		case "BLOCK_ID":
			f = &a.BlockID
		case "VALUE":
			f = &a.Value
		default:
			if err := d.skip(); err != nil {
				return nil, err
			}
			continue
		}
		// An attachment action has other fields: a field of the wrong
		// type is an error only in a block action, known at the end.
		if err := d.str(f); errors.Is(err, errJSONType) {
			typeErr = true
		} else if err != nil {
			return nil, err
		}
	}
	switch {
	case !block:
		return nil, nil
	case typeErr:
		return nil, errJSONType
	}
	return &a, nil
}

// nextElement moves to the next element of an array whose '[' was
// consumed, reporting false (and consuming the ']') at its end. first is
// true before the first element.
func (d *jsonScanner) nextElement(first bool) (bool, error) {
	d.ws()
	if d.i >= len(d.s) {
		return false, errJSONSyntax
	}
	switch c := d.s[d.i]; {
	case c == ']':
		d.i++
		d.depth--
		return false, nil
	case first:
	case c == ',':
		d.i++ // a ']' next is refused by the element's reader
	default:
		return false, errJSONSyntax
	}
	return true, nil
}

// skip reads and validates one value.
func (d *jsonScanner) skip() error {
	d.ws()
	if d.i >= len(d.s) {
		return errJSONSyntax
	}
	switch c := d.s[d.i]; {
	case c == '"':
		_, _, err := d.scanString()
		return err
	case c == '{':
		if d.depth++; d.depth > maxJSONDepth {
			return errJSONSyntax
		}
		d.i++
		for first := true; ; {
			_, _, more, err := d.nextRawKey(&first)
			if !more || err != nil {
				return err
			}
			if err := d.skip(); err != nil {
				return err
			}
		}
	case c == '[':
		if d.depth++; d.depth > maxJSONDepth {
			return errJSONSyntax
		}
		d.i++
		for first := true; ; first = false {
			more, err := d.nextElement(first)
			if !more || err != nil {
				return err
			}
			if err := d.skip(); err != nil {
				return err
			}
		}
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return d.number()
	}
	return errJSONSyntax
}

func (d *jsonScanner) literal(lit string) error {
	if len(d.s)-d.i < len(lit) || d.s[d.i:d.i+len(lit)] != lit {
		return errJSONSyntax
	}
	d.i += len(lit)
	return nil
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *jsonScanner) number() error {
	if d.s[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.s) && d.s[d.i] == '0':
		d.i++
	case d.digits() == 0:
		return errJSONSyntax
	}
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		if d.digits() == 0 {
			return errJSONSyntax
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		d.i++
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if d.digits() == 0 {
			return errJSONSyntax
		}
	}
	return nil
}

func (d *jsonScanner) digits() int {
	n := 0
	for d.i < len(d.s) && '0' <= d.s[d.i] && d.s[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}

// scanString reads the string at d.i (at its '"') and returns it quoted,
// and whether it has escapes. It refuses what encoding/json refuses:
// control characters and malformed escapes.
func (d *jsonScanner) scanString() (raw string, escaped bool, err error) {
	start := d.i
	d.i++
	for d.i < len(d.s) {
		// The plain bytes first, in a tight loop with local copies (most
		// of the payload is in strings).
		s, i := d.s, d.i
		for i < len(s) && plainInString[s[i]] {
			i++
		}
		if d.i = i; i == len(s) {
			break
		}
		switch c := s[i]; {
		case c == '"':
			d.i++
			return d.s[start:d.i], escaped, nil
		case c == '\\':
			escaped = true
			if d.i+1 >= len(d.s) {
				return "", false, errJSONSyntax
			}
			switch d.s[d.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i += 2
			case 'u':
				if len(d.s)-d.i < 6 || !isHex4(d.s[d.i+2:d.i+6]) {
					return "", false, errJSONSyntax
				}
				d.i += 6
			default:
				return "", false, errJSONSyntax
			}
		default: // a control character
			return "", false, errJSONSyntax
		}
	}
	return "", false, errJSONSyntax
}

// plainInString tells the bytes a JSON string holds as they are: not the
// quote, the backslash or a control character.
var plainInString = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()

func isHex4(s string) bool {
	for i := range 4 {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// unquote returns the value of the valid JSON string raw (quoted): a
// slice of raw when it has no escapes and is valid UTF-8, else what
// encoding/json makes of it (escapes decoded, invalid UTF-8 replaced).
func unquote(raw string, escaped bool) (string, error) {
	if s := raw[1 : len(raw)-1]; !escaped && utf8.ValidString(s) {
		return s, nil
	}
	var s string
	err := json.Unmarshal([]byte(raw), &s)
	return s, err
}

// foldKey appends to buf the key raw (quoted) folded as encoding/json
// folds object keys to match them to struct fields case-insensitively
// (its foldName: each rune r becomes unicode.ToUpper(unicode.ToLower(r))),
// after decoding escapes.
func foldKey(buf []byte, raw string, escaped bool) []byte {
	k := raw[1 : len(raw)-1]
	if escaped || !utf8.ValidString(k) {
		k, _ = unquote(raw, true) // raw was validated: no error
	}
	for i := 0; i < len(k); {
		if c := k[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			buf = append(buf, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(k[i:])
		buf = utf8.AppendRune(buf, unicode.ToUpper(unicode.ToLower(r)))
		i += n
	}
	return buf
}
