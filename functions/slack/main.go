// Command slack is streambot's Slack edge as an AWS Lambda function behind
// API Gateway (HTTP API, payload format 2.0). It verifies each `/stream …`
// slash command (and each click, shortcut and form submission), opens the
// create form (views.open), applies the access policy, hands accepted work to the
// worker function (CREATE_FUNCTION_NAME) with an asynchronous invoke, and
// acknowledges within Slack's 3 seconds. The logic is in internal/slackbot;
// this file only wires it together, once per cold start.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/buildinfo"
	"github.com/streambot/streambot/internal/dispatch"
	"github.com/streambot/streambot/internal/logging"
	"github.com/streambot/streambot/internal/secrets"
	"github.com/streambot/streambot/internal/slackbot"
	"github.com/streambot/streambot/internal/state"
)

const (
	// initTimeout bounds reading the signing secret at cold start.
	initTimeout = 3 * time.Second
	// groupTTL and groupTimeout tune the cached user-group lookups: a
	// membership change shows within groupTTL, and a slow Slack costs the
	// ack at most groupTimeout.
	groupTTL     = 5 * time.Minute
	groupTimeout = 700 * time.Millisecond
)

func main() {
	cfg, err := loadConfig(os.Getenv)
	logger := logging.New(os.Stdout, cfg.logLevel) // JSON, with Lambda's request ID
	logger.Info("streambot slack edge starting", "version", buildinfo.Version())
	if err != nil {
		fatal(logger, "invalid configuration", err)
	}
	if cfg.policy.Empty() {
		logger.Warn("access policy grants nothing: every command will be denied")
	}

	ctx, cancel := context.WithTimeout(context.Background(), initTimeout)
	defer cancel()
	store, err := secrets.NewStoreFromEnv(ctx, os.Getenv)
	if err != nil {
		fatal(logger, "invalid secrets configuration", err)
	}
	// Read the signing secret now, in the init phase: every request needs it.
	if _, err := store.Slack(ctx); err != nil {
		fatal(logger, "cannot read the slack secret", err)
	}

	// The Lambda client is built on the first dispatch: help, usage errors
	// and denials never need it. It is built from the variables Lambda sets
	// (AWS_REGION and the credentials) and AWS_ENDPOINT_URL_LAMBDA, not with
	// config.LoadDefaultConfig, whose credential chain (profiles, SSO, STS)
	// a Lambda function never uses and which would add about 0.6 MB to the
	// bootstrap; see secrets.EnvAWSConfig. It is dispatch's own small
	// client, not the SDK's (see dispatch.Client).
	invoker := dispatch.LazyInvoker(func(context.Context) (dispatch.Invoker, error) {
		awsCfg, err := secrets.EnvAWSConfig(os.Getenv)
		if err != nil {
			return nil, err
		}
		return dispatch.NewClient(awsCfg, secrets.EnvEndpoint(os.Getenv, "LAMBDA")), nil
	})
	// One Slack client per container, built on first use from the bot
	// token (read with the signing secret above): the group lookups and
	// the create form's views.open share it and its connections.
	bot := slackbot.NewSlackBot(store, slack.OptionAPIURL(cfg.slackAPIURL))
	groups := access.NewSlackGroups(bot, groupTTL, groupTimeout)

	// STATE_TABLE: the DynamoDB record of operations (required in Lambda).
	st, err := state.FromEnv(os.Getenv, func() (aws.Config, error) { return secrets.EnvAWSConfig(os.Getenv) })
	if err != nil {
		fatal(logger, "invalid state table configuration", err)
	}
	h, err := slackbot.New(slackbot.Config{
		Secrets:    store,
		Policy:     cfg.policy,
		Dispatcher: dispatch.NewLambda(invoker, cfg.createFunction),
		Groups:     groups,
		Views:      bot,
		Logger:     logger,
		State:      st,
	})
	if err != nil {
		fatal(logger, "cannot build the handler", err)
	}
	lambda.Start(h.Handle)
}

func fatal(logger *slog.Logger, msg string, err error) {
	logger.Error(msg, "error", err)
	os.Exit(1)
}
