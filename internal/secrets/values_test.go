package secrets_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/streambot/streambot/internal/secrets"
)

func TestRedaction(t *testing.T) {
	values := map[string]any{
		"Slack":             secrets.Slack{SigningSecret: signingSecret, BotToken: botToken},
		"Atlas SA":          secrets.Atlas{ClientID: clientID, ClientSecret: clientSecret},
		"Atlas key":         secrets.Atlas{PublicKey: publicKey, PrivateKey: privateKey},
		"Slack ptr":         &secrets.Slack{SigningSecret: signingSecret, BotToken: botToken},
		"Atlas in a struct": struct{ A secrets.Atlas }{secrets.Atlas{PublicKey: publicKey, PrivateKey: privateKey}},
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
				out := fmt.Sprintf(verb, v)
				noValues(t, out)
				if !strings.Contains(out, "REDACTED") {
					t.Errorf("Sprintf(%s) = %q, want a placeholder", verb, out)
				}
			}
			var buf bytes.Buffer
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("loaded", "secret", v)
			slog.New(slog.NewTextHandler(&buf, nil)).Info("loaded", "secret", v)
			noValues(t, buf.String())
			if !strings.Contains(buf.String(), "REDACTED") {
				t.Errorf("log = %q, want a placeholder", buf.String())
			}
		})
	}
}

func TestStringShowsWhichValuesAreSet(t *testing.T) {
	got := secrets.Slack{SigningSecret: signingSecret}.String()
	want := `secrets.Slack{SigningSecret:REDACTED, BotToken:""}`
	if got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestErrorText(t *testing.T) {
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:streambot/slack-Ab12Cd"
	tests := []struct {
		err  *secrets.Error
		want string
	}{
		{&secrets.Error{Source: arn, Key: "bot_token", Problem: secrets.ProblemMissingKey},
			`secrets: ` + arn + `: "bot_token": missing or empty`},
		{&secrets.Error{Source: arn, Problem: secrets.ProblemNotJSON},
			`secrets: ` + arn + `: not a JSON object`},
		{&secrets.Error{Source: arn, Problem: secrets.ProblemUnreadable, Err: fmt.Errorf("AccessDeniedException")},
			`secrets: ` + arn + `: could not be read: AccessDeniedException`},
		{&secrets.Error{Source: "SLACK_SECRET_ARN, SLACK_SIGNING_SECRET", Problem: secrets.ProblemNotConfigured, Err: secrets.ErrNotConfigured},
			`secrets: SLACK_SECRET_ARN, SLACK_SIGNING_SECRET: none set`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}
