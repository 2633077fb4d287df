package form_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/form"
)

// ExampleBuildCreateView is the slash-command side: the form for a person
// the policy lets create in two projects, opened from channel C0123ABCD.
// The Slack edge sends it with views.open before it acknowledges.
func ExampleBuildCreateView() {
	view, err := form.BuildCreateView(form.CreateForm{
		Origin:   form.Origin{Channel: "C0123ABCD", User: "U012ABCDEF", Issued: time.Unix(1796601600, 0)},
		Projects: []form.Project{{Alias: "dev", GroupID: "6a1b2c3d4e5f6a7b8c9d0e1f"}, {Alias: "prod", GroupID: "5f1a2b3c4d5e6f7a8b9c0d1e"}},
	})
	if err != nil {
		fmt.Println(err) // form.ErrNoProjects: answer with the policy's refusal instead
		return
	}
	fmt.Println(view.CallbackID, view.PrivateMetadata)
	// Output: create_workspace v1|C0123ABCD|U012ABCDEF|1796601600
}

// ExampleParseSubmission is the interactions side: a view_submission for
// the create form comes back; field mistakes are answered on their fields,
// a refused form with a notice, and a valid one continues as the slash
// command would.
func ExampleParseSubmission() {
	var cb slack.InteractionCallback // from slack.InteractionCallbackParse, after the signature check
	cb.Type, cb.User.ID = slack.InteractionTypeViewSubmission, "U012ABCDEF"
	cb.View.CallbackID, cb.View.PrivateMetadata = form.CallbackID, "v1|C0123ABCD|U012ABCDEF|1796601600"
	cb.View.State = &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
		"name":   {"name": {Type: "plain_text_input", Value: "orders_ws"}},
		"region": {"region": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "VIRGINIA_USA"}}},
		"tier":   {"tier": {Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: "SP30"}}},
		"project": {"project": {Type: "static_select",
			SelectedOption: slack.OptionBlockObject{Value: "6a1b2c3d4e5f6a7b8c9d0e1f"}}},
	}}
	allowed := []form.Project{{Alias: "dev", GroupID: "6a1b2c3d4e5f6a7b8c9d0e1f"}} // the policy, asked again now
	now := time.Unix(1796601660, 0)

	sub, fieldErrs, err := form.ParseSubmission(cb, allowed, now)
	switch {
	case err != nil:
		body, _ := json.Marshal(form.RefusedResponse(err))
		fmt.Printf("%s\n", body)
	case fieldErrs != nil:
		body, _ := json.Marshal(form.ErrorsResponse(fieldErrs))
		fmt.Printf("%s\n", body)
	default:
		channel, _ := sub.Destination()
		fmt.Println(sub.Command.String(), "in", channel)
	}
	// Output: {"response_action":"errors","errors":{"name":"workspace name \"orders_ws\": a workspace name uses only ASCII letters, digits and hyphens; did you mean orders-ws?"}}
}
