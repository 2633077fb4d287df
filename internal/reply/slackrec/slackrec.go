// Package slackrec is a recording stand-in for the parts of Slack that
// streambot talks to: the Web API methods chat.postMessage, chat.update,
// chat.delete, chat.postEphemeral, users.info, usergroups.users.list, views.open,
// views.update and views.push (as slack-go's *slack.Client calls them) and
// slash-command response_urls. The views it gets are validated against
// Block Kit's rules ([ValidateView]), and [Server.ViewSubmission] plays a
// person submitting an opened view. Tests point slack.OptionAPIURL at
// [Server.APIURL], hand out [Server.ResponseURL]s, inject faults (429 with
// Retry-After, not_in_channel, expired_trigger_id, any Slack error code,
// HTTP errors) and read back every call in order.
package slackrec

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The methods and the pseudo-method for response_url posts, as recorded in
// [Call.Method] and accepted by [Server.Inject].
const (
	PostMessage = "chat.postMessage"
	Update      = "chat.update"
	// Delete deletes a message the bot posted.
	Delete = "chat.delete"
	// PostEphemeral shows a message to one user in a channel.
	PostEphemeral = "chat.postEphemeral"
	UsersInfo     = "users.info"
	// UsergroupsUsersList is the user-group membership lookup the access
	// policy's group grants use.
	UsergroupsUsersList = "usergroups.users.list"
	ResponseURL         = "response_url"
)

// Fault makes the next Times calls of a method fail, after letting After
// calls through.
type Fault struct {
	After int
	Times int
	// RetryAfter, when not empty, answers HTTP 429 with this Retry-After.
	RetryAfter string
	// Error answers HTTP 200 {"ok":false,"error":Error}, e.g. "not_in_channel".
	Error string
	// Status answers this HTTP status with an empty body (e.g. 500, or 404
	// for an expired response_url).
	Status int
}

// Call is one recorded request.
type Call struct {
	Method string
	// Token is the bearer token the call carried (Web API methods).
	Token string
	// Channel, TS and ThreadTS are the Web API form values.
	Channel, TS, ThreadTS string
	// Text is the fallback text; Blocks the raw blocks JSON.
	Text   string
	Blocks json.RawMessage
	// User is users.info's user parameter; Usergroup is
	// usergroups.users.list's.
	User, Usergroup string
	// ResponseType is a response_url post's response_type; ResponseID the
	// id in its path.
	ResponseType, ResponseID string
	// TriggerID, ViewID, Hash and View are a views.* call's: View is the
	// view JSON as sent; ViewID and Hash are the ones the call was answered
	// with when it succeeded (as sent otherwise).
	TriggerID, ViewID, Hash string
	View                    json.RawMessage
	// Failed says the call was answered with an injected fault.
	Failed bool
	// At is when the request arrived (views.* calls; the latency of
	// opening a form is measured to it).
	At time.Time
}

// Button is a button of a recorded message, as a click needs it.
type Button struct {
	ActionID, BlockID, Value string
}

// Button returns the button of c whose action_id is actionID, in an actions
// block or as a section's accessory; ok is false when c has none.
func (c Call) Button(actionID string) (b Button, ok bool) {
	type element struct {
		ActionID string `json:"action_id"`
		Value    string `json:"value"`
	}
	var blocks []struct {
		BlockID   string    `json:"block_id"`
		Elements  []element `json:"elements"`
		Accessory *element  `json:"accessory"`
	}
	if json.Unmarshal(c.Blocks, &blocks) != nil {
		return Button{}, false
	}
	for _, blk := range blocks {
		els := blk.Elements
		if blk.Accessory != nil {
			els = append(els, *blk.Accessory)
		}
		for _, e := range els {
			if e.ActionID == actionID {
				return Button{ActionID: e.ActionID, BlockID: blk.BlockID, Value: e.Value}, true
			}
		}
	}
	return Button{}, false
}

// Server is the recording Slack. It is safe for concurrent use.
type Server struct {
	srv   *httptest.Server
	token string

	mu     sync.Mutex
	calls  []Call
	faults map[string][]Fault
	users  map[string]string   // user ID -> email ("" for none)
	groups map[string][]string // user group ID -> member user IDs
	nextTS int
	modals viewStore

	observer func(Call)
}

// New starts a server on 127.0.0.1 that accepts Web API calls carrying
// token and stops when the test ends.
func New(t testing.TB, token string) *Server {
	s := Start(token)
	t.Cleanup(s.Close)
	return s
}

// Start starts a server on 127.0.0.1 outside a test (streambot demo and
// serve use it as the console Slack); Close stops it.
func Start(token string) *Server {
	s := &Server{token: token, faults: map[string][]Fault{}, users: map[string]string{}, groups: map[string][]string{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// OnDelivered registers fn to be called, in order, with every call that
// succeeded, after it was recorded (streambot's console prints them). fn
// must not call back into s.
func (s *Server) OnDelivered(fn func(Call)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.observer = fn
}

// AddGroup makes usergroups.users.list know the user group groupID with
// these members.
func (s *Server) AddGroup(groupID string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[groupID] = members
}

// record appends c and tells the observer about a delivered call. The
// caller holds s.mu.
func (s *Server) record(c Call) {
	s.calls = append(s.calls, c)
	if !c.Failed && s.observer != nil {
		s.observer(c)
	}
}

// DMChannel is the ID of the app's direct message with userID on this
// server ("D" and the user ID after its first letter), which a
// chat.postMessage to userID answers with.
func DMChannel(userID string) string { return "D" + userID[1:] }

// isUserID reports whether channel is a user ID (U… or W…) rather than a
// conversation ID.
func isUserID(channel string) bool {
	return len(channel) > 1 && (channel[0] == 'U' || channel[0] == 'W')
}

// APIURL is the Web API base for slack.OptionAPIURL.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// ResponseURL returns a response_url on this server; id tells posts apart.
func (s *Server) ResponseURL(id string) string {
	return s.srv.URL + "/commands/T000/" + url.PathEscape(id) + "/secret-part"
}

// AddUser makes users.info know userID with the given email ("" for a
// profile without one).
func (s *Server) AddUser(userID, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[userID] = email
}

// Inject queues f for method (one of the constants, e.g. [PostMessage]).
// Faults queued for one method apply in order.
func (s *Server) Inject(method string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults[method] = append(s.faults[method], f)
}

// Calls returns every call so far, in order; with methods, only those.
func (s *Server) Calls(methods ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(methods) == 0 || contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// Delivered returns the calls that succeeded, with methods only those.
func (s *Server) Delivered(methods ...string) []Call {
	var out []Call
	for _, c := range s.Calls(methods...) {
		if !c.Failed {
			out = append(out, c)
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// fault pops the next fault for method, if any.
func (s *Server) fault(method string) (Fault, bool) {
	q := s.faults[method]
	if len(q) == 0 {
		return Fault{}, false
	}
	f := q[0]
	if f.After > 0 {
		q[0].After--
		return Fault{}, false
	}
	f.Times--
	if f.Times <= 0 {
		s.faults[method] = q[1:]
	} else {
		q[0] = f
	}
	return f, true
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/commands/") {
		s.serveResponseURL(w, r)
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	if isViewMethod(method) {
		s.serveView(w, r, method)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		token = r.PostForm.Get("token")
	}
	c := Call{
		Method: method, Token: token,
		Channel: r.PostForm.Get("channel"), TS: r.PostForm.Get("ts"), ThreadTS: r.PostForm.Get("thread_ts"),
		Text: r.PostForm.Get("text"), User: r.PostForm.Get("user"), Usergroup: r.PostForm.Get("usergroup"),
	}
	if b := r.PostForm.Get("blocks"); b != "" {
		c.Blocks = json.RawMessage(b)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.intercepted(w, c) {
		return
	}
	switch method {
	case PostMessage, Update:
		if c.Channel == "" {
			s.refuse(w, c, "channel_not_found")
			return
		}
		channel := c.Channel
		if isUserID(channel) {
			// Like Slack: chat.postMessage to a user ID posts in the app's
			// direct message with them and answers with its D… ID;
			// chat.update needs that ID (docs.slack.dev, chat.update).
			if method == Update {
				s.refuse(w, c, "channel_not_found")
				return
			}
			channel = DMChannel(channel)
		}
		if method == PostMessage {
			s.nextTS++
			c.TS = fmt.Sprintf("1700000000.%06d", s.nextTS)
		}
		ts := c.TS
		s.record(c)
		writeJSON(w, map[string]any{"ok": true, "channel": channel, "ts": ts,
			"message": map[string]any{"text": c.Text, "ts": ts, "thread_ts": c.ThreadTS}})
	case Delete:
		if c.Channel == "" || c.TS == "" {
			s.refuse(w, c, "message_not_found")
			return
		}
		s.record(c)
		writeJSON(w, map[string]any{"ok": true, "channel": c.Channel, "ts": c.TS})
	case PostEphemeral:
		if c.Channel == "" || c.User == "" {
			s.refuse(w, c, "channel_not_found")
			return
		}
		s.nextTS++
		c.TS = fmt.Sprintf("1700000000.%06d", s.nextTS)
		s.record(c)
		writeJSON(w, map[string]any{"ok": true, "message_ts": c.TS})
	case UsersInfo:
		email, ok := s.users[c.User]
		if !ok {
			s.refuse(w, c, "user_not_found")
			return
		}
		s.record(c)
		profile := map[string]any{"real_name": "Test User"}
		if email != "" {
			profile["email"] = email
		}
		writeJSON(w, map[string]any{"ok": true, "user": map[string]any{"id": c.User, "name": "test", "profile": profile}})
	case UsergroupsUsersList:
		members, ok := s.groups[c.Usergroup]
		if !ok {
			s.refuse(w, c, "no_such_subteam")
			return
		}
		s.record(c)
		writeJSON(w, map[string]any{"ok": true, "users": members})
	default:
		s.refuse(w, c, "unknown_method")
	}
}

func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	// the escaped path: an id holding "/" (escaped by ResponseURL) stays whole
	parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/commands/"), "/")
	c := Call{Method: ResponseURL}
	if len(parts) >= 2 {
		c.ResponseID, _ = url.PathUnescape(parts[1])
	}
	var body struct {
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
		ResponseType string          `json:"response_type"`
	}
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &body); err != nil || r.Method != http.MethodPost {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	c.Text, c.Blocks, c.ResponseType = body.Text, body.Blocks, body.ResponseType

	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.fault(ResponseURL); ok {
		c.Failed = true
		s.record(c)
		writeFault(w, f)
		return
	}
	s.record(c)
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "ok")
}

// intercepted answers c with the next fault injected for its method, or
// refuses it for a wrong token, and reports whether it did. The caller holds
// s.mu.
func (s *Server) intercepted(w http.ResponseWriter, c Call) bool {
	if f, ok := s.fault(c.Method); ok {
		c.Failed = true
		s.record(c)
		writeFault(w, f)
		return true
	}
	if c.Token != s.token {
		s.refuse(w, c, "invalid_auth")
		return true
	}
	return false
}

// refuse records c as failed and answers like Slack does: HTTP 200 with
// {"ok":false,"error":code}. The caller holds s.mu.
func (s *Server) refuse(w http.ResponseWriter, c Call, code string) {
	c.Failed = true
	s.record(c)
	writeJSON(w, map[string]any{"ok": false, "error": code})
}

func writeFault(w http.ResponseWriter, f Fault) {
	switch {
	case f.RetryAfter != "":
		w.Header().Set("Retry-After", f.RetryAfter)
		w.WriteHeader(http.StatusTooManyRequests)
		writeJSONBody(w, map[string]any{"ok": false, "error": "ratelimited"})
	case f.Error != "":
		writeJSON(w, map[string]any{"ok": false, "error": f.Error})
	default:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		w.WriteHeader(status)
		io.WriteString(w, strconv.Itoa(status))
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	writeJSONBody(w, v)
}

func writeJSONBody(w io.Writer, v any) { _ = json.NewEncoder(w).Encode(v) }
