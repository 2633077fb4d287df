package slackrec

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// ValidateView checks a modal view the way views.open, views.update and
// views.push do, and returns Slack's messages for what is wrong (none for
// a valid view), e.g.
//
//	[ERROR] no more than 100 items allowed [json-pointer:/view/blocks/2/element/options]
//	[ERROR] must be less than 25 characters [json-pointer:/view/title/text]
//
// It covers what streambot's views can get wrong: the view's required
// fields (type "modal", title, and — stricter than Slack, because
// streambot routes submissions by it — callback_id), known block and
// element kinds, Block Kit's length limits (3,000 characters for a text,
// 24 for the title and buttons, 75 for an option's text, 150 for its value
// and for a placeholder, 2,000 for a label or hint, 3,000 for
// private_metadata), its count limits (100 blocks, 100 options or option
// groups in a select and 100 options in a group, 10 checkboxes or radio
// buttons, 10 context elements or section fields), unique block_ids, a
// submit button when there are inputs, and an initial option that is one of
// the options.
func ValidateView(view json.RawMessage) []string {
	var v any
	if err := json.Unmarshal(view, &v); err != nil || v == nil {
		return []string{"[ERROR] must provide an object [json-pointer:/view]"}
	}
	var c checker
	c.view(v)
	return c.msgs
}

// Block Kit's limits, in characters or items.
const (
	maxText         = 3000
	maxTitle        = 24
	maxLabel        = 2000
	maxPlaceholder  = 150
	maxOptionText   = 75
	maxOptionValue  = 150
	maxHeader       = 150
	maxID           = 255
	maxBlocks       = 100
	maxOptions      = 100
	maxChecks       = 10
	maxFields       = 10
	maxContextItems = 10
	maxActions      = 25
)

type checker struct{ msgs []string }

func (c *checker) fail(ptr, format string, args ...any) {
	c.msgs = append(c.msgs, "[ERROR] "+fmt.Sprintf(format, args...)+" [json-pointer:"+ptr+"]")
}

// object returns v as a JSON object, reporting it when it is not one.
func (c *checker) object(ptr string, v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.fail(ptr, "must provide an object")
	}
	return m, ok
}

// array returns m[key] as an array of at most max items; missing is
// reported when required.
func (c *checker) array(ptr string, m map[string]any, key string, required bool, max int) []any {
	v, ok := m[key]
	if !ok || v == nil {
		if required {
			c.fail(ptr, "missing required field: %s", key)
		}
		return nil
	}
	a, ok := v.([]any)
	if !ok {
		c.fail(ptr+"/"+key, "must provide an array")
		return nil
	}
	if len(a) > max {
		c.fail(ptr+"/"+key, "no more than %d items allowed", max)
	}
	return a
}

// str checks m[key] is a string of at most max characters and returns it.
func (c *checker) str(ptr string, m map[string]any, key string, required bool, max int) string {
	v, ok := m[key]
	if !ok || v == nil {
		if required {
			c.fail(ptr, "missing required field: %s", key)
		}
		return ""
	}
	s, ok := v.(string)
	if !ok {
		c.fail(ptr+"/"+key, "must be a string")
		return ""
	}
	if utf8.RuneCountInString(s) > max {
		c.fail(ptr+"/"+key, "must be less than %d characters", max+1)
	}
	return s
}

// text checks the text object m[key]: plain_text (or mrkdwn when allowed)
// with a text of at most max characters.
func (c *checker) text(ptr string, m map[string]any, key string, required, mrkdwn bool, max int) {
	v, ok := m[key]
	if !ok || v == nil {
		if required {
			c.fail(ptr, "missing required field: %s", key)
		}
		return
	}
	ptr += "/" + key
	t, ok := c.object(ptr, v)
	if !ok {
		return
	}
	switch typ := c.str(ptr, t, "type", true, maxID); typ {
	case "plain_text":
	case "mrkdwn":
		if !mrkdwn {
			c.fail(ptr+"/type", "must be one of: plain_text")
		}
	case "":
	default:
		c.fail(ptr+"/type", "unsupported type: %s", typ)
	}
	c.str(ptr, t, "text", true, max)
}

func (c *checker) view(v any) {
	const ptr = "/view"
	m, ok := c.object(ptr, v)
	if !ok {
		return
	}
	switch typ := c.str(ptr, m, "type", true, maxID); typ {
	case "modal", "":
	default:
		c.fail(ptr+"/type", "unsupported type: %s", typ)
	}
	c.text(ptr, m, "title", true, false, maxTitle)
	c.text(ptr, m, "close", false, false, maxTitle)
	c.text(ptr, m, "submit", false, false, maxTitle)
	c.str(ptr, m, "callback_id", true, maxID)
	c.str(ptr, m, "external_id", false, maxID)
	c.str(ptr, m, "private_metadata", false, maxText)
	blocks := c.array(ptr, m, "blocks", true, maxBlocks)
	ids := map[string]bool{}
	for i, b := range blocks {
		bptr := ptr + "/blocks/" + strconv.Itoa(i)
		bm, ok := c.object(bptr, b)
		if !ok {
			continue
		}
		if id := c.str(bptr, bm, "block_id", false, maxID); id != "" {
			if ids[id] {
				c.fail(bptr+"/block_id", "duplicate block_id: %s", id)
			}
			ids[id] = true
		}
		if c.block(bptr, bm) == "input" && m["submit"] == nil {
			c.fail(bptr, "must define `submit` to use an `input` block in modals")
		}
	}
}

// block checks one block and returns its type.
func (c *checker) block(ptr string, b map[string]any) string {
	typ := c.str(ptr, b, "type", true, maxID)
	switch typ {
	case "section":
		_, hasText := b["text"]
		fields := c.array(ptr, b, "fields", false, maxFields)
		if !hasText && fields == nil {
			c.fail(ptr, "missing required field: text")
		}
		c.text(ptr, b, "text", false, true, maxText)
		for i, f := range fields {
			c.text(ptr+"/fields", map[string]any{strconv.Itoa(i): f}, strconv.Itoa(i), true, true, maxLabel)
		}
		if a, ok := b["accessory"]; ok {
			if am, ok := c.object(ptr+"/accessory", a); ok {
				c.element(ptr+"/accessory", am, false)
			}
		}
	case "header":
		c.text(ptr, b, "text", true, false, maxHeader)
	case "context":
		for i, e := range c.array(ptr, b, "elements", true, maxContextItems) {
			eptr := ptr + "/elements/" + strconv.Itoa(i)
			if em, ok := c.object(eptr, e); ok && em["type"] != "image" {
				c.text(ptr+"/elements", map[string]any{strconv.Itoa(i): e}, strconv.Itoa(i), true, true, maxText)
			}
		}
	case "actions":
		for i, e := range c.array(ptr, b, "elements", true, maxActions) {
			eptr := ptr + "/elements/" + strconv.Itoa(i)
			if em, ok := c.object(eptr, e); ok {
				c.element(eptr, em, false)
			}
		}
	case "input":
		c.text(ptr, b, "label", true, false, maxLabel)
		c.text(ptr, b, "hint", false, false, maxLabel)
		e, ok := b["element"]
		if !ok {
			c.fail(ptr, "missing required field: element")
			break
		}
		if em, ok := c.object(ptr+"/element", e); ok {
			c.element(ptr+"/element", em, true)
		}
	case "divider", "image", "rich_text", "video", "file", "markdown", "":
	default:
		c.fail(ptr+"/type", "unsupported type: %s", typ)
	}
	return typ
}

// inputOnly are the elements that only an input block may hold.
var inputOnly = map[string]bool{
	"plain_text_input": true, "email_text_input": true, "url_text_input": true, "number_input": true,
	"rich_text_input": true, "file_input": true,
}

// element checks a block element; input says whether an input block holds
// it.
func (c *checker) element(ptr string, e map[string]any, input bool) {
	typ := c.str(ptr, e, "type", true, maxID)
	c.str(ptr, e, "action_id", false, maxID)
	c.text(ptr, e, "placeholder", false, false, maxPlaceholder)
	switch typ {
	case "static_select", "multi_static_select":
		c.staticOptions(ptr, e)
	case "external_select", "multi_external_select", "users_select", "multi_users_select",
		"conversations_select", "multi_conversations_select", "channels_select", "multi_channels_select":
	case "checkboxes", "radio_buttons":
		opts := c.array(ptr, e, "options", true, maxChecks)
		values := c.options(ptr+"/options", opts, true)
		if typ == "radio_buttons" {
			c.initial(ptr, e, "initial_option", values)
		} else {
			for i, o := range c.array(ptr, e, "initial_options", false, maxChecks) {
				c.initial(ptr+"/initial_options", map[string]any{strconv.Itoa(i): o}, strconv.Itoa(i), values)
			}
		}
	case "overflow":
		c.options(ptr+"/options", c.array(ptr, e, "options", true, 5), false)
	case "button":
		c.text(ptr, e, "text", true, false, maxOptionText)
		c.str(ptr, e, "value", false, maxLabel)
		c.str(ptr, e, "url", false, maxText)
	case "plain_text_input":
		maxLen := maxText
		if n, ok := e["max_length"].(float64); ok {
			if n < 1 || n > maxText {
				c.fail(ptr+"/max_length", "must be between 1 and %d", maxText)
			} else {
				maxLen = int(n)
			}
		}
		if n, ok := e["min_length"].(float64); ok && (n < 0 || n > float64(maxLen)) {
			c.fail(ptr+"/min_length", "must be between 0 and max_length")
		}
		c.str(ptr, e, "initial_value", false, maxLen)
	case "email_text_input", "url_text_input", "number_input", "rich_text_input", "file_input",
		"datepicker", "timepicker", "datetimepicker", "image", "workflow_button":
	default:
		c.fail(ptr+"/type", "unsupported type: %s", typ)
		return
	}
	if inputOnly[typ] && !input {
		c.fail(ptr+"/type", "%s is only allowed in an input block", typ)
	}
}

// staticOptions checks a static select's options or option groups (exactly
// one of them) and its initial option.
func (c *checker) staticOptions(ptr string, e map[string]any) {
	opts := c.array(ptr, e, "options", false, maxOptions)
	groups := c.array(ptr, e, "option_groups", false, maxOptions)
	if (opts == nil) == (groups == nil) {
		c.fail(ptr, "must provide exactly one of options or option_groups")
	}
	values := c.options(ptr+"/options", opts, false)
	for i, g := range groups {
		gptr := ptr + "/option_groups/" + strconv.Itoa(i)
		gm, ok := c.object(gptr, g)
		if !ok {
			continue
		}
		c.text(gptr, gm, "label", true, false, maxOptionText)
		for v := range c.options(gptr+"/options", c.array(gptr, gm, "options", true, maxOptions), false) {
			values[v] = true
		}
	}
	c.initial(ptr, e, "initial_option", values)
	for i, o := range c.array(ptr, e, "initial_options", false, maxOptions) {
		c.initial(ptr+"/initial_options", map[string]any{strconv.Itoa(i): o}, strconv.Itoa(i), values)
	}
}

// options checks option objects and returns their values.
func (c *checker) options(ptr string, opts []any, mrkdwn bool) map[string]bool {
	values := map[string]bool{}
	for i, o := range opts {
		optr := ptr + "/" + strconv.Itoa(i)
		om, ok := c.object(optr, o)
		if !ok {
			continue
		}
		c.text(optr, om, "text", true, mrkdwn, maxOptionText)
		c.text(optr, om, "description", false, mrkdwn, maxOptionText)
		values[c.str(optr, om, "value", true, maxOptionValue)] = true
	}
	return values
}

// initial checks that m[key], when present, is an option whose value is
// one of values.
func (c *checker) initial(ptr string, m map[string]any, key string, values map[string]bool) {
	v, ok := m[key]
	if !ok || v == nil {
		return
	}
	iptr := ptr + "/" + key
	om, ok := c.object(iptr, v)
	if !ok {
		return
	}
	if val, _ := om["value"].(string); !values[val] {
		c.fail(iptr, "must match one of the options")
	}
}
