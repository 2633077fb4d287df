package slackbot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/button"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/provision"
)

const clickTrigger = "5551234.98765.cafe"

// deleteConfirm is the Delete button the worker rendered for U0CREATOR's
// delete of orders-ws on dev, issued a minute before fixedNow.
func deleteConfirm() button.Value {
	return button.Value{Op: command.Delete, Step: button.StepConfirm, GroupID: devGroupID, Workspace: "orders-ws",
		Requester: "U0CREATOR", OpID: "op-1", IssuedAt: fixedNow.Add(-time.Minute)}
}

// clickOn returns the click on v by user, as Slack would post it.
func clickOn(v button.Value, user string) Click {
	enc, _ := v.Encode()
	if enc == "" {
		enc = "not-a-value"
	}
	return Click{TeamID: "T1DC2JH3J", ChannelID: "C0DEV", UserID: user, UserName: "roadrunner",
		ActionID: v.ActionID(), BlockID: v.BlockID(0), Value: enc, MessageTS: "1700000000.000001",
		ResponseURL: "https://hooks.slack.com/actions/T1DC2JH3J/1/secret-part", TriggerID: clickTrigger}
}

func (env *testEnv) post(t *testing.T, path, body string, at time.Time) *httptest.ResponseRecorder {
	t.Helper()
	r := signedRequest(body, testSecret, at)
	r.URL.Path = path
	w := httptest.NewRecorder()
	env.h.ServeHTTP(w, r)
	return w
}

func TestInteraction_confirmDispatchesOneJob(t *testing.T) {
	env := newTestEnv(t, "", nil)
	w := env.post(t, "/slack/interactions", ClickBody(clickOn(deleteConfirm(), "U0CREATOR")), time.Now())
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("response = %d %q, want an empty 200", w.Code, w.Body)
	}
	jobs := env.dispatch.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("jobs = %d, want 1", len(jobs))
	}
	j := jobs[0]
	want := provision.Click{Step: "confirm", OpID: "op-1", Requester: "U0CREATOR", MessageTS: "1700000000.000001", IssuedAt: fixedNow.Add(-time.Minute)}
	if j.Action != provision.ActionDelete || j.GroupID != devGroupID || j.ProjectAlias != "dev" || j.Name != "orders-ws" ||
		j.ID != clickTrigger || j.Click == nil || *j.Click != want || j.Slack.UserID != "U0CREATOR" || j.Slack.ChannelID != "C0DEV" ||
		!strings.HasPrefix(j.Slack.ResponseURL, "https://hooks.slack.com/actions/") {
		t.Errorf("job = %+v (click %+v), want the confirmed delete of orders-ws by its requester", j, j.Click)
	}
	if !strings.Contains(env.logs.String(), `"action":"delete"`) {
		t.Errorf("the click's policy decision was not audited:\n%s", env.logs)
	}
}

// Every refused click changes nothing: no Job but a private notice, and
// Slack gets its 200.
func TestInteraction_refusals(t *testing.T) {
	other := deleteConfirm()
	other.GroupID = prodGroupID
	future := deleteConfirm()
	future.IssuedAt = fixedNow.Add(time.Hour)
	const otherOwner = "  - subjects: [user:U0OTHER]\n    projects: [dev]\n    role: GROUP_OWNER\n"
	for _, tc := range []struct {
		name   string
		click  Click
		want   string
		policy string
	}{
		{"someone else, allowed on the project, clicks", clickOn(deleteConfirm(), "U0OTHER"), "Only the person who asked can confirm this", otherOwner},
		{"someone else clicks Cancel", func() Click {
			v := deleteConfirm()
			v.Step = button.StepCancel
			return clickOn(v, "U0OTHER")
		}(), "Only the person who asked can cancel this", otherOwner},
		{"the policy no longer allows the clicker", func() Click {
			v := deleteConfirm()
			v.Requester = "U0READER"
			return clickOn(v, "U0READER")
		}(), "delete on project dev needs one of", ""}, // a Denial, not a Notice
		{"issued in the future", clickOn(future, "U0CREATOR"), "could not be read", ""},
		{"value does not parse", func() Click { c := clickOn(deleteConfirm(), "U0CREATOR"); c.Value = "1;delete;nope"; return c }(), "could not be read", ""},
		{"value names another project than its message", func() Click {
			c := clickOn(other, "U0CREATOR")
			c.BlockID = deleteConfirm().BlockID(0)
			return c
		}(), "another project", ""},
		{"action_id of another button", func() Click {
			c := clickOn(deleteConfirm(), "U0CREATOR")
			c.ActionID = button.ActionID(command.Delete, button.StepCancel)
			return c
		}(), "does not match", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, tc.policy, nil)
			w := env.post(t, "/slack/interactions", ClickBody(tc.click), time.Now())
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200", w.Code)
			}
			jobs := env.dispatch.Jobs()
			if len(jobs) != 1 || jobs[0].Action != provision.ActionNotice || jobs[0].Click != nil {
				t.Fatalf("jobs = %+v, want only a notice", jobs)
			}
			if said := jobs[0].Notice + jobs[0].Denial; !strings.Contains(said, tc.want) || jobs[0].Slack.UserID != tc.click.UserID {
				t.Errorf("notice %q, denial %q for %s, want it to say %q to the clicker", jobs[0].Notice, jobs[0].Denial, jobs[0].Slack.UserID, tc.want)
			}
			if !strings.Contains(env.logs.String(), `"msg":"click refused"`) || strings.Contains(env.logs.String(), "secret-part") {
				t.Errorf("want one 'click refused' line and no response_url in the logs:\n%s", env.logs)
			}
		})
	}
}

// A confirmation clicked after command.ConfirmFor is refused: the worker
// gets no confirm or cancel but ClickExpired, which acts on nothing in
// Atlas and retires the message (provision's TestConfirmation_expired).
// Someone else's click on it is refused as before: not theirs.
func TestInteraction_expired(t *testing.T) {
	for _, step := range []button.Step{button.StepConfirm, button.StepCancel} {
		t.Run(string(step), func(t *testing.T) {
			v := deleteConfirm()
			v.Step = step
			v.IssuedAt = fixedNow.Add(-command.ConfirmFor - time.Second)
			env := newTestEnv(t, "", nil)
			if w := env.post(t, "/slack/interactions", ClickBody(clickOn(v, "U0CREATOR")), time.Now()); w.Code != http.StatusOK || w.Body.Len() != 0 {
				t.Fatalf("response = %d %q, want an empty 200", w.Code, w.Body)
			}
			jobs := env.dispatch.Jobs()
			if len(jobs) != 1 || jobs[0].Click == nil || jobs[0].Click.Step != provision.ClickExpired ||
				jobs[0].Action != provision.ActionDelete || jobs[0].Click.OpID != "op-1" || jobs[0].Click.MessageTS != "1700000000.000001" {
				t.Fatalf("jobs = %+v, want one delete Job whose click is expired", jobs)
			}
			if !strings.Contains(env.logs.String(), `"reason":"expired"`) {
				t.Errorf("no 'click refused' line for the expiry:\n%s", env.logs)
			}
		})
	}
	v := deleteConfirm()
	v.IssuedAt = fixedNow.Add(-command.ConfirmFor - time.Second)
	env := newTestEnv(t, "  - subjects: [user:U0OTHER]\n    projects: [dev]\n    role: GROUP_OWNER\n", nil)
	env.post(t, "/slack/interactions", ClickBody(clickOn(v, "U0OTHER")), time.Now())
	if jobs := env.dispatch.Jobs(); len(jobs) != 1 || jobs[0].Action != provision.ActionNotice {
		t.Errorf("someone else's click on an expired confirmation: jobs = %+v, want only a notice", jobs)
	}
}

// Payloads the edge does not handle: 200, nothing done, one log line.
func TestInteraction_ignored(t *testing.T) {
	unknown := clickOn(deleteConfirm(), "U0CREATOR")
	unknown.ActionID = "someone-elses-button"
	for _, tc := range []struct{ name, body string }{
		{"no payload", "foo=bar"},
		{"malformed payload", "payload=%7Bnot+json"},
		{"bad escape", "payload=%zz"},
		{"unknown action_id", ClickBody(unknown)},
		{"unhandled type", "payload=" + `%7B%22type%22%3A%22message_action%22%7D`},
		{"no actions", "payload=" + `%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%5B%5D%7D`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, "", nil)
			w := env.post(t, "/slack/interactions", tc.body, time.Now())
			if w.Code != http.StatusOK || w.Body.Len() != 0 {
				t.Errorf("response = %d %q, want an empty 200", w.Code, w.Body)
			}
			if n := len(env.dispatch.Jobs()); n != 0 {
				t.Errorf("jobs = %d, want none", n)
			}
			if n := strings.Count(env.logs.String(), "\n"); n != 1 {
				t.Errorf("log lines = %d, want 1:\n%s", n, env.logs)
			}
		})
	}
}

func TestInteraction_signature(t *testing.T) {
	env := newTestEnv(t, "", nil)
	body := ClickBody(clickOn(deleteConfirm(), "U0CREATOR"))
	if w := env.post(t, "/slack/interactions", body, time.Now().Add(-6*time.Minute)); w.Code != http.StatusUnauthorized {
		t.Errorf("stale timestamp: status %d, want 401", w.Code)
	}
	r := signedRequest(body, "wrong-secret", time.Now())
	r.URL.Path = "/slack/interactions"
	w := httptest.NewRecorder()
	env.h.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("wrong secret: status %d, want 401", w.Code)
	}
	r = signedRequest(body, testSecret, time.Now())
	r.URL.Path = "/slack/interactions"
	r.Header.Del("X-Slack-Signature")
	w = httptest.NewRecorder()
	env.h.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("no signature: status %d, want 401", w.Code)
	}
	// The same 64 KiB limit as slash commands, correctly signed or not.
	if w := env.post(t, "/slack/interactions", body+"&pad="+strings.Repeat("x", MaxBodyBytes), time.Now()); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("body over 64 KiB: status %d, want 413", w.Code)
	}
	if n := len(env.dispatch.Jobs()); n != 0 {
		t.Errorf("jobs = %d, want none", n)
	}
}

// A Describe button on a list row starts a describe as the clicker.
func TestInteraction_askStartsTheOperation(t *testing.T) {
	env := newTestEnv(t, "", nil)
	v := button.Value{Op: command.Describe, Step: button.StepAsk, GroupID: prodGroupID, Workspace: "orders-ws",
		Requester: "U0CREATOR", OpID: "list-1", IssuedAt: fixedNow.Add(-time.Hour)}
	w := env.post(t, "/slack/interactions", ClickBody(clickOn(v, "U0READER")), time.Now())
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d", w.Code)
	}
	jobs := env.dispatch.Jobs()
	if len(jobs) != 1 || jobs[0].Action != provision.ActionDescribe || jobs[0].Slack.UserID != "U0READER" ||
		jobs[0].ProjectAlias != "prod" || jobs[0].Click != nil || len(jobs[0].Offers) != 0 {
		t.Errorf("jobs = %+v, want a describe of orders-ws on prod by U0READER, without Delete…", jobs)
	}
}

type formHandler struct{ got *slack.InteractionCallback }

func (f *formHandler) Interaction(_ context.Context, cb *slack.InteractionCallback) []byte {
	f.got = cb
	return []byte(`{"response_action":"clear"}`)
}

// The modal form plugs in as an InteractionHandler for view_submission.
func TestInteraction_pluggedHandler(t *testing.T) {
	env := newTestEnv(t, "", nil)
	f := &formHandler{}
	env.h.interactions = map[slack.InteractionType]InteractionHandler{slack.InteractionTypeViewSubmission: f}
	w := env.post(t, "/slack/interactions", "payload="+`%7B%22type%22%3A%22view_submission%22%7D`, time.Now())
	if w.Code != http.StatusOK || w.Body.String() != `{"response_action":"clear"}` || f.got == nil {
		t.Errorf("response = %d %q, handler called %v; want the plugged handler's answer", w.Code, w.Body, f.got != nil)
	}
}

func TestHandleInteractionEvent(t *testing.T) {
	for _, b64 := range []bool{true, false} {
		env := newTestEnv(t, "", nil)
		ev := withBody(loadEvent(t), ClickBody(clickOn(deleteConfirm(), "U0CREATOR")), testSecret, b64)
		ev.RawPath, ev.RouteKey = "/slack/interactions", "POST /slack/interactions"
		resp, err := env.h.Handle(t.Context(), ev)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("Handle = %d, %v", resp.StatusCode, err)
		}
		if jobs := env.dispatch.Jobs(); len(jobs) != 1 || jobs[0].Click == nil {
			t.Errorf("base64=%v: jobs = %+v, want the confirmed delete", b64, jobs)
		}
	}
}

func BenchmarkClick(b *testing.B) {
	h, err := New(Config{
		Secrets:    newFakeSecrets(testSecret),
		Policy:     loadPolicy(b, ""),
		Dispatcher: discardDispatcher{},
		Logger:     slogDiscard,
	})
	if err != nil {
		b.Fatal(err)
	}
	v := deleteConfirm()
	v.IssuedAt = time.Now().Add(-time.Minute).Truncate(time.Second)
	ev := withBody(loadEvent(b), ClickBody(clickOn(v, "U0CREATOR")), testSecret, true)
	ev.RawPath, ev.RouteKey = "/slack/interactions", "POST /slack/interactions"
	ctx := context.Background()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		resp, err := h.Handle(ctx, ev)
		if err != nil || resp.StatusCode != http.StatusOK || resp.Body != "" {
			b.Fatalf("Handle = %d %q, %v", resp.StatusCode, resp.Body, err)
		}
	}
}

// FuzzInteraction feeds arbitrary (correctly signed) interactivity bodies
// to the handler: it always answers 200 without panicking, and a Job that
// does something (anything but a private notice) comes only from a button
// value the codec accepts, clicked by the requester when it is a
// confirmation, and marked ClickExpired exactly when it is past its time.
func FuzzInteraction(f *testing.F) {
	good, _ := deleteConfirm().Encode()
	f.Add("block_actions", "streambot.confirm.delete", deleteConfirm().BlockID(0), good, "U0CREATOR")
	f.Add("block_actions", "streambot.ask.describe", "streambot.x", "1;describe;ask;"+devGroupID+";a;;U0CREATOR;x;1;;;;", "U0READER")
	f.Add("view_submission", "", "", "", "")
	f.Add("block_actions", "other", "", "{", "U1")
	env := &fakeDispatcher{}
	h, err := New(Config{Secrets: newFakeSecrets(testSecret), Policy: loadPolicy(f, ""), Dispatcher: env,
		Now: func() time.Time { return fixedNow }, Logger: slogDiscard})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, typ, actionID, blockID, value, user string) {
		c := clickOn(deleteConfirm(), user)
		c.ActionID, c.BlockID, c.Value = actionID, blockID, value
		body := strings.Replace(ClickBody(c), "block_actions", url.QueryEscape(typ), 1)
		before := len(env.Jobs())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, signedRequestTo("/slack/interactions", body, testSecret, time.Now()))
		if w.Code != http.StatusOK {
			t.Fatalf("status %d for %q", w.Code, body)
		}
		for _, j := range env.Jobs()[before:] {
			if j.Action == provision.ActionNotice {
				continue
			}
			v, err := button.Parse(value, fixedNow)
			if err != nil || actionID != v.ActionID() || v.CheckBlock(blockID) != nil {
				t.Fatalf("job %+v from a value the codec refuses (%v)", j, err)
			}
			if j.Click != nil && (user != v.Requester || v.Expired(fixedNow) != (j.Click.Step == provision.ClickExpired)) {
				t.Fatalf("confirmation job %+v (click %+v) for a click by %q on %+v", j, j.Click, user, v)
			}
		}
	})
}

// signedRequestTo is signedRequest for path.
func signedRequestTo(path, body, secret string, at time.Time) *http.Request {
	r := signedRequest(body, secret, at)
	r.URL.Path = path
	return r
}
