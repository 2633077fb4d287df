package form_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/form"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/pkg/atlas"
)

func textValue(v string) slack.BlockAction {
	return slack.BlockAction{Type: "plain_text_input", Value: v}
}

func selected(v string) slack.BlockAction {
	a := slack.BlockAction{Type: "static_select"}
	if v != "" {
		a.SelectedOption = slack.OptionBlockObject{Text: plainText(v), Value: v}
	}
	return a
}

func checked(vs ...string) slack.BlockAction {
	a := slack.BlockAction{Type: "checkboxes", SelectedOptions: []slack.OptionBlockObject{}}
	for _, v := range vs {
		a.SelectedOptions = append(a.SelectedOptions, slack.OptionBlockObject{Text: plainText(v), Value: v})
	}
	return a
}

func conversation(c string) slack.BlockAction {
	return slack.BlockAction{Type: "conversations_select", SelectedConversation: c}
}

func plainText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// submission is the view_submission of a form opened from o with these
// values (block_id → the value of its action, whose action_id is the same).
func submission(o form.Origin, values map[string]slack.BlockAction) slack.InteractionCallback {
	state := map[string]map[string]slack.BlockAction{}
	for id, v := range values {
		state[id] = map[string]slack.BlockAction{id: v}
	}
	cb := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission}
	cb.User.ID, cb.Team.ID = o.User, "T0123ABCD"
	cb.View = slack.View{ID: "V0123ABCDEF", CallbackID: form.CallbackID, PrivateMetadata: o.Metadata(), State: &slack.ViewState{Values: state}}
	return cb
}

// filled is a valid form: orders-ws in dev, VIRGINIA_USA, SP30.
func filled() map[string]slack.BlockAction {
	return map[string]slack.BlockAction{
		form.BlockName:        textValue("orders-ws"),
		form.BlockProject:     selected(dev.GroupID),
		form.BlockRegion:      selected("VIRGINIA_USA"),
		form.BlockTier:        selected("SP30"),
		form.BlockMaxTier:     selected(""),
		form.BlockSampleSolar: checked(),
	}
}

// with is filled with some values changed; a nil-Type action removes the
// block.
func with(changes map[string]slack.BlockAction) map[string]slack.BlockAction {
	v := filled()
	for id, a := range changes {
		if a.Type == "" {
			delete(v, id)
		} else {
			v[id] = a
		}
	}
	return v
}

// usageText is what the slash command says about text, without its usage
// line: the field error must read the same.
func usageText(t *testing.T, text string) string {
	t.Helper()
	_, err := command.Parse(text)
	var ue *command.UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("Parse(%q) = %v, want a usage error", text, err)
	}
	ue.Usage = ""
	return ue.Error()
}

var submitNow = opened.Add(2 * time.Minute)

func TestParseSubmissionFieldErrors(t *testing.T) {
	allowed := []form.Project{dev, prod}
	tests := []struct {
		name    string
		values  map[string]slack.BlockAction
		allowed []form.Project
		want    map[string]string
	}{
		{"no name", with(map[string]slack.BlockAction{form.BlockName: {}}), allowed,
			map[string]string{"name": "Give the workspace a name."}},
		{"blank name", with(map[string]slack.BlockAction{form.BlockName: textValue(" \t")}), allowed,
			map[string]string{"name": "Give the workspace a name."}},
		{"name with an underscore", with(map[string]slack.BlockAction{form.BlockName: textValue("orders_ws")}), allowed,
			map[string]string{"name": `workspace name "orders_ws": a workspace name uses only ASCII letters, digits and hyphens; did you mean orders-ws?`}},
		{"a mention for a name", with(map[string]slack.BlockAction{form.BlockName: textValue("<!channel>")}), allowed,
			map[string]string{"name": `workspace name "&lt;!channel&gt;": that is a Slack special mention such as @channel; a workspace name is plain ASCII letters, digits and hyphens`}},
		{"no project", with(map[string]slack.BlockAction{form.BlockProject: selected("")}), allowed,
			map[string]string{"project": "Choose a project."}},
		{"forged project", with(map[string]slack.BlockAction{form.BlockProject: selected(byID.GroupID)}), allowed,
			map[string]string{"project": "You may not create workspaces in that project; choose one from the list."}},
		{"project no longer allowed", filled(), []form.Project{prod},
			map[string]string{"project": "You may not create workspaces in that project; choose one from the list."}},
		{"no region", with(map[string]slack.BlockAction{form.BlockRegion: {}}), allowed,
			map[string]string{"region": "Choose a region."}},
		{"forged region", with(map[string]slack.BlockAction{form.BlockRegion: selected("MARS_1")}), allowed,
			map[string]string{"region": "That is not a region the form offers; choose one from the list."}},
		{"a cloud code the form does not send", with(map[string]slack.BlockAction{form.BlockRegion: selected("us-east-1")}), allowed,
			map[string]string{"region": "That is not a region the form offers; choose one from the list."}},
		{"forged tier", with(map[string]slack.BlockAction{form.BlockTier: selected("SP3000")}), allowed,
			map[string]string{"tier": "That is not a tier the form offers; choose one from the list."}},
		{"no tier", with(map[string]slack.BlockAction{form.BlockTier: selected("")}), allowed,
			map[string]string{"tier": "Choose a tier."}},
		{"forged max tier", with(map[string]slack.BlockAction{form.BlockMaxTier: selected("sp50")}), allowed,
			map[string]string{"max_tier": "That is not a tier the form offers; choose one from the list."}},
		{"max tier below tier", with(map[string]slack.BlockAction{form.BlockMaxTier: selected("SP10")}), allowed,
			map[string]string{"max_tier": "The max tier must not be below the tier SP30."}},
		{"forged checkbox", with(map[string]slack.BlockAction{form.BlockSampleSolar: checked("delete_everything")}), allowed,
			map[string]string{"sample_solar": "That is not a choice the form offers."}},
		{"checkbox twice", with(map[string]slack.BlockAction{form.BlockSampleSolar: checked("sample_solar", "sample_solar")}), allowed,
			map[string]string{"sample_solar": "That is not a choice the form offers."}},
		{"a select where the name was", with(map[string]slack.BlockAction{form.BlockName: selected("orders-ws")}), allowed,
			map[string]string{"name": "This field's value could not be read; choose it again."}},
		{"everything wrong", map[string]slack.BlockAction{form.BlockName: textValue("a.b"), form.BlockMaxTier: selected("SP2")}, nil,
			map[string]string{
				"name":    `workspace name "a.b": a workspace name uses only ASCII letters, digits and hyphens; did you mean a-b?`,
				"project": "Choose a project.", "region": "Choose a region.", "tier": "Choose a tier.",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sub, errs, err := form.ParseSubmission(submission(origin, tc.values), tc.allowed, submitNow)
			if err != nil {
				t.Fatalf("ParseSubmission: %v, want field errors", err)
			}
			if diff := cmp.Diff(tc.want, errs); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
			if sub != (form.Submission{}) {
				t.Errorf("ParseSubmission returned %+v with field errors", sub)
			}
		})
	}
}

// TestFieldErrorsReadLikeTheCommand checks the promise behind the name
// field's texts: the slash command says the same about the same name.
func TestFieldErrorsReadLikeTheCommand(t *testing.T) {
	for _, name := range []string{"orders_ws", "orders.ws", "orders ws", "x!", strings.Repeat("a", 65), "dépôt"} {
		_, errs, err := form.ParseSubmission(submission(origin, with(map[string]slack.BlockAction{form.BlockName: textValue(name)})), []form.Project{dev}, submitNow)
		if err != nil {
			t.Fatal(err)
		}
		want := usageText(t, "create '"+name+"'")
		if errs[form.BlockName] != want {
			t.Errorf("name %q: field error %q, the command says %q", name, errs[form.BlockName], want)
		}
	}
}

func TestParseSubmissionAccepts(t *testing.T) {
	tests := []struct {
		name   string
		origin form.Origin
		values map[string]slack.BlockAction
		urls   []slack.ViewSubmissionCallbackResponseURL
		want   form.Submission
		text   string // the command's text
	}{
		{
			name: "the defaults", origin: origin, values: filled(),
			want: form.Submission{Project: dev, Origin: origin, Channel: origin.Channel},
			text: "create orders-ws --region VIRGINIA_USA --tier SP30 --project " + dev.GroupID,
		},
		{
			name: "everything set", origin: origin,
			values: with(map[string]slack.BlockAction{
				form.BlockName: textValue("  orders\u2011eu\u200b "), form.BlockProject: selected(prod.GroupID),
				form.BlockRegion: selected("westeurope"), form.BlockTier: selected("SP10"),
				form.BlockMaxTier: selected("SP50"), form.BlockSampleSolar: checked("sample_solar"),
			}),
			want: form.Submission{Project: prod, Origin: origin, Channel: origin.Channel},
			text: "create orders-eu --region westeurope --tier SP10 --max-tier SP50 --sample-solar --project " + prod.GroupID,
		},
		{
			name: "shortcut, a direct message", origin: shortcut,
			values: with(map[string]slack.BlockAction{form.BlockChannel: conversation("")}),
			want:   form.Submission{Project: dev, Origin: shortcut},
			text:   "create orders-ws --region VIRGINIA_USA --tier SP30 --project " + dev.GroupID,
		},
		{
			name: "shortcut, a channel", origin: shortcut,
			values: with(map[string]slack.BlockAction{form.BlockChannel: conversation("C0999ZZZZ")}),
			urls: []slack.ViewSubmissionCallbackResponseURL{
				{BlockID: "channel", ActionID: "channel", ChannelID: "C0999ZZZZ", ResponseURL: "https://hooks.slack.com/app/T0/1/secret"},
			},
			want: form.Submission{Project: dev, Origin: shortcut, Channel: "C0999ZZZZ", ResponseURL: "https://hooks.slack.com/app/T0/1/secret"},
			text: "create orders-ws --region VIRGINIA_USA --tier SP30 --project " + dev.GroupID,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cb := submission(tc.origin, tc.values)
			cb.ResponseURLs = tc.urls
			sub, errs, err := form.ParseSubmission(cb, []form.Project{dev, prod}, submitNow)
			if err != nil || errs != nil {
				t.Fatalf("ParseSubmission = %v, %v; want a submission", errs, err)
			}
			if got := sub.Command.String(); got != tc.text {
				t.Errorf("command = %q, want %q", got, tc.text)
			}
			again, err := command.Parse(tc.text)
			if err != nil || again != sub.Command {
				t.Errorf("Parse(%q) = %+v, %v; the form gave %+v", tc.text, again, err, sub.Command)
			}
			tc.want.Command, tc.want.TeamID, tc.want.ViewID = sub.Command, "T0123ABCD", "V0123ABCDEF"
			if diff := cmp.Diff(tc.want, sub); diff != "" {
				t.Errorf("submission (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDestinationAndLog(t *testing.T) {
	sub := form.Submission{Origin: shortcut, ResponseURL: "https://hooks.slack.com/secret-part"}
	if ch, dm := sub.Destination(); ch != shortcut.User || !dm {
		t.Errorf("Destination() = %q, %v; want the user's DM", ch, dm)
	}
	sub.Channel = "C0999ZZZZ"
	if ch, dm := sub.Destination(); ch != "C0999ZZZZ" || dm {
		t.Errorf("Destination() = %q, %v; want the channel", ch, dm)
	}
	var buf strings.Builder
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("form submitted", "submission", sub)
	if strings.Contains(buf.String(), "secret-part") || !strings.Contains(buf.String(), "C0999ZZZZ") {
		t.Errorf("log line %s: want the channel and no response_url", buf.String())
	}
}

func TestParseSubmissionRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(cb *slack.InteractionCallback)
		want   error
	}{
		{"a block action", func(cb *slack.InteractionCallback) { cb.Type = slack.InteractionTypeBlockActions }, form.ErrNotSubmission},
		{"a view we did not open", func(cb *slack.InteractionCallback) { cb.View.CallbackID = "someone_elses" }, form.ErrUnknownView},
		{"no metadata", func(cb *slack.InteractionCallback) { cb.View.PrivateMetadata = "" }, form.ErrBadMetadata},
		{"tampered channel", func(cb *slack.InteractionCallback) {
			cb.View.PrivateMetadata = strings.Replace(cb.View.PrivateMetadata, "C0123ABCD", "c0123abcd", 1)
		}, form.ErrBadMetadata},
		{"tampered version", func(cb *slack.InteractionCallback) { cb.View.PrivateMetadata = "v2" + cb.View.PrivateMetadata[2:] }, form.ErrBadMetadata},
		{"another user", func(cb *slack.InteractionCallback) { cb.User.ID = "U0MALLORY" }, form.ErrWrongUser},
		{"metadata for another user", func(cb *slack.InteractionCallback) {
			cb.View.PrivateMetadata = form.Origin{Channel: "C0123ABCD", User: "U0MALLORY", Issued: opened}.Metadata()
		}, form.ErrWrongUser},
		{"opened in the future", func(cb *slack.InteractionCallback) {
			cb.View.PrivateMetadata = form.Origin{Channel: "C0123ABCD", User: origin.User, Issued: submitNow.Add(2 * time.Minute)}.Metadata()
		}, form.ErrBadMetadata},
		{"expired", func(cb *slack.InteractionCallback) {
			cb.View.PrivateMetadata = form.Origin{Channel: "C0123ABCD", User: origin.User, Issued: submitNow.Add(-form.MaxAge - time.Second)}.Metadata()
		}, form.ErrExpired},
		{"a block the form lacks", func(cb *slack.InteractionCallback) {
			cb.View.State.Values["delete"] = map[string]slack.BlockAction{"delete": textValue("yes")}
		}, form.ErrBadState},
		{"a channel for a form from a channel", func(cb *slack.InteractionCallback) {
			cb.View.State.Values[form.BlockChannel] = map[string]slack.BlockAction{form.BlockChannel: conversation("C0999ZZZZ")}
		}, form.ErrBadState},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cb := submission(origin, filled())
			tc.change(&cb)
			sub, errs, err := form.ParseSubmission(cb, []form.Project{dev}, submitNow)
			if !errors.Is(err, tc.want) {
				t.Errorf("ParseSubmission = %v, want %v", err, tc.want)
			}
			if errs != nil || sub != (form.Submission{}) {
				t.Errorf("a refused submission came with %+v, %v", sub, errs)
			}
			resp := form.RefusedResponse(err)
			if resp.ResponseAction != slack.RAUpdate || resp.View == nil || len(resp.View.Blocks.BlockSet) != 1 {
				t.Errorf("RefusedResponse(%v) = %+v, want an update to a notice", err, resp)
			}
		})
	}
	// just within the age limit is fine
	cb := submission(form.Origin{Channel: "C0123ABCD", User: origin.User, Issued: submitNow.Add(-form.MaxAge)}, filled())
	if _, _, err := form.ParseSubmission(cb, []form.Project{dev}, submitNow); err != nil {
		t.Errorf("a form exactly MaxAge old: %v", err)
	}
}

func TestResponsesJSON(t *testing.T) {
	got, err := json.Marshal(form.ErrorsResponse(map[string]string{"name": "Give the workspace a name."}))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"response_action":"errors","errors":{"name":"Give the workspace a name."}}`; string(got) != want {
		t.Errorf("ErrorsResponse JSON = %s, want %s", got, want)
	}
	for err, want := range map[error]string{
		form.ErrExpired:     "more than an hour ago",
		form.ErrWrongUser:   "someone else",
		form.ErrBadMetadata: "could not be checked",
	} {
		resp := form.RefusedResponse(err)
		raw, _ := json.Marshal(resp)
		if !strings.Contains(string(raw), want) || !strings.Contains(string(raw), `"response_action":"update"`) {
			t.Errorf("RefusedResponse(%v) = %s, want an update saying %q", err, raw, want)
		}
	}
}

// TestSampleSubmission reads the sample event ../../events/view-submission.json
// — a view_submission as Slack sends it for the create form, inside the
// event API Gateway hands the Slack function — the way the Slack edge
// does: form-encoded as payload=…, signed, verified with slack-go's
// verifier and parsed with its InteractionCallbackParse.
func TestSampleSubmission(t *testing.T) {
	raw, err := os.ReadFile("../../events/view-submission.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Body string `json:"body"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	decoded, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := string(decoded)
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, "v0:"+ts+":"+body)
	req := httptest.NewRequest(http.MethodPost, "/slack/interactions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))

	sv, err := slack.NewSecretsVerifier(req.Header, secret)
	if err != nil {
		t.Fatal(err)
	}
	sv.Write([]byte(body))
	if err := sv.Ensure(); err != nil {
		t.Fatalf("signature: %v", err)
	}
	cb, err := slack.InteractionCallbackParse(req)
	if err != nil {
		t.Fatalf("InteractionCallbackParse: %v", err)
	}

	sub, errs, err := form.ParseSubmission(cb, []form.Project{dev, prod}, submitNow)
	if err != nil || errs != nil {
		t.Fatalf("ParseSubmission(sample) = %v, %v", errs, err)
	}
	want := command.Command{Name: command.Create, Workspace: "orders-ws", Provider: atlas.ProviderAWS, Region: "VIRGINIA_USA",
		Tier: atlas.TierSP10, MaxTier: atlas.TierSP50, SampleSolar: true, Project: dev.GroupID}
	if diff := cmp.Diff(want, sub.Command); diff != "" {
		t.Errorf("sample command (-want +got):\n%s", diff)
	}
	if ch, dm := sub.Destination(); ch != "C0123ABCD" || dm || sub.Project != dev || sub.ViewID != "V0123ABCDEF" {
		t.Errorf("sample submission %+v", sub)
	}

	// The sample's view is the form BuildCreateView makes, so it stays true.
	v := build(t, form.CreateForm{Origin: origin, Projects: []form.Project{dev, prod}, DefaultProject: dev.GroupID, DefaultRegion: "us-east-1"})
	gotBlocks, _ := json.Marshal(cb.View.Blocks)
	wantBlocks, _ := json.Marshal(v.Blocks)
	if string(gotBlocks) != string(wantBlocks) {
		t.Errorf("the sample's blocks are not BuildCreateView's any more; regenerate ../../events/view-submission.json")
	}
	if msgs := slackrec.ValidateView(viewJSON(t, v)); len(msgs) != 0 {
		t.Errorf("sample view: %q", msgs)
	}
}

func TestRenderErrorsAsText(t *testing.T) {
	got := form.RenderErrorsAsText(map[string]string{"tier": "Choose a tier.", "zz": "?", "name": "Give the workspace a name.", "aa": "!"})
	want := "• name: Give the workspace a name.\n• tier: Choose a tier.\n• aa: !\n• zz: ?\n"
	if got != want {
		t.Errorf("RenderErrorsAsText = %q, want %q", got, want)
	}
	if got := form.RenderErrorsAsText(nil); got != "" {
		t.Errorf("RenderErrorsAsText(nil) = %q", got)
	}
}
