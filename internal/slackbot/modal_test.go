package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/form"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/state"
)

// formEnv is a testEnv whose handler opens views on a recording Slack,
// which validates every view it gets.
type formEnv struct {
	*testEnv
	rec *slackrec.Server
}

func newFormEnv(t *testing.T, policyExtra string) *formEnv {
	t.Helper()
	rec := slackrec.New(t, "xoxb-test")
	return &formEnv{testEnv: newFormTestEnv(t, policyExtra, rec), rec: rec}
}

// newFormTestEnv builds a handler on the policy with policyExtra that
// opens views on rec.
func newFormTestEnv(t *testing.T, policyExtra string, rec *slackrec.Server) *testEnv {
	t.Helper()
	return newTestEnvConfig(t, Config{Policy: loadPolicy(t, policyExtra),
		Views: NewSlackBot(newFakeSecrets(testSecret), slack.OptionAPIURL(rec.APIURL()))})
}

// slash sends `/stream text` by user (signed) and returns the response.
func (env *testEnv) slash(t *testing.T, text, user, trigger string) (int, string) {
	t.Helper()
	w := env.post(t, "/slack/commands", slashForm(text, "user_id", user, "trigger_id", trigger), time.Now())
	return w.Code, w.Body.String()
}

// submit posts a signed view_submission payload and returns the response.
func (env *testEnv) submit(t *testing.T, payload []byte) (int, string) {
	t.Helper()
	w := env.post(t, "/slack/interactions", url.Values{"payload": {string(payload)}}.Encode(), time.Now())
	return w.Code, w.Body.String()
}

// opened returns the views the recording Slack opened (successfully).
func (env *formEnv) opened(t *testing.T) []slackrec.Call {
	t.Helper()
	var out []slackrec.Call
	for _, c := range env.rec.Calls(slackrec.ViewsOpen) {
		if !c.Failed {
			out = append(out, c)
		}
	}
	return out
}

// openView types `/stream create` as user and returns the view it opened.
func (env *formEnv) openView(t *testing.T, user string) slackrec.Call {
	t.Helper()
	code, body := env.slash(t, "create", user, "trig-"+user)
	if code != http.StatusOK || body != "" {
		t.Fatalf("/stream create = %d %q, want an empty 200", code, body)
	}
	views := env.opened(t)
	if len(views) == 0 {
		t.Fatalf("no view opened; calls %+v", env.rec.Calls())
	}
	return views[len(views)-1]
}

type modalJSON struct {
	CallbackID      string `json:"callback_id"`
	PrivateMetadata string `json:"private_metadata"`
	Blocks          []struct {
		Type    string `json:"type"`
		BlockID string `json:"block_id"`
		Text    *struct {
			Text string `json:"text"`
		} `json:"text"`
		Element struct {
			Type    string `json:"type"`
			Options []struct {
				Value string `json:"value"`
			} `json:"options"`
		} `json:"element"`
	} `json:"blocks"`
}

func decodeModal(t *testing.T, raw json.RawMessage) modalJSON {
	t.Helper()
	var m modalJSON
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("view JSON: %v\n%s", err, raw)
	}
	return m
}

func (m modalJSON) block(id string) (string, []string, bool) {
	for _, b := range m.Blocks {
		if b.BlockID == id {
			var vals []string
			for _, o := range b.Element.Options {
				vals = append(vals, o.Value)
			}
			return b.Element.Type, vals, true
		}
	}
	return "", nil, false
}

func TestForm_slashCreateAloneOpensTheForm(t *testing.T) {
	env := newFormEnv(t, "")
	call := env.openView(t, "U0CREATOR")
	if call.TriggerID != "trig-U0CREATOR" || call.Token != "xoxb-test" {
		t.Errorf("views.open trigger %q token %q, want the command's trigger_id and the bot token", call.TriggerID, call.Token)
	}
	m := decodeModal(t, call.View)
	if m.CallbackID != form.CallbackID {
		t.Errorf("callback_id = %q, want %q", m.CallbackID, form.CallbackID)
	}
	origin, err := form.ParseMetadata(m.PrivateMetadata)
	if err != nil || origin != (form.Origin{Channel: "C0DEV", User: "U0CREATOR", Issued: fixedNow}) {
		t.Errorf("private_metadata %q = %+v, %v; want the command's channel and user", m.PrivateMetadata, origin, err)
	}
	// Only the projects U0CREATOR may create in (not prod).
	_, projects, _ := m.block(form.BlockProject)
	if diff := cmp.Diff([]string{devGroupID, noAliasGroup}, projects); diff != "" {
		t.Errorf("project options (-want +got):\n%s", diff)
	}
	if _, _, ok := m.block(form.BlockChannel); ok {
		t.Error("the form opened from a channel has a channel picker")
	}
	if n := len(env.dispatch.Jobs()); n != 0 {
		t.Errorf("%d jobs dispatched for opening a form", n)
	}
}

func TestForm_refusedPeopleGetTheDenialNotAForm(t *testing.T) {
	for _, user := range []string{"U0NOBODY", "U0READER"} {
		t.Run(user, func(t *testing.T) {
			env := newFormEnv(t, "")
			code, body := env.slash(t, "create", user, "trig-x")
			var ack reply.Ack
			if err := json.Unmarshal([]byte(body), &ack); code != http.StatusOK || err != nil {
				t.Fatalf("response %d %q: %v", code, body, err)
			}
			// The same text a typed create gets.
			_, typed := env.slash(t, "create orders-ws --region VIRGINIA_USA", user, "trig-y")
			var want reply.Ack
			_ = json.Unmarshal([]byte(typed), &want)
			if ack.ResponseType != reply.Ephemeral || !strings.HasPrefix(ack.Text, ":no_entry: Not allowed:") || ack != want {
				t.Errorf("ack = %+v, want the typed command's denial %+v", ack, want)
			}
			if calls := env.rec.Calls(slackrec.ViewsOpen); len(calls) != 0 {
				t.Errorf("views.open called %d times for a person allowed nowhere", len(calls))
			}
		})
	}
}

func TestForm_triggerRefusedFallsBackToFlags(t *testing.T) {
	fallback := reply.AckText(form.FallbackText())
	for _, code := range []string{"expired_trigger_id", "exchanged_trigger_id"} {
		t.Run(code, func(t *testing.T) {
			env := newFormEnv(t, "")
			env.rec.Inject(slackrec.ViewsOpen, slackrec.Fault{Times: 1, Error: code})
			_, body := env.slash(t, "create", "U0CREATOR", "trig-late")
			if body != string(fallback.JSON()) {
				t.Errorf("ack = %s, want %s", body, fallback.JSON())
			}
			if n := len(env.opened(t)); n != 0 {
				t.Errorf("%d views opened", n)
			}
		})
	}
	t.Run("trigger used twice", func(t *testing.T) { // the recording Slack's own exchanged_trigger_id
		env := newFormEnv(t, "")
		env.openView(t, "U0CREATOR")
		if _, body := env.slash(t, "create", "U0CREATOR", "trig-U0CREATOR"); body != string(fallback.JSON()) {
			t.Errorf("ack = %s, want %s", body, fallback.JSON())
		}
	})
	t.Run("no views client", func(t *testing.T) {
		env := newTestEnv(t, "", nil)
		w := env.post(t, "/slack/commands", slashForm("create"), time.Now())
		if got := w.Body.String(); got != string(fallback.JSON()) {
			t.Errorf("ack = %s, want %s", got, fallback.JSON())
		}
	})
}

// shortcutBody is the global shortcut's payload as Slack posts it.
func shortcutBody(callbackID, user, trigger string) string {
	p, _ := json.Marshal(map[string]any{
		"type": "shortcut", "token": "legacy", "action_ts": "1765099800.000100",
		"team":                  map[string]any{"id": "T1DC2JH3J", "domain": "testteamnow"},
		"user":                  map[string]any{"id": user, "username": "roadrunner", "team_id": "T1DC2JH3J"},
		"is_enterprise_install": false, "callback_id": callbackID, "trigger_id": trigger,
	})
	return url.Values{"payload": {string(p)}}.Encode()
}

func TestForm_shortcut(t *testing.T) {
	t.Run("opens the form with a channel picker", func(t *testing.T) {
		env := newFormEnv(t, "")
		w := env.post(t, "/slack/interactions", shortcutBody(form.CallbackID, "U0CREATOR", "trig-sc"), time.Now())
		if w.Code != http.StatusOK || w.Body.Len() != 0 {
			t.Fatalf("response = %d %q, want an empty 200", w.Code, w.Body)
		}
		views := env.opened(t)
		if len(views) != 1 || views[0].TriggerID != "trig-sc" {
			t.Fatalf("views opened = %+v, want one with the shortcut's trigger_id", views)
		}
		m := decodeModal(t, views[0].View)
		if typ, _, ok := m.block(form.BlockChannel); !ok || typ != "conversations_select" {
			t.Errorf("channel block = %q %v, want a conversations_select", typ, ok)
		}
		if !strings.HasPrefix(m.PrivateMetadata, "v1|dm|U0CREATOR|") {
			t.Errorf("private_metadata = %q, want no channel", m.PrivateMetadata)
		}
	})
	t.Run("a person allowed nowhere sees the refusal in a modal", func(t *testing.T) {
		env := newFormEnv(t, "")
		env.post(t, "/slack/interactions", shortcutBody(form.CallbackID, "U0NOBODY", "trig-no"), time.Now())
		views := env.opened(t)
		if len(views) != 1 {
			t.Fatalf("views opened = %d, want the notice", len(views))
		}
		m := decodeModal(t, views[0].View)
		if m.CallbackID == form.CallbackID || len(m.Blocks) != 1 || m.Blocks[0].Text == nil ||
			!strings.Contains(m.Blocks[0].Text.Text, "Not allowed:") {
			t.Errorf("view = %s, want only the refusal", views[0].View)
		}
	})
	t.Run("another shortcut is not handled", func(t *testing.T) {
		env := newFormEnv(t, "")
		w := env.post(t, "/slack/interactions", shortcutBody("something_else", "U0CREATOR", "trig-other"), time.Now())
		if w.Code != http.StatusOK || len(env.rec.Calls()) != 0 {
			t.Errorf("response %d, calls %+v; want a 200 and no call", w.Code, env.rec.Calls())
		}
	})
}

// A valid submission closes the form and dispatches the Job the typed
// command dispatches, in the channel the command came from.
func TestForm_submissionRunsAsTheTypedCommand(t *testing.T) {
	env := newFormEnv(t, "")
	call := env.openView(t, "U0CREATOR")
	payload, err := env.rec.ViewSubmission(call.ViewID, "T1DC2JH3J", "U0CREATOR", map[string]string{
		form.BlockName: "orders-ws", form.BlockProject: devGroupID, form.BlockRegion: "VIRGINIA_USA",
		form.BlockTier: "SP10", form.BlockMaxTier: "SP50", form.BlockSampleSolar: "sample_solar",
	})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := env.submit(t, payload); code != http.StatusOK || body != "" {
		t.Fatalf("submission = %d %q, want an empty 200 (closes the form)", code, body)
	}
	env.slash(t, "create orders-ws --region VIRGINIA_USA --tier SP10 --max-tier SP50 --sample-solar --project dev", "U0CREATOR", "trig-typed")
	jobs := env.dispatch.Jobs()
	if len(jobs) != 2 {
		t.Fatalf("jobs = %d, want 2", len(jobs))
	}
	fromForm, typed := jobs[0], jobs[1]
	if fromForm.ID == "" || fromForm.Slack.ChannelID != "C0DEV" || fromForm.Slack.UserID != "U0CREATOR" {
		t.Errorf("form job = %+v, want an ID and the command's channel", fromForm)
	}
	ignore := cmpopts.IgnoreFields(provision.Job{}, "ID")
	ignoreTarget := cmpopts.IgnoreFields(provision.SlackTarget{}, "ResponseURL", "UserName")
	if diff := cmp.Diff(typed, fromForm, ignore, ignoreTarget); diff != "" {
		t.Errorf("the form's Job differs from the typed command's (-typed +form):\n%s", diff)
	}
	if !strings.Contains(env.logs.String(), `"action":"create"`) {
		t.Errorf("the submission's policy decision was not audited:\n%s", env.logs)
	}
}

func TestForm_shortcutSubmissionGoesToThePickedChannelOrADM(t *testing.T) {
	for _, tc := range []struct {
		name, picked, wantChannel string
		wantResponseURL           bool
	}{
		{"direct message", "", "U0CREATOR", false},
		{"picked channel", "C0PICKED", "C0PICKED", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newFormEnv(t, "")
			env.post(t, "/slack/interactions", shortcutBody(form.CallbackID, "U0CREATOR", "trig-sc"), time.Now())
			views := env.opened(t)
			if len(views) != 1 {
				t.Fatalf("views opened = %d", len(views))
			}
			values := map[string]string{form.BlockName: "clicks-ws", form.BlockProject: devGroupID, form.BlockRegion: "OHIO_USA"}
			if tc.picked != "" {
				values[form.BlockChannel] = tc.picked
			}
			payload, err := env.rec.ViewSubmission(views[0].ViewID, "T1DC2JH3J", "U0CREATOR", values)
			if err != nil {
				t.Fatal(err)
			}
			if code, body := env.submit(t, payload); code != http.StatusOK || body != "" {
				t.Fatalf("submission = %d %q", code, body)
			}
			jobs := env.dispatch.Jobs()
			if len(jobs) != 1 || jobs[0].Slack.ChannelID != tc.wantChannel || (jobs[0].Slack.ResponseURL != "") != tc.wantResponseURL {
				t.Fatalf("jobs = %+v, want one for %s", jobs, tc.wantChannel)
			}
			if j := jobs[0]; j.Action != provision.ActionCreate || j.Name != "clicks-ws" || j.Region != "OHIO_USA" || j.Tier != "SP30" {
				t.Errorf("job = %+v", j)
			}
		})
	}
}

// submissionWith returns a submission of the view opened by call, edited by
// edit (the payload as JSON), as Slack would sign and send it.
func submissionWith(t *testing.T, rec *slackrec.Server, call slackrec.Call, user string, values map[string]string, edit func(map[string]any)) []byte {
	t.Helper()
	payload, err := rec.ViewSubmission(call.ViewID, "T1DC2JH3J", user, values)
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return payload
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, _ := json.Marshal(m)
	return out
}

func setView(key string, v any) func(map[string]any) {
	return func(m map[string]any) { m["view"].(map[string]any)[key] = v }
}

// Every bad input is refused with nothing dispatched: as a whole (a notice
// in the form's place) or on its field (response_action errors).
func TestForm_badSubmissions(t *testing.T) {
	valid := map[string]string{form.BlockName: "orders-ws", form.BlockProject: devGroupID, form.BlockRegion: "VIRGINIA_USA"}
	with := func(k, v string) map[string]string {
		out := map[string]string{}
		for kk, vv := range valid {
			out[kk] = vv
		}
		out[k] = v
		return out
	}
	for _, tc := range []struct {
		name      string
		user      string
		values    map[string]string
		edit      func(map[string]any)
		wantField string // the field with the error; "" for a refusal of the whole form
		wantIn    string
	}{
		{name: "missing private_metadata", values: valid, edit: setView("private_metadata", ""), wantIn: "could not be checked"},
		{name: "tampered private_metadata", values: valid, edit: setView("private_metadata", "v1|C0DEV|U0CREATOR|0017"), wantIn: "could not be checked"},
		{name: "metadata of another channel's format", values: valid, edit: setView("private_metadata", "v2|C0DEV|U0CREATOR|1741771800"), wantIn: "could not be checked"},
		{name: "submitted by someone else", user: "U0OTHER", values: valid, wantIn: "opened for someone else"},
		{name: "a view we did not open", values: valid, edit: setView("callback_id", "other_form"), wantIn: "could not be checked"},
		{name: "forged region", values: with(form.BlockRegion, "MARS_BASE"), wantField: form.BlockRegion, wantIn: "not a region the form offers"},
		{name: "forged project", values: with(form.BlockProject, prodGroupID), wantField: form.BlockProject, wantIn: "may not create"},
		{name: "forged tier", values: with(form.BlockTier, "SP99"), wantField: form.BlockTier, wantIn: "not a tier"},
		{name: "bad name, with the slash command's suggestion", values: with(form.BlockName, "orders_ws"), wantField: form.BlockName, wantIn: "did you mean orders-ws?"},
		{name: "max tier below tier", values: with(form.BlockMaxTier, "SP5"), wantField: form.BlockMaxTier, wantIn: "must not be below"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newFormEnv(t, "")
			call := env.openView(t, "U0CREATOR")
			user := tc.user
			if user == "" {
				user = "U0CREATOR"
			}
			code, body := env.submit(t, submissionWith(t, env.rec, call, user, tc.values, tc.edit))
			checkRefused(t, code, body, tc.wantField, tc.wantIn)
			if n := len(env.dispatch.Jobs()); n != 0 {
				t.Errorf("%d jobs dispatched for a bad submission", n)
			}
		})
	}
}

// checkRefused checks a view_submission response: field errors on
// wantField, or (wantField "") a notice replacing the form; both containing
// wantIn.
func checkRefused(t *testing.T, code int, body, wantField, wantIn string) {
	t.Helper()
	var resp slack.ViewSubmissionResponse
	if err := json.Unmarshal([]byte(body), &resp); code != http.StatusOK || err != nil {
		t.Fatalf("response %d %q (%v), want 200 with a view_submission response", code, body, err)
	}
	if wantField != "" {
		if resp.ResponseAction != slack.RAErrors || len(resp.Errors) != 1 || !strings.Contains(resp.Errors[wantField], wantIn) {
			t.Errorf("response = %s, want an error on %s containing %q", body, wantField, wantIn)
		}
		return
	}
	if resp.ResponseAction != slack.RAUpdate || resp.View == nil || !strings.Contains(body, wantIn) {
		t.Errorf("response = %s, want the form replaced by a notice containing %q", body, wantIn)
	}
}

// The policy is asked again at submit time: a grant removed while the form
// was open refuses the submission, and nothing is dispatched.
func TestForm_policyChangedSinceTheFormOpened(t *testing.T) {
	rec := slackrec.New(t, "xoxb-test")
	before := newFormTestEnv(t, "", rec)
	if code, body := before.slash(t, "create", "U0CREATOR", "trig-1"); code != http.StatusOK || body != "" {
		t.Fatalf("/stream create = %d %q", code, body)
	}
	call := rec.Calls(slackrec.ViewsOpen)[0]
	values := map[string]string{form.BlockName: "orders-ws", form.BlockProject: devGroupID, form.BlockRegion: "VIRGINIA_USA"}

	// The same person, now with a grant on another project only.
	after := newTestEnvPolicy(t, `projects:
  dev: `+devGroupID+`
  other: `+prodGroupID+`
grants:
  - subjects: [user:U0CREATOR]
    projects: [other]
    role: GROUP_OWNER
`)
	code, body := after.submit(t, submissionWith(t, rec, call, "U0CREATOR", values, nil))
	checkRefused(t, code, body, form.BlockProject, "may not create")

	// And with no grant at all.
	none := newTestEnvPolicy(t, "projects:\n  dev: "+devGroupID+"\n")
	code, body = none.submit(t, submissionWith(t, rec, call, "U0CREATOR", values, nil))
	checkRefused(t, code, body, form.BlockProject, "may not create")
	if n := len(after.dispatch.Jobs()) + len(none.dispatch.Jobs()); n != 0 {
		t.Errorf("%d jobs dispatched", n)
	}
}

// newTestEnvPolicy is a handler (without views) on exactly policy.
func newTestEnvPolicy(t *testing.T, policy string) *testEnv {
	t.Helper()
	p, err := access.Load([]byte(policy))
	if err != nil {
		t.Fatal(err)
	}
	return newTestEnvConfig(t, Config{Policy: p})
}

func TestForm_handoffFailureKeepsTheFormOpenWithTheReason(t *testing.T) {
	env := newFormEnv(t, "")
	env.dispatch.dispatchFn = func(context.Context, provision.Job) error { return refusedErr{errors.New("lambda down")} }
	call := env.openView(t, "U0CREATOR")
	payload := submissionWith(t, env.rec, call, "U0CREATOR",
		map[string]string{form.BlockName: "orders-ws", form.BlockProject: devGroupID, form.BlockRegion: "VIRGINIA_USA"}, nil)
	code, body := env.submit(t, payload)
	checkRefused(t, code, body, "", "couldn't hand that off")
}

// SlackBot opens and updates views with the bot token of the moment, on a
// recording Slack that checks the token and the view.
func TestSlackBotViews(t *testing.T) {
	rec := slackrec.New(t, "xoxb-test")
	src := newFakeSecrets(testSecret)
	bot := NewSlackBot(src, slack.OptionAPIURL(rec.APIURL()))
	view := form.NoticeView("hello")
	resp, err := bot.OpenViewContext(t.Context(), "trig-1", view)
	if err != nil || resp.ID == "" {
		t.Fatalf("OpenViewContext = %+v, %v", resp, err)
	}
	if _, err := bot.UpdateViewContext(t.Context(), form.NoticeView("updated"), "", resp.Hash, resp.ID); err != nil {
		t.Fatalf("UpdateViewContext: %v", err)
	}
	if got, _ := rec.CurrentView(resp.ID); !strings.Contains(string(got), "updated") {
		t.Errorf("view after the update = %s", got)
	}

	// A rotated token is used at once; the recording Slack refuses the old one.
	src.mu.Lock()
	src.cached.BotToken = "xoxb-rotated"
	src.mu.Unlock()
	var se slack.SlackErrorResponse
	if _, err := bot.OpenViewContext(t.Context(), "trig-2", view); !errors.As(err, &se) || se.Err != "invalid_auth" {
		t.Errorf("open with the rotated token on a Slack that knows the old one = %v, want invalid_auth", err)
	}
	calls := rec.Calls(slackrec.ViewsOpen)
	if last := calls[len(calls)-1]; last.Token != "xoxb-rotated" {
		t.Errorf("token sent = %q, want the rotated one", last.Token)
	}

	src.mu.Lock()
	src.cached.BotToken = ""
	src.mu.Unlock()
	if _, err := bot.OpenViewContext(t.Context(), "trig-3", view); !errors.Is(err, errNoBotToken) {
		t.Errorf("open without a bot token = %v, want errNoBotToken", err)
	}
}

// refusedErr is a dispatch error that proves the Job did not reach the
// worker, as dispatch.RefusedError does.
type refusedErr struct{ error }

func (refusedErr) Refused() bool { return true }

// A form submitted on a protected project goes where a typed create goes
// (Handler.accept → Start): it is recorded pending_approval and the
// worker is asked to post the approval request, not to create. From the
// shortcut, a direct message (no channel picked) is refused on the
// picker: nobody but the requester would see the request there.
func TestForm_protectedProjectWaitsForApproval(t *testing.T) {
	env := newFormEnv(t, approvalPolicy+"\n")
	call := env.openView(t, requester)
	values := map[string]string{form.BlockName: "billing-ws", form.BlockProject: prodGroupID, form.BlockRegion: "VIRGINIA_USA"}
	if code, body := env.submit(t, submissionWith(t, env.rec, call, requester, values, nil)); code != http.StatusOK || body != "" {
		t.Fatalf("submission = %d %q, want an empty 200 (closes the form)", code, body)
	}
	jobs := env.dispatch.Jobs()
	if len(jobs) != 1 || jobs[0].Approval == nil || jobs[0].Approval.Step != provision.ApprovalRequest || jobs[0].Name != "billing-ws" {
		t.Fatalf("jobs = %+v, want one approval request for billing-ws", jobs)
	}
	if slices.Contains(jobs[0].Approval.Approvers, "<@"+requester+">") {
		t.Errorf("approvers %v name the requester, who cannot approve", jobs[0].Approval.Approvers)
	}
	op, err := env.h.state.Get(t.Context(), jobs[0].ID)
	if err != nil || op.Status != state.StatusPendingApproval || op.Requester != requester {
		t.Fatalf("record = %+v, %v; want the form's create pending approval", op, err)
	}

	env.post(t, "/slack/interactions", shortcutBody(form.CallbackID, requester, "trig-sc-prod"), time.Now())
	views := env.opened(t)
	values[form.BlockName] = "billing-2"
	code, body := env.submit(t, submissionWith(t, env.rec, views[len(views)-1], requester, values, nil))
	if code != http.StatusOK || !strings.Contains(body, `"response_action":"errors"`) || !strings.Contains(body, `"`+form.BlockChannel+`":"Project prod needs a second person's approval`) {
		t.Errorf("shortcut submission to a direct message = %d %s, want an error on the channel picker", code, body)
	}
	if n := len(env.dispatch.Jobs()); n != 1 {
		t.Errorf("%d Jobs, want no second one", n)
	}
}

// A policy limited to an Enterprise Grid organization (teams: [E…]) lets
// its people open and submit the form: the form's policy checks carry the
// enterprise_id as the slash command's do.
func TestForm_enterpriseGrid(t *testing.T) {
	env := newFormEnv(t, "teams: [E0ORG]\n")
	w := env.post(t, "/slack/commands", slashForm("create", "enterprise_id", "E0ORG", "trigger_id", "trig-grid"), time.Now())
	views := env.opened(t)
	if w.Code != http.StatusOK || w.Body.Len() != 0 || len(views) != 1 {
		t.Fatalf("/stream create from the organization = %d %q with %d views, want the form", w.Code, w.Body.String(), len(views))
	}
	values := map[string]string{form.BlockName: "orders-ws", form.BlockProject: devGroupID, form.BlockRegion: "VIRGINIA_USA"}
	payload := submissionWith(t, env.rec, views[0], "U0CREATOR", values, func(m map[string]any) {
		m["enterprise"] = map[string]any{"id": "E0ORG", "name": "Org"}
	})
	if code, body := env.submit(t, payload); code != http.StatusOK || body != "" || len(env.dispatch.Jobs()) != 1 {
		t.Errorf("submission from the organization = %d %q with %d Jobs, want it accepted", code, body, len(env.dispatch.Jobs()))
	}
}
