package slackbot

import (
	"context"
	"errors"
	"sync"

	"github.com/slack-go/slack"
)

// errNoBotToken is returned by [SlackBot] when the Slack secret holds no
// bot token; group grants then do not apply and the form does not open.
var errNoBotToken = errors.New("slack secret has no bot token")

// SlackBot is the Slack Web API as the edge uses it with the bot token:
// usergroups.users.list for the access policy's group grants (it implements
// access.GroupMembersAPI) and views.open / views.update for the create form
// (it implements [Views]). One *slack.Client is built on first use from the
// bot token in the secret source, reused by every later call of the
// container (so a warm views.open reuses the connection), and rebuilt when
// the token changes (rotation). So a cold start needs only the signing
// secret to answer help, usage errors and denials.
type SlackBot struct {
	secrets SecretSource
	opts    []slack.Option

	mu     sync.Mutex
	token  string // the token client was built with; never logged
	client *slack.Client
}

// SlackGroupMembers is the name [SlackBot] had when it only looked up user
// groups.
type SlackGroupMembers = SlackBot

// NewSlackBot returns a SlackBot reading the bot token from src; opts go
// to slack.New (e.g. slack.OptionAPIURL for SLACK_API_URL). Build one per
// container and hand it to both access.NewSlackGroups and [Config].Views.
func NewSlackBot(src SecretSource, opts ...slack.Option) *SlackBot {
	return &SlackBot{secrets: src, opts: opts}
}

// NewSlackGroupMembers is [NewSlackBot], under its earlier name.
func NewSlackGroupMembers(src SecretSource, opts ...slack.Option) *SlackGroupMembers {
	return NewSlackBot(src, opts...)
}

// api returns the client for the current bot token.
func (b *SlackBot) api(ctx context.Context) (*slack.Client, error) {
	s, err := b.secrets.Slack(ctx)
	if err != nil {
		return nil, err
	}
	if s.BotToken == "" {
		return nil, errNoBotToken
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.client == nil || b.token != s.BotToken {
		b.client, b.token = slack.New(s.BotToken, b.opts...), s.BotToken
	}
	return b.client, nil
}

// GetUserGroupMembersContext lists the members of a Slack user group.
func (b *SlackBot) GetUserGroupMembersContext(ctx context.Context, userGroup string, options ...slack.GetUserGroupMembersOption) ([]string, error) {
	c, err := b.api(ctx)
	if err != nil {
		return nil, err
	}
	return c.GetUserGroupMembersContext(ctx, userGroup, options...)
}

// OpenViewContext opens view as a modal for the person whose trigger_id it
// is (views.open).
func (b *SlackBot) OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error) {
	c, err := b.api(ctx)
	if err != nil {
		return nil, err
	}
	return c.OpenViewContext(ctx, triggerID, view)
}

// UpdateViewContext replaces the open view viewID (views.update); hash,
// when not empty, must be the view's current one. The edge does not need
// it today; it is here for a form opened in two steps (form.LoadingView,
// then the form), should the cold path ever come near the 3 seconds.
func (b *SlackBot) UpdateViewContext(ctx context.Context, view slack.ModalViewRequest, externalID, hash, viewID string) (*slack.ViewResponse, error) {
	c, err := b.api(ctx)
	if err != nil {
		return nil, err
	}
	return c.UpdateViewContext(ctx, view, externalID, hash, viewID)
}
