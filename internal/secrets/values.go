package secrets

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// redacted stands in for a secret value in logs and formatted output.
const redacted = "REDACTED"

// Slack holds the Slack app's secrets. Its String, Format, LogValue and
// MarshalJSON methods never print the values, so a Slack can be logged,
// formatted with any verb or JSON-encoded (even inside another value)
// without leaking them.
type Slack struct {
	// SigningSecret verifies that requests come from Slack (the edge).
	SigningSecret string
	// BotToken (xoxb-…) calls the Slack Web API (the worker).
	BotToken string
}

// String describes s with its values replaced by a placeholder.
func (s Slack) String() string {
	return fmt.Sprintf("secrets.Slack{SigningSecret:%s, BotToken:%s}", mask(s.SigningSecret), mask(s.BotToken))
}

// Format writes [Slack.String] whatever the verb, so %#v, %+v and %d
// cannot print the values either.
func (s Slack) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// LogValue logs s as a group of placeholders.
func (s Slack) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("signing_secret", mask(s.SigningSecret)),
		slog.String("bot_token", mask(s.BotToken)),
	)
}

// MarshalJSON encodes s with placeholders, as [Slack.LogValue] does; it
// keeps the values out of JSON logs of values that embed a Slack.
func (s Slack) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"signing_secret": mask(s.SigningSecret), "bot_token": mask(s.BotToken)})
}

// Atlas holds the Atlas Admin API credentials: either a service account
// (ClientID and ClientSecret, OAuth 2.0 client credentials) or a legacy API
// key (PublicKey and PrivateKey, HTTP Digest); exactly one pair is set when
// a [Store] returns it. Like [Slack], it never prints its values.
type Atlas struct {
	ClientID, ClientSecret string
	PublicKey, PrivateKey  string
}

// ServiceAccount reports whether a holds service-account credentials
// (ClientID/ClientSecret) rather than an API key.
func (a Atlas) ServiceAccount() bool { return a.ClientID != "" }

// String describes a with its values replaced by a placeholder.
func (a Atlas) String() string {
	return fmt.Sprintf("secrets.Atlas{ClientID:%s, ClientSecret:%s, PublicKey:%s, PrivateKey:%s}",
		mask(a.ClientID), mask(a.ClientSecret), mask(a.PublicKey), mask(a.PrivateKey))
}

// Format writes [Atlas.String] whatever the verb.
func (a Atlas) Format(f fmt.State, _ rune) { io.WriteString(f, a.String()) }

// LogValue logs a as a group of placeholders.
func (a Atlas) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("client_id", mask(a.ClientID)),
		slog.String("client_secret", mask(a.ClientSecret)),
		slog.String("public_key", mask(a.PublicKey)),
		slog.String("private_key", mask(a.PrivateKey)),
	)
}

// MarshalJSON encodes a with placeholders, like [Slack.MarshalJSON].
func (a Atlas) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"client_id": mask(a.ClientID), "client_secret": mask(a.ClientSecret),
		"public_key": mask(a.PublicKey), "private_key": mask(a.PrivateKey),
	})
}

// mask says whether v is set without saying what it is.
func mask(v string) string {
	if v == "" {
		return `""`
	}
	return redacted
}
