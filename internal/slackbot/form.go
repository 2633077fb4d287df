package slackbot

import (
	"net/url"
	"strings"

	"github.com/slack-go/slack"
)

// slashCommand is the part of Slack's slash-command payload streambot reads.
// See https://docs.slack.dev/interactivity/implementing-slash-commands#app_command_handling
type slashCommand struct {
	TeamID      string
	ChannelID   string
	UserID      string
	UserName    string
	Command     string
	Text        string
	ResponseURL string // a credential: never log it
	TriggerID   string
	SSLCheck    bool // ssl_check=1: Slack checking the certificate, nothing to do
	// EnterpriseID is the Enterprise Grid organization (E…), when Slack
	// sends one (enterprise_id): the policy's teams may name it.
	EnterpriseID string
}

// parseForm reads an application/x-www-form-urlencoded slash-command body.
// It does what url.ParseQuery followed by Get does for the fields it knows
// (the first value of a key wins, '+' is a space, %XX is decoded) but builds
// no map, matches keys as sent (Slack never escapes them) and leaves unknown
// keys undecoded, which keeps the ack path allocation-light. A malformed
// escape in a known field is an error.
func parseForm(body string) (slashCommand, error) {
	var s slashCommand
	var seen uint16
	for body != "" {
		var pair string
		pair, body, _ = strings.Cut(body, "&")
		key, value, _ := strings.Cut(pair, "=")
		var dst *string
		var bit uint16
		switch key {
		case "team_id":
			dst, bit = &s.TeamID, 1<<0
		case "channel_id":
			dst, bit = &s.ChannelID, 1<<1
		case "user_id":
			dst, bit = &s.UserID, 1<<2
		case "user_name":
			dst, bit = &s.UserName, 1<<3
		case "command":
			dst, bit = &s.Command, 1<<4
		case "text":
			dst, bit = &s.Text, 1<<5
		case "response_url":
			dst, bit = &s.ResponseURL, 1<<6
		case "trigger_id":
			dst, bit = &s.TriggerID, 1<<7
		case "enterprise_id":
			dst, bit = &s.EnterpriseID, 1<<9
		case "ssl_check":
			if seen&(1<<8) == 0 {
				seen |= 1 << 8
				s.SSLCheck = value == "1"
			}
			continue
		default:
			continue
		}
		if seen&bit != 0 {
			continue
		}
		seen |= bit
		v, err := url.QueryUnescape(value)
		if err != nil {
			return slashCommand{}, err
		}
		*dst = v
	}
	return s, nil
}

// slackCommand is the command as slack-go's type, for [Handler.Command].
func (s *slashCommand) slackCommand() slack.SlashCommand {
	return slack.SlashCommand{
		TeamID:       s.TeamID,
		ChannelID:    s.ChannelID,
		UserID:       s.UserID,
		UserName:     s.UserName,
		Command:      s.Command,
		Text:         s.Text,
		ResponseURL:  s.ResponseURL,
		TriggerID:    s.TriggerID,
		EnterpriseID: s.EnterpriseID,
	}
}
