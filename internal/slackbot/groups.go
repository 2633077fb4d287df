package slackbot

import (
	"context"
	"errors"
	"sync"

	"github.com/slack-go/slack"
)

// errNoBotToken is returned by [SlackGroupMembers] when the Slack secret
// holds no bot token; group grants then do not apply.
var errNoBotToken = errors.New("slack secret has no bot token")

// SlackGroupMembers answers usergroups.users.list for access.NewSlackGroups
// (it implements access.GroupMembersAPI) with a *slack.Client built on
// first use from the bot token in the secret source, and rebuilt when the
// token changes (rotation). So a cold start needs only the signing secret
// to answer help, usage errors and denials.
type SlackGroupMembers struct {
	secrets SecretSource
	opts    []slack.Option

	mu     sync.Mutex
	token  string // the token client was built with; never logged
	client *slack.Client
}

// NewSlackGroupMembers returns a SlackGroupMembers reading the bot token
// from src; opts go to slack.New (e.g. slack.OptionAPIURL for SLACK_API_URL).
func NewSlackGroupMembers(src SecretSource, opts ...slack.Option) *SlackGroupMembers {
	return &SlackGroupMembers{secrets: src, opts: opts}
}

// GetUserGroupMembersContext lists the members of a Slack user group.
func (g *SlackGroupMembers) GetUserGroupMembersContext(ctx context.Context, userGroup string, options ...slack.GetUserGroupMembersOption) ([]string, error) {
	s, err := g.secrets.Slack(ctx)
	if err != nil {
		return nil, err
	}
	if s.BotToken == "" {
		return nil, errNoBotToken
	}
	g.mu.Lock()
	if g.client == nil || g.token != s.BotToken {
		g.client, g.token = slack.New(s.BotToken, g.opts...), s.BotToken
	}
	c := g.client
	g.mu.Unlock()
	return c.GetUserGroupMembersContext(ctx, userGroup, options...)
}
