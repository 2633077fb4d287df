package slackrec_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/reply/slackrec"
)

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// modal is a valid view with one static select of n options.
func modal(n int) slack.ModalViewRequest {
	var opts []*slack.OptionBlockObject
	for i := 0; i < n; i++ {
		opts = append(opts, slack.NewOptionBlockObject(fmt.Sprint(i), plain(fmt.Sprint("option ", i)), nil))
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose"), "pick", opts...)
	return slack.ModalViewRequest{
		Type: slack.VTModal, Title: plain("Pick one"), Submit: plain("Go"), CallbackID: "pick",
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewInputBlock("pick", plain("Option"), nil, sel)}},
	}
}

// slackErr returns err's Slack error code and response_metadata messages.
func slackErr(t *testing.T, err error) (string, []string) {
	t.Helper()
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T), want a slack.SlackErrorResponse", err, err)
	}
	return se.Err, se.ResponseMetadata.Messages
}

func TestViewsOpenUpdatePush(t *testing.T) {
	rec := slackrec.New(t, "xoxb-ok")
	api := slack.New("xoxb-ok", slack.OptionAPIURL(rec.APIURL()))
	ctx := context.Background()

	opened, err := api.OpenViewContext(ctx, "T1.trigger", modal(3))
	if err != nil {
		t.Fatalf("views.open: %v", err)
	}
	if opened.ID == "" || opened.Hash == "" || opened.CallbackID != "pick" || len(opened.Blocks.BlockSet) != 1 {
		t.Fatalf("views.open answered view %+v; want an ID, a hash and the view sent", opened.View)
	}
	if _, err := api.OpenViewContext(ctx, "T1.trigger", modal(3)); err == nil {
		t.Fatal("second views.open with the same trigger_id succeeded")
	} else if code, _ := slackErr(t, err); code != "exchanged_trigger_id" {
		t.Errorf("second views.open = %q, want exchanged_trigger_id", code)
	}

	updated, err := api.UpdateViewContext(ctx, modal(5), "", opened.Hash, opened.ID)
	if err != nil {
		t.Fatalf("views.update: %v", err)
	}
	if updated.ID != opened.ID || updated.Hash == opened.Hash {
		t.Errorf("views.update answered id %q hash %q; want id %q and a new hash", updated.ID, updated.Hash, opened.ID)
	}
	if _, err := api.UpdateViewContext(ctx, modal(5), "", opened.Hash, opened.ID); err == nil {
		t.Error("views.update with a stale hash succeeded")
	} else if code, _ := slackErr(t, err); code != "hash_conflict" {
		t.Errorf("stale views.update = %q, want hash_conflict", code)
	}
	if _, err := api.UpdateViewContext(ctx, modal(5), "", "", "V404"); err == nil {
		t.Error("views.update of an unknown view succeeded")
	} else if code, _ := slackErr(t, err); code != "not_found" {
		t.Errorf("unknown views.update = %q, want not_found", code)
	}
	current, ok := rec.CurrentView(opened.ID)
	var cur slack.ModalViewRequest
	if !ok || json.Unmarshal(current, &cur) != nil || len(cur.Blocks.BlockSet) != 1 {
		t.Fatalf("CurrentView(%q) = %s, %v; want the updated view", opened.ID, current, ok)
	}
	if n := len(cur.Blocks.BlockSet[0].(*slack.InputBlock).Element.(*slack.SelectBlockElement).Options); n != 5 {
		t.Errorf("current view has %d options, want the update's 5", n)
	}

	pushed, err := api.PushViewContext(ctx, "T2.trigger", modal(1))
	if err != nil {
		t.Fatalf("views.push: %v", err)
	}
	if pushed.ID == opened.ID {
		t.Errorf("views.push reused view ID %q", pushed.ID)
	}

	type seen struct{ Method, TriggerID, ViewID, Hash string }
	var got []seen
	for _, c := range rec.Delivered() {
		got = append(got, seen{c.Method, c.TriggerID, c.ViewID, c.Hash})
		if len(c.View) == 0 || c.Token != "xoxb-ok" {
			t.Errorf("%s recorded without its view or token: %+v", c.Method, c)
		}
	}
	want := []seen{
		{slackrec.ViewsOpen, "T1.trigger", opened.ID, opened.Hash},
		{slackrec.ViewsUpdate, "", opened.ID, updated.Hash},
		{slackrec.ViewsPush, "T2.trigger", pushed.ID, pushed.Hash},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delivered view calls (-want +got):\n%s", diff)
	}
	if n := len(rec.Calls(slackrec.ViewsOpen, slackrec.ViewsUpdate, slackrec.ViewsPush)); n != 6 {
		t.Errorf("recorded view calls = %d, want 6 (3 refused)", n)
	}
}

func TestViewsOpenFaultsAndAuth(t *testing.T) {
	rec := slackrec.New(t, "xoxb-ok")
	rec.Inject(slackrec.ViewsOpen, slackrec.Fault{Error: "expired_trigger_id"})
	api := slack.New("xoxb-ok", slack.OptionAPIURL(rec.APIURL()))
	ctx := context.Background()

	_, err := api.OpenViewContext(ctx, "T1.late", modal(2))
	if code, _ := slackErr(t, err); code != "expired_trigger_id" {
		t.Errorf("faulted views.open = %q, want expired_trigger_id", code)
	}
	if _, err := slack.New("xoxb-wrong", slack.OptionAPIURL(rec.APIURL())).OpenViewContext(ctx, "T1.x", modal(2)); err == nil {
		t.Error("views.open with a wrong token succeeded")
	} else if code, _ := slackErr(t, err); code != "invalid_auth" {
		t.Errorf("views.open with a wrong token = %q, want invalid_auth", code)
	}
	calls := rec.Calls(slackrec.ViewsOpen)
	if len(calls) != 2 || !calls[0].Failed || calls[0].TriggerID != "T1.late" || !calls[1].Failed {
		t.Errorf("recorded %+v; want two failed views.open, the first with its trigger_id", calls)
	}
	if _, err := api.OpenViewContext(ctx, "T1.late", modal(2)); err != nil {
		t.Errorf("views.open after the fault, with the unused trigger_id: %v", err)
	}
}

// TestViewValidation sends invalid views through views.open and checks that
// Slack's invalid_arguments comes back with the message and JSON pointer
// of each mistake, and that nothing is recorded as delivered.
func TestViewValidation(t *testing.T) {
	groups := func(sizes ...int) slack.ModalViewRequest {
		v := modal(0)
		sel := v.Blocks.BlockSet[0].(*slack.InputBlock).Element.(*slack.SelectBlockElement)
		sel.Options = nil
		for g, n := range sizes {
			var opts []*slack.OptionBlockObject
			for i := 0; i < n; i++ {
				opts = append(opts, slack.NewOptionBlockObject(fmt.Sprint(g, "-", i), plain("o"), nil))
			}
			sel.OptionGroups = append(sel.OptionGroups, slack.NewOptionGroupBlockElement(plain(fmt.Sprint("group ", g)), opts...))
		}
		return v
	}
	sel := func(v slack.ModalViewRequest) *slack.SelectBlockElement {
		return v.Blocks.BlockSet[0].(*slack.InputBlock).Element.(*slack.SelectBlockElement)
	}
	tests := []struct {
		name string
		view func() slack.ModalViewRequest
		want []string
	}{
		{"101 options", func() slack.ModalViewRequest { return modal(101) },
			[]string{"[ERROR] no more than 100 items allowed [json-pointer:/view/blocks/0/element/options]"}},
		{"a group of 101", func() slack.ModalViewRequest { return groups(100, 101) },
			[]string{"[ERROR] no more than 100 items allowed [json-pointer:/view/blocks/0/element/option_groups/1/options]"}},
		{"long section text", func() slack.ModalViewRequest {
			v := modal(1)
			v.Blocks.BlockSet = append(v.Blocks.BlockSet, slack.NewSectionBlock(plain(strings.Repeat("x", 3001)), nil, nil))
			return v
		}, []string{"[ERROR] must be less than 3001 characters [json-pointer:/view/blocks/1/text/text]"}},
		{"long title, no callback_id", func() slack.ModalViewRequest {
			v := modal(1)
			v.Title, v.CallbackID = plain("A title longer than twenty-four"), ""
			return v
		}, []string{
			"[ERROR] must be less than 25 characters [json-pointer:/view/title/text]",
			"[ERROR] missing required field: callback_id [json-pointer:/view]",
		}},
		{"no title, no submit", func() slack.ModalViewRequest {
			v := modal(1)
			v.Title, v.Submit = nil, nil
			return v
		}, []string{
			"[ERROR] missing required field: title [json-pointer:/view]",
			"[ERROR] must define `submit` to use an `input` block in modals [json-pointer:/view/blocks/0]",
		}},
		{"not a modal", func() slack.ModalViewRequest { v := modal(1); v.Type = "home"; return v },
			[]string{"[ERROR] unsupported type: home [json-pointer:/view/type]"}},
		{"initial option not offered", func() slack.ModalViewRequest {
			v := modal(2)
			sel(v).InitialOption = slack.NewOptionBlockObject("forged", plain("forged"), nil)
			return v
		}, []string{"[ERROR] must match one of the options [json-pointer:/view/blocks/0/element/initial_option]"}},
		{"long option text and value", func() slack.ModalViewRequest {
			v := modal(1)
			sel(v).Options[0] = slack.NewOptionBlockObject(strings.Repeat("v", 151), plain(strings.Repeat("t", 76)), nil)
			return v
		}, []string{
			"[ERROR] must be less than 76 characters [json-pointer:/view/blocks/0/element/options/0/text/text]",
			"[ERROR] must be less than 151 characters [json-pointer:/view/blocks/0/element/options/0/value]",
		}},
		{"unknown block and duplicate block_id", func() slack.ModalViewRequest {
			v := modal(1)
			// a section: slack-go itself refuses duplicate input block_ids
			v.Blocks.BlockSet = append(v.Blocks.BlockSet, slack.NewSectionBlock(plain("again"), nil, nil, slack.SectionBlockOptionBlockID("pick")),
				&slack.UnknownBlock{Type: "carousel"})
			return v
		}, []string{
			"[ERROR] duplicate block_id: pick [json-pointer:/view/blocks/1/block_id]",
			"[ERROR] unsupported type: carousel [json-pointer:/view/blocks/2/type]",
		}},
		{"11 checkboxes", func() slack.ModalViewRequest {
			v := modal(1)
			var opts []*slack.OptionBlockObject
			for i := 0; i < 11; i++ {
				opts = append(opts, slack.NewOptionBlockObject(fmt.Sprint(i), plain("c"), nil))
			}
			v.Blocks.BlockSet = append(v.Blocks.BlockSet, slack.NewInputBlock("c", plain("Checks"), nil, slack.NewCheckboxGroupsBlockElement("c", opts...)))
			return v
		}, []string{"[ERROR] no more than 10 items allowed [json-pointer:/view/blocks/1/element/options]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := slackrec.New(t, "xoxb-ok")
			api := slack.New("xoxb-ok", slack.OptionAPIURL(rec.APIURL()))
			_, err := api.OpenViewContext(context.Background(), "T.trigger", tc.view())
			if err == nil {
				t.Fatal("views.open succeeded, want invalid_arguments")
			}
			code, msgs := slackErr(t, err)
			if code != "invalid_arguments" {
				t.Errorf("views.open = %q, want invalid_arguments", code)
			}
			if diff := cmp.Diff(tc.want, msgs); diff != "" {
				t.Errorf("response_metadata.messages (-want +got):\n%s", diff)
			}
			if d := rec.Delivered(); len(d) != 0 {
				t.Errorf("delivered %+v, want nothing", d)
			}
		})
	}
}

func TestValidateViewAcceptsLimits(t *testing.T) {
	v := modal(100)
	v.Title = plain(strings.Repeat("t", 24))
	v.PrivateMetadata = strings.Repeat("m", 3000)
	v.Blocks.BlockSet = append(v.Blocks.BlockSet, slack.NewSectionBlock(plain(strings.Repeat("é", 3000)), nil, nil))
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if msgs := slackrec.ValidateView(raw); len(msgs) != 0 {
		t.Errorf("ValidateView(a view at every limit) = %q, want no messages", msgs)
	}
	v.PrivateMetadata += "m"
	raw, _ = json.Marshal(v)
	want := []string{"[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]"}
	if diff := cmp.Diff(want, slackrec.ValidateView(raw)); diff != "" {
		t.Errorf("ValidateView(3,001 characters of metadata) (-want +got):\n%s", diff)
	}
	for _, bad := range []string{``, `null`, `[]`, `"modal"`} {
		if msgs := slackrec.ValidateView(json.RawMessage(bad)); len(msgs) == 0 {
			t.Errorf("ValidateView(%q) accepted it", bad)
		}
	}
}

func TestViewSubmission(t *testing.T) {
	rec := slackrec.New(t, "xoxb-ok")
	api := slack.New("xoxb-ok", slack.OptionAPIURL(rec.APIURL()))
	v := modal(3)
	sel := v.Blocks.BlockSet[0].(*slack.InputBlock).Element.(*slack.SelectBlockElement)
	sel.InitialOption = sel.Options[1]
	text := slack.NewPlainTextInputBlockElement(nil, "name")
	text.InitialValue = "typed"
	v.Blocks.BlockSet = append(v.Blocks.BlockSet,
		slack.NewInputBlock("name", plain("Name"), nil, text),
		slack.NewInputBlock("checks", plain("Checks"), nil, slack.NewCheckboxGroupsBlockElement("checks",
			slack.NewOptionBlockObject("a", plain("A"), nil), slack.NewOptionBlockObject("b", plain("B"), nil))))
	opened, err := api.OpenViewContext(context.Background(), "T1.trigger", v)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.ViewSubmission("V404", "T1", "U1", nil); err == nil {
		t.Error("ViewSubmission of an unknown view succeeded")
	}

	state := func(values map[string]string) map[string]map[string]slack.BlockAction {
		t.Helper()
		raw, err := rec.ViewSubmission(opened.ID, "T1", "U1", values)
		if err != nil {
			t.Fatal(err)
		}
		var cb slack.InteractionCallback
		if err := json.Unmarshal(raw, &cb); err != nil {
			t.Fatal(err)
		}
		if cb.Type != slack.InteractionTypeViewSubmission || cb.User.ID != "U1" || cb.View.ID != opened.ID || cb.View.CallbackID != "pick" {
			t.Fatalf("payload %s", raw)
		}
		return cb.View.State.Values
	}
	// untouched: the initial values
	got := state(nil)
	if got["pick"]["pick"].SelectedOption.Value != "1" || got["name"]["name"].Value != "typed" || len(got["checks"]["checks"].SelectedOptions) != 0 {
		t.Errorf("untouched state %+v, want the initial values", got)
	}
	got = state(map[string]string{"pick": "2", "name": "new", "checks": "a,b"})
	if o := got["pick"]["pick"].SelectedOption; o.Value != "2" || o.Text.Text != "option 2" {
		t.Errorf("selected %+v, want option 2", o)
	}
	if got["name"]["name"].Value != "new" || len(got["checks"]["checks"].SelectedOptions) != 2 {
		t.Errorf("state %+v", got)
	}
	// a forged value goes through, as a forger would send it
	if o := state(map[string]string{"pick": "forged"})["pick"]["pick"].SelectedOption; o.Value != "forged" {
		t.Errorf("forged option %+v", o)
	}
}

// TestViewsRawRequests sends what slack-go would not: a body that is not
// JSON, and views.open without a trigger_id or a view.
func TestViewsRawRequests(t *testing.T) {
	rec := slackrec.New(t, "xoxb-ok")
	post := func(method, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, rec.APIURL()+method, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer xoxb-ok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := post(slackrec.ViewsOpen, "trigger_id=x"); got["error"] != "invalid_json" {
		t.Errorf("form-encoded views.open = %v, want invalid_json", got)
	}
	got := post(slackrec.ViewsOpen, `{}`)
	msgs := got["response_metadata"].(map[string]any)["messages"]
	want := []any{
		"[ERROR] missing required field: trigger_id [json-pointer:/trigger_id]",
		"[ERROR] missing required field: view [json-pointer:/view]",
	}
	if got["error"] != "invalid_arguments" || !cmp.Equal(msgs, want) {
		t.Errorf("empty views.open = %v, want invalid_arguments with %q", got, want)
	}
	if got := post(slackrec.ViewsUpdate, `{"view":{}}`); got["error"] != "invalid_arguments" {
		t.Errorf("views.update without a view_id = %v, want invalid_arguments", got)
	}
}
