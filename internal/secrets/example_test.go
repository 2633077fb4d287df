package secrets_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/streambot/streambot/internal/secrets"
)

// A local run: no ARN variables, so the plain variables are used and no AWS
// client is ever built. Printing a secret shows only whether it is set.
func ExampleNewStore() {
	getenv := env(map[string]string{"SLACK_SIGNING_SECRET": "local-signing-secret"})
	store := secrets.NewStore(getenv, nil)

	slack, err := store.Slack(context.Background())
	fmt.Println(slack, err)

	_, err = store.Atlas(context.Background())
	fmt.Println(errors.Is(err, secrets.ErrNotConfigured))
	// Output:
	// secrets.Slack{SigningSecret:REDACTED, BotToken:""} <nil>
	// true
}
