package slackbot

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/form"
)

// leanFields is what decodeInteraction promises to decode as slack-go does.
type leanFields struct {
	Type                                                  slack.InteractionType
	CallbackID, ResponseURL, TriggerID                    string
	TeamID, UserID, UserTeamID, UserName, ChannelID       string
	TeamEnterpriseID, TeamEnterpriseName                  string
	Enterprise                                            slack.Enterprise
	ContainerMessageTS, ContainerChannelID, MessageTS     string
	Actions                                               [][3]string // action_id, block_id, value
	ViewID, ViewCallbackID, ViewPrivateMetadata, ViewHash string
	ResponseURLs                                          []slack.ViewSubmissionCallbackResponseURL
}

func leanOf(cb *slack.InteractionCallback) leanFields {
	f := leanFields{
		Type: cb.Type, CallbackID: cb.CallbackID, ResponseURL: cb.ResponseURL, TriggerID: cb.TriggerID,
		TeamID: cb.Team.ID, TeamEnterpriseID: cb.Team.EnterpriseID, TeamEnterpriseName: cb.Team.EnterpriseName, UserID: cb.User.ID, UserTeamID: cb.User.TeamID, UserName: cb.User.Name, ChannelID: cb.Channel.ID,
		Enterprise: cb.Enterprise, ContainerMessageTS: cb.Container.MessageTs, ContainerChannelID: cb.Container.ChannelID,
		MessageTS: cb.Message.Timestamp, ViewID: cb.View.ID, ViewCallbackID: cb.View.CallbackID,
		ViewPrivateMetadata: cb.View.PrivateMetadata, ViewHash: cb.View.Hash, ResponseURLs: cb.ResponseURLs,
	}
	for _, a := range cb.ActionCallback.BlockActions {
		f.Actions = append(f.Actions, [3]string{a.ActionID, a.BlockID, a.Value})
	}
	return f
}

// interactionSeeds are payloads as Slack sends them, and oddities.
func interactionSeeds(tb testing.TB) []string {
	var out []string
	for _, body := range []string{
		ClickBody(clickOn(deleteConfirm(), "U0CREATOR")),
		sampleBody(tb, "block-actions"),
		sampleBody(tb, "view-submission"),
		shortcutBody("create_workspace", "U0CREATOR", "trig-1"),
	} {
		form, err := url.ParseQuery(body)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, form.Get("payload"))
	}
	// The create form opened from the shortcut (no channel: the picker is
	// there), a conversation picked and its response_url.
	var shortcut map[string]any
	if err := json.Unmarshal([]byte(out[2]), &shortcut); err != nil {
		tb.Fatal(err)
	}
	view := shortcut["view"].(map[string]any)
	view["private_metadata"] = "v1|dm|U2CERLKJA|1796601600"
	view["state"].(map[string]any)["values"].(map[string]any)[form.BlockChannel] = map[string]any{
		form.BlockChannel: map[string]any{"type": "conversations_select", "selected_conversation": "C0999ZZZZ"}}
	shortcut["response_urls"] = []any{map[string]any{"block_id": form.BlockChannel, "action_id": form.BlockChannel,
		"channel_id": "C0999ZZZZ", "response_url": "https://hooks.slack.com/app/T1/1/x"}}
	picked, err := json.Marshal(shortcut)
	if err != nil {
		tb.Fatal(err)
	}
	return append(out, string(picked),
		`null`, ` {} `, `{"type":null}`, `[]`, `{"type":1}`, `{"TYPE":"block_actions","Team":{"ID":"T1"}}`,
		`{"type":"block_actions","actions":[{"block_id":"b","action_id":"a","value":"v"},null,{"value":"x"}]}`,
		`{"actions":[{"BLOCK_ID":"b","action_id":"a"}],"actions":[{"block_id":1,"Block_Id":"c"}]}`,
		`{"actions":[{"block_id":"b","action_id":7}]}`, `{"actions":[{"block_id":null,"value":7}]}`,
		`{"actions":[{"block\u005fid":"b","\u0061ction_id":"\u00e9"}]}`, `{"actions":[1]}`, `{"actions":{}}`,
		`{"view":{"id":"V1","state":{"values":{"b":{"a":{"type":"plain_text_input","value":"x"}}}}},"view":{"hash":"h","state":null}}`,
		`{"user":{"id":"U1","name":"a\"b","team_id":"T"},"user":{"name":null},"callbac\u212a_id":"k"}`,
		`{"message":{"ts":"1.2","blocks":[{"type":"no_such_block"}]},"container":{"attachment_id":"x","message_ts":"1.2"}}`,
		`{"response_urls":[{"block_id":"c","channel_id":"C1","response_url":"https://x"}],"response_urls":null}`,
		`{"type":"view_submission","team":"T1"}`,
		`{"view":{"state":{"values":{"b":null,"c":{"a":null},"d":{}},"Values":{"e":{"a":{"TYPE":"x","Value":null}}}}}}`,
		`{"view":{"state":{"values":{"b":{"a":{"selected_options":[{"value":"1"},{"value":"2"},{"value":"3"}]}}}}}}`,
		`{"view":{"state":{"values":{"b":{"a":{"selected_options":[{"value":"1"},{"value":"2"},{"value":"3"}],"selected_options":[{},null],"selected_options":[null,{"text":null},{}]}}}}}}`,
		`{"view":{"state":{"values":{"b":{"a":{"selected_options":[],"selected_option":{"value":"v"},"selected_option":{"text":{}},"selected_conversation":"C1"}}}}}}`,
		`{"view":{"state":{"values":{"b":{"a":{"selected_options":null,"selected_option":null,"rich_text_value":{"type":"rich_text"}}}}},"state":{}}}`,
		`{"view":{"state":{"values":{"b":1}}}}`, `{"view":{"state":{"values":{"b":{"a":[]}}}}}`, `{"view":{"state":[]}}`,
		`{"view":{"state":{"values":{"b\u0031":{"\u0061":{"selected_options":[{"value":"\u00e9"}]}}}}}}`,
		`{"response_urls":[{"block_id":"c","channel_id":"C1","response_url":"https://x"},{}],"response_urls":[{"action_id":"a"},null,{}]}`, `{"type":"\ud800"}`, "{\"type\":\"\xff\"}", `{"a":-0.5e+7,"b":[true,false]}`,
	)
}

// FuzzDecodeInteraction checks decodeInteraction against slack-go's
// decoding: it never panics, and for any payload slack-go decodes it
// decodes too, to the same values of every field it promises.
func FuzzDecodeInteraction(f *testing.F) {
	for _, s := range interactionSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		var got slack.InteractionCallback
		gotErr := decodeInteraction(payload, &got)
		var want slack.InteractionCallback
		if err := json.Unmarshal([]byte(payload), &want); err != nil {
			return // slack-go refuses it; decodeInteraction may read less
		}
		if gotErr != nil {
			t.Fatalf("decodeInteraction(%q) = %v; slack-go decodes it", payload, gotErr)
		}
		if diff := cmp.Diff(leanOf(&want), leanOf(&got)); diff != "" {
			t.Errorf("decodeInteraction(%q) differs from slack-go (-slack-go +lean):\n%s", payload, diff)
		}
		if w, g := formState(want.View.State), formState(got.View.State); !reflect.DeepEqual(w, g) {
			t.Errorf("decodeInteraction(%q): view state %+v, slack-go %+v", payload, g, w)
		}
		// What the form makes of it: the same, whatever the form reads.
		for _, allowed := range [][]form.Project{nil, {{Alias: "dev", GroupID: devGroupID}}} {
			ws, we, werr := form.ParseSubmission(want, allowed, viewSubmissionNow)
			gs, ge, gerr := form.ParseSubmission(got, allowed, viewSubmissionNow)
			if fmt.Sprint(werr) != fmt.Sprint(gerr) || !reflect.DeepEqual(we, ge) || ws != gs {
				t.Errorf("decodeInteraction(%q): ParseSubmission = %+v, %v, %v; from slack-go's %+v, %v, %v",
					payload, gs, ge, gerr, ws, we, werr)
			}
		}
	})
}

// formState is s with only the fields of each value decodeInteraction
// promises (what internal/form reads), nil maps and slices kept nil.
func formState(s *slack.ViewState) *slack.ViewState {
	if s == nil {
		return nil
	}
	out := &slack.ViewState{}
	if s.Values == nil {
		return out
	}
	out.Values = make(map[string]map[string]slack.BlockAction, len(s.Values))
	for block, actions := range s.Values {
		if actions == nil {
			out.Values[block] = nil
			continue
		}
		m := make(map[string]slack.BlockAction, len(actions))
		for id, a := range actions {
			v := slack.BlockAction{Type: a.Type, Value: a.Value, SelectedConversation: a.SelectedConversation}
			v.SelectedOption.Value = a.SelectedOption.Value
			if a.SelectedOptions != nil {
				v.SelectedOptions = []slack.OptionBlockObject{}
			}
			for _, o := range a.SelectedOptions {
				v.SelectedOptions = append(v.SelectedOptions, slack.OptionBlockObject{Value: o.Value})
			}
			m[id] = v
		}
		out.Values[block] = m
	}
	return out
}

// The samples decode to what slack-go makes of them, with the values the
// edge reads.
func TestDecodeInteractionSamples(t *testing.T) {
	for _, p := range interactionSeeds(t)[:4] {
		var got, want slack.InteractionCallback
		if err := decodeInteraction(p, &got); err != nil {
			t.Fatalf("decodeInteraction: %v\n%s", err, p)
		}
		if err := json.Unmarshal([]byte(p), &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(leanOf(&want), leanOf(&got)); diff != "" {
			t.Errorf("differs from slack-go (-slack-go +lean):\n%s", diff)
		}
		if got.Type == "" || got.User.ID == "" || got.TriggerID == "" {
			t.Errorf("decoded %+v: no type, user or trigger", leanOf(&got))
		}
	}
}

// FuzzQueryUnescape: queryUnescape is url.QueryUnescape.
func FuzzQueryUnescape(f *testing.F) {
	for _, s := range []string{"", "a+b", "%7B%22type%22%3A%22x%22%7D", "%", "%4", "%zz", "%e2%82%ac+%2B", "100%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantErr := url.QueryUnescape(s)
		got, err := queryUnescape(s)
		if (err != nil) != (wantErr != nil) || got != want {
			t.Fatalf("queryUnescape(%q) = %q, %v; url.QueryUnescape: %q, %v", s, got, err, want, wantErr)
		}
	})
}

// The samples of a create form, as the edge decodes them, are forms
// ParseSubmission accepts: FuzzDecodeInteraction's comparison of its
// outcomes starts from forms that get as far as a Submission.
func TestDecodeInteractionForms(t *testing.T) {
	seeds := interactionSeeds(t)
	for _, p := range []string{seeds[2], seeds[4]} {
		var cb slack.InteractionCallback
		if err := decodeInteraction(p, &cb); err != nil {
			t.Fatal(err)
		}
		sub, errs, err := form.ParseSubmission(cb, []form.Project{{Alias: "dev", GroupID: devGroupID}}, viewSubmissionNow)
		if err != nil || len(errs) > 0 {
			t.Fatalf("ParseSubmission = %v, %v; want a submission", errs, err)
		}
		if sub.Command.Workspace == "" || sub.Command.Tier == "" || !sub.Command.SampleSolar {
			t.Errorf("submission %+v: the form's values are missing", sub)
		}
		if sub.Origin.Channel == "" && (sub.Channel != "C0999ZZZZ" || sub.ResponseURL == "") {
			t.Errorf("submission from the shortcut: channel %q, response_url set %v; want the picked C0999ZZZZ and its URL",
				sub.Channel, sub.ResponseURL != "")
		}
	}
}
