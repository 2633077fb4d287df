package slackbot

import (
	"encoding/json"
	"net/url"
)

// Click describes a button click for [ClickBody]: who clicked where, and
// the button's action_id, block_id and value as the message carries them.
type Click struct {
	TeamID, ChannelID, UserID, UserName string
	ActionID, BlockID, Value            string
	// MessageTS is the timestamp of the message that holds the button.
	MessageTS string
	// ResponseURL and TriggerID are what Slack hands out with the click.
	ResponseURL, TriggerID string
	// EnterpriseID is the Enterprise Grid organization (E…) of the
	// clicker's workspace, or empty.
	EnterpriseID string
}

// ClickBody returns the body Slack posts to the interactivity URL for c:
// application/x-www-form-urlencoded with one field, payload, holding a
// block_actions payload in Slack's shape. `streambot click`, the demo and
// the tests send it (signed) to exercise the same code path as Slack.
//
// See https://docs.slack.dev/reference/interaction-payloads/block_actions-payload
func ClickBody(c Click) string {
	type obj = map[string]any
	p := obj{
		"type":         "block_actions",
		"team":         obj{"id": c.TeamID},
		"user":         obj{"id": c.UserID, "username": c.UserName, "name": c.UserName, "team_id": c.TeamID},
		"api_app_id":   "A0STREAMBOT",
		"token":        "deprecated-verification-token",
		"container":    obj{"type": "message", "message_ts": c.MessageTS, "channel_id": c.ChannelID, "is_ephemeral": false},
		"trigger_id":   c.TriggerID,
		"channel":      obj{"id": c.ChannelID},
		"message":      obj{"type": "message", "ts": c.MessageTS},
		"response_url": c.ResponseURL,
		"actions": []obj{{
			"type": "button", "action_id": c.ActionID, "block_id": c.BlockID, "value": c.Value,
			"text": obj{"type": "plain_text", "text": "button"}, "action_ts": "1765099800.000100",
		}},
	}
	if c.EnterpriseID != "" {
		p["enterprise"] = obj{"id": c.EnterpriseID}
		p["team"].(obj)["enterprise_id"] = c.EnterpriseID
	}
	b, _ := json.Marshal(p) // maps of strings cannot fail
	return url.Values{"payload": {string(b)}}.Encode()
}
