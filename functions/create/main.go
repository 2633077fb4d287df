// Command create is streambot's worker, functions/create: AWS Lambda invokes
// it asynchronously with a provision.Job from the Slack function, or
// directly (sam local invoke, aws lambda invoke) with a create request of
// the same shape. It creates the stream workspace in Atlas and answers in
// Slack, or returns the workspace. This file is wiring only; the logic is
// in internal/provision.
package main

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/buildinfo"
	"github.com/streambot/streambot/internal/logging"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/secrets"
	"github.com/streambot/streambot/internal/state"
)

// secretsTimeout bounds each Secrets Manager read. The store's 2 s default
// is for the Slack edge, which must ack within 3 s; the worker has its
// whole invocation (Atlas work stops well before it), and a read cut short
// costs much more here: without the bot token the answer cannot go to the
// thread at all (the e2e suite saw a 2 s read time out on a loaded machine).
const secretsTimeout = 10 * time.Second

func main() {
	cfg, err := loadConfig(os.Getenv)
	log := logging.New(os.Stdout, cfg.LogLevel) // JSON, with Lambda's request ID
	log.Info("streambot worker starting", "version", buildinfo.Version())
	if err != nil {
		log.Error("invalid configuration", "error", err.Error())
		os.Exit(1)
	}
	store, err := secrets.NewStoreFromEnv(context.Background(), os.Getenv, secrets.WithTimeout(secretsTimeout))
	if err != nil {
		log.Error("invalid secrets configuration", "error", err.Error())
		os.Exit(1)
	}
	atlasClients := provision.NewAtlasClients(store, provision.AtlasConfig{
		BaseURL:    cfg.AtlasBaseURL,
		APIVersion: cfg.AtlasAPIVersion,
		UserAgent:  "streambot-create/1",
	})
	// STATE_TABLE: the DynamoDB record of operations (required in Lambda).
	st, err := state.FromEnv(os.Getenv, func() (aws.Config, error) { return secrets.EnvAWSConfig(os.Getenv) })
	if err != nil {
		log.Error("invalid state table configuration", "error", err.Error())
		os.Exit(1)
	}
	w, err := provision.NewWorker(provision.Deps{
		Atlas: atlasClients,
		Slack: provision.NewSlackClients(store, slack.OptionAPIURL(cfg.SlackAPIURL),
			slack.OptionHTTPClient(&http.Client{Timeout: 10 * time.Second})),
		Logger: log,
		// Counts: the delete confirmation's processors and connections,
		// through the same Atlas client.
		Counts: provision.AtlasCounter{Atlas: atlasClients},
		// State: the once-only record of every changing operation.
		State:       st,
		SlackAPIURL: cfg.SlackAPIURL,
	})
	if err != nil {
		log.Error("worker setup failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(w.Handle)
}
