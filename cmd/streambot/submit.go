package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/streambot/streambot/internal/form"
)

// submitUsage is `streambot submit`'s synopsis.
const submitUsage = `streambot submit [flags] --metadata M FIELD=VALUE…`

// runSubmit implements `streambot submit`: send one signed view_submission
// of the create form, as Slack does when a person clicks Create, and print
// the answer as the person would see it (the form closes, errors under
// their fields, or a notice). The form's private_metadata is the --metadata
// flag (serve's console prints it, with the whole command, under every form
// it opens); the fields are FIELD=VALUE arguments named by the form's
// block IDs: name, project (a group ID), region (an Atlas name), tier,
// max_tier, sample_solar (true) and, for the shortcut's form, channel.
// A field left out is sent empty, as Slack sends an untouched input (the
// form's preselections are not known here: give tier=SP30 to keep it).
func runSubmit(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("submit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	target := fs.String("url", "http://127.0.0.1:3000/slack/interactions", "the interactivity URL (streambot serve, or the deployed SlackInteractionsUrl)")
	secret := fs.String("secret", "", "the signing secret (default $SLACK_SIGNING_SECRET)")
	user := fs.String("user", alice, "the Slack user ID who submits")
	team := fs.String("team", demoTeam, "the team ID")
	metadata := fs.String("metadata", "", "the form's private_metadata, e.g. 'v1|C0PLATFORM|U0ALICE|1765065600'")
	viewID := fs.String("view-id", "V0LOCAL", "the view's ID")
	callbackID := fs.String("callback-id", form.CallbackID, "the view's callback_id")
	done, err := parseFlags(fs, args, true, submitUsage, stdout)
	if done || err != nil {
		return err
	}
	if *secret == "" {
		*secret = getenv("SLACK_SIGNING_SECRET")
	}
	if *secret == "" {
		return usageErrorf("submit: no signing secret: pass --secret or set SLACK_SIGNING_SECRET")
	}
	values := map[string]string{}
	for _, a := range fs.Args() {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return usageErrorf("submit: %q is not FIELD=VALUE\n%s", a, flagUsage(fs, submitUsage))
		}
		values[k] = v
	}
	payload, err := submissionPayload(submission{team: *team, user: *user, viewID: *viewID, metadata: *metadata,
		callbackID: *callbackID, values: values, triggerID: fmt.Sprintf("%d.submit", time.Now().UnixNano())})
	if err != nil {
		return usageErrorf("submit: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := newSignedPost(ctx, *target, *secret, time.Now(), url.Values{"payload": {string(payload)}}.Encode())
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("submit: %s answered %s %s", *target, resp.Status, b)
	}
	fmt.Fprintf(stdout, "HTTP %d: %s\n", resp.StatusCode, renderSubmissionResponse(b))
	return nil
}

// submission is what `streambot submit` sends.
type submission struct {
	team, user, viewID, metadata, callbackID, triggerID string
	values                                              map[string]string // by block ID
}

// submissionPayload is the view_submission payload Slack would send for s:
// each field's value in view.state.values under its block and action ID
// (the same), typed as the create form's element.
func submissionPayload(s submission) ([]byte, error) {
	type obj = map[string]any
	state := obj{}
	for k, v := range s.values {
		var a obj
		switch k {
		case form.BlockName:
			a = obj{"type": "plain_text_input", "value": v}
		case form.BlockProject, form.BlockRegion, form.BlockTier, form.BlockMaxTier:
			a = obj{"type": "static_select", "selected_option": nil}
			if v != "" {
				a["selected_option"] = obj{"text": obj{"type": "plain_text", "text": v}, "value": v}
			}
		case form.BlockSampleSolar:
			sel := []obj{}
			if v == "true" {
				sel = append(sel, obj{"text": obj{"type": "plain_text", "text": "sample solar"}, "value": "sample_solar"})
			}
			a = obj{"type": "checkboxes", "selected_options": sel}
		case form.BlockChannel:
			a = obj{"type": "conversations_select", "selected_conversation": v}
		default:
			return nil, fmt.Errorf("the form has no field %q (it has name, project, region, tier, max_tier, sample_solar, channel)", k)
		}
		state[k] = obj{k: a}
	}
	return json.Marshal(obj{
		"type":       "view_submission",
		"team":       obj{"id": s.team, "domain": "example"},
		"user":       obj{"id": s.user, "username": s.user, "name": s.user, "team_id": s.team},
		"api_app_id": "A0STREAMBOT",
		"token":      "deprecated-verification-token",
		"trigger_id": s.triggerID,
		"view": obj{
			"id": s.viewID, "team_id": s.team, "type": "modal", "callback_id": s.callbackID,
			"private_metadata": s.metadata, "hash": "1700000000.local", "state": obj{"values": state},
		},
		"response_urls":         []obj{},
		"is_enterprise_install": false,
	})
}
