package slackrec

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// The modal methods, as recorded in [Call.Method] and accepted by
// [Server.Inject]. Inject a Fault{Error: "expired_trigger_id"} (or
// "exchanged_trigger_id") on [ViewsOpen] to play a trigger_id that arrived
// too late.
const (
	ViewsOpen   = "views.open"
	ViewsUpdate = "views.update"
	ViewsPush   = "views.push"
)

// viewStore is the recorder's memory of the modals it opened. The Server's
// mutex guards it.
type viewStore struct {
	views    map[string]*openView // by view ID
	triggers map[string]bool      // trigger_ids already used
	next     int
}

type openView struct {
	hash string
	view json.RawMessage
}

func isViewMethod(m string) bool { return m == ViewsOpen || m == ViewsUpdate || m == ViewsPush }

// CurrentView returns the view last opened, pushed or updated under viewID,
// as the JSON the app sent, and false when there is none.
func (s *Server) CurrentView(viewID string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.modals.views[viewID]
	if !ok {
		return nil, false
	}
	return v.view, true
}

// serveView answers views.open, views.push and views.update, which slack-go
// sends as JSON: it records the call with its trigger_id, view_id, hash and
// view, validates the view ([ValidateView]) and answers like Slack:
//   - invalid_arguments with response_metadata.messages for an invalid view
//     or a missing trigger_id (open, push) or view_id/external_id (update);
//   - exchanged_trigger_id for a trigger_id used before;
//   - not_found for an update of a view it never opened; hash_conflict for
//     an update whose hash is not the view's current one;
//   - otherwise ok with the view, its new ID (open, push) and a new hash.
func (s *Server) serveView(w http.ResponseWriter, r *http.Request, method string) {
	at := time.Now()
	var req struct {
		TriggerID  string          `json:"trigger_id"`
		ViewID     string          `json:"view_id"`
		ExternalID string          `json:"external_id"`
		Hash       string          `json:"hash"`
		View       json.RawMessage `json:"view"`
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	c := Call{Method: method, Token: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), At: at}
	if err == nil {
		err = json.Unmarshal(raw, &req)
	}
	c.TriggerID, c.ViewID, c.Hash, c.View = req.TriggerID, req.ViewID, req.Hash, req.View

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.intercepted(w, c) {
		return
	}
	if err != nil {
		s.refuse(w, c, "invalid_json")
		return
	}
	if s.modals.views == nil {
		s.modals.views, s.modals.triggers = map[string]*openView{}, map[string]bool{}
	}
	var msgs []string
	switch method {
	case ViewsOpen, ViewsPush:
		if req.TriggerID == "" {
			msgs = append(msgs, "[ERROR] missing required field: trigger_id [json-pointer:/trigger_id]")
		} else if s.modals.triggers[req.TriggerID] {
			s.refuse(w, c, "exchanged_trigger_id")
			return
		}
	case ViewsUpdate:
		if req.ViewID == "" && req.ExternalID == "" {
			msgs = append(msgs, "[ERROR] missing required field: view_id [json-pointer:/view_id]")
		} else if v, ok := s.modals.views[req.ViewID]; !ok {
			s.refuse(w, c, "not_found")
			return
		} else if req.Hash != "" && req.Hash != v.hash {
			s.refuse(w, c, "hash_conflict")
			return
		}
	}
	if len(req.View) == 0 {
		msgs = append(msgs, "[ERROR] missing required field: view [json-pointer:/view]")
	} else {
		msgs = append(msgs, ValidateView(req.View)...)
	}
	if len(msgs) > 0 {
		c.Failed = true
		s.record(c)
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments",
			"response_metadata": map[string]any{"messages": msgs}})
		return
	}

	s.modals.next++
	if method != ViewsUpdate {
		s.modals.triggers[req.TriggerID] = true
		c.ViewID = fmt.Sprintf("V%08d", s.modals.next)
	}
	c.Hash = fmt.Sprintf("1700000000.%08d", s.modals.next)
	s.modals.views[c.ViewID] = &openView{hash: c.Hash, view: req.View}
	s.record(c)

	var view map[string]any
	_ = json.Unmarshal(req.View, &view) // ValidateView parsed it
	view["id"], view["hash"], view["team_id"], view["app_id"], view["bot_id"] = c.ViewID, c.Hash, "T000", "A000", "B000"
	view["root_view_id"] = c.ViewID
	view["state"] = map[string]any{"values": map[string]any{}}
	writeJSON(w, map[string]any{"ok": true, "view": view})
}

// ViewSubmission is what Slack would send the app when userID (of team
// teamID) submits the view viewID with these values: the JSON of a
// view_submission interaction payload, to be form-encoded as payload=… and
// signed like any request from Slack. values maps an input block's
// block_id to what the person entered: the text of a text input, the value
// of a select's option, a conversation ID, or a checkbox group's values
// separated by commas. A block left out keeps its initial value, as in
// Slack. A select value the view does not offer is sent all the same, as a
// forger would, so tests can play one. A conversation picked in a picker
// with response_url_enabled comes with a response_url on this server.
func (s *Server) ViewSubmission(viewID, teamID, userID string, values map[string]string) ([]byte, error) {
	raw, ok := s.CurrentView(viewID)
	if !ok {
		return nil, fmt.Errorf("slackrec: no view %q", viewID)
	}
	var view map[string]any
	if err := json.Unmarshal(raw, &view); err != nil {
		return nil, err
	}
	state := map[string]any{}
	var urls []map[string]any
	blocks, _ := view["blocks"].([]any)
	for _, b := range blocks {
		bm, _ := b.(map[string]any)
		el, _ := bm["element"].(map[string]any)
		if bm["type"] != "input" || el == nil {
			continue
		}
		blockID, _ := bm["block_id"].(string)
		actionID, _ := el["action_id"].(string)
		typ, _ := el["type"].(string)
		v, given := values[blockID]
		a := map[string]any{"type": typ}
		switch typ {
		case "plain_text_input":
			a["value"] = el["initial_value"]
			if given {
				a["value"] = v
			}
		case "static_select":
			a["selected_option"] = el["initial_option"]
			if given {
				a["selected_option"] = nil
				if v != "" {
					a["selected_option"] = findOption(el, v)
				}
			}
		case "checkboxes":
			a["selected_options"] = el["initial_options"]
			if given {
				sel := []any{}
				for _, cv := range strings.Split(v, ",") {
					if cv != "" {
						sel = append(sel, findOption(el, cv))
					}
				}
				a["selected_options"] = sel
			}
		case "conversations_select":
			a["selected_conversation"] = el["initial_conversation"]
			if given {
				a["selected_conversation"] = v
				if enabled, _ := el["response_url_enabled"].(bool); enabled && v != "" {
					urls = append(urls, map[string]any{"block_id": blockID, "action_id": actionID, "channel_id": v,
						"response_url": s.ResponseURL("view-" + viewID)})
				}
			}
		default:
			return nil, fmt.Errorf("slackrec: block %q: cannot submit a %s", blockID, typ)
		}
		state[blockID] = map[string]any{actionID: a}
	}
	s.mu.Lock()
	s.modals.next++
	n := s.modals.next
	hash := s.modals.views[viewID].hash
	s.mu.Unlock()

	view["id"], view["hash"], view["team_id"], view["app_id"], view["bot_id"] = viewID, hash, teamID, "A000", "B000"
	view["state"] = map[string]any{"values": state}
	if urls == nil {
		urls = []map[string]any{}
	}
	return json.Marshal(map[string]any{
		"type":                  "view_submission",
		"team":                  map[string]any{"id": teamID, "domain": "example"},
		"user":                  map[string]any{"id": userID, "username": "test", "name": "test", "team_id": teamID},
		"api_app_id":            "A000",
		"trigger_id":            fmt.Sprintf("%d.1700000000.submit", n),
		"view":                  view,
		"response_urls":         urls,
		"is_enterprise_install": false,
	})
}

// findOption returns the option of select or checkbox element el whose
// value is v, or a made-up one (a forgery) when it offers none.
func findOption(el map[string]any, v string) any {
	var opts []any
	if o, ok := el["options"].([]any); ok {
		opts = append(opts, o...)
	}
	if gs, ok := el["option_groups"].([]any); ok {
		for _, g := range gs {
			if gm, ok := g.(map[string]any); ok {
				o, _ := gm["options"].([]any)
				opts = append(opts, o...)
			}
		}
	}
	for _, o := range opts {
		if om, ok := o.(map[string]any); ok && om["value"] == v {
			return om
		}
	}
	return map[string]any{"text": map[string]any{"type": "plain_text", "text": v, "emoji": true}, "value": v}
}
