package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/logging"
	"github.com/streambot/streambot/internal/secrets"
	"github.com/streambot/streambot/internal/settings"
)

// The environment variables this function reads besides the secrets
// store's and the access policy's (DESIGN.md, "Configuration contract").
const (
	envCreateFunction = "CREATE_FUNCTION_NAME"
	envLogLevel       = "LOG_LEVEL"
	envSlackAPIURL    = "SLACK_API_URL"
	envLambdaEndpoint = "AWS_ENDPOINT_URL_LAMBDA" // read by secrets.EnvEndpoint for dispatch.NewClient; checked here
)

const defaultSlackAPIURL = "https://slack.com/api/"

// config is the function's checked configuration.
type config struct {
	createFunction string         // the worker: a function name, ARN or partial ARN
	logLevel       slog.Level     // LOG_LEVEL
	slackAPIURL    string         // Slack Web API base, ending in "/"
	policy         *access.Policy // ACCESS_POLICY_FILE or ACCESS_POLICY; empty denies all
}

// functionNamePattern matches what Lambda's Invoke accepts as FunctionName:
// a name, a partial ARN or a full ARN, with an optional version or alias.
// The name (the second group) is at most 64 characters: checked apart
// ([validFunctionName]), because a {1,64} here would make the compiled
// program, built at every cold start, 64 times that class.
var functionNamePattern = regexp.MustCompile(`^(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:|\d{12}:function:)?([a-zA-Z0-9_-]+)(:(\$LATEST|[a-zA-Z0-9_-]+))?$`)

// validFunctionName reports whether s is a FunctionName Invoke accepts.
func validFunctionName(s string) bool {
	m := functionNamePattern.FindStringSubmatch(s)
	return m != nil && len(m[2]) <= 64
}

// loadConfig reads and checks every variable, reporting all problems at
// once. Secret values are never part of an error.
func loadConfig(getenv func(string) string) (config, error) {
	var (
		c    config
		errs []error
	)

	if getenv(secrets.EnvSlackSigningARN) == "" && getenv(secrets.EnvSlackSecretARN) == "" && getenv(secrets.EnvSlackSigningSecret) == "" {
		errs = append(errs, fmt.Errorf("set %s (or the older %s) in AWS, or %s locally", secrets.EnvSlackSigningARN, secrets.EnvSlackSecretARN, secrets.EnvSlackSigningSecret))
	}
	// The same check main's secrets.NewStoreFromEnv makes (a malformed
	// ARN variable), so that it is listed with every other problem. It
	// reads no secret and names no value.
	if _, err := secrets.NewStoreFromEnv(context.Background(), getenv); err != nil {
		errs = append(errs, err)
	}

	c.createFunction = getenv(envCreateFunction)
	switch {
	case c.createFunction == "":
		errs = append(errs, fmt.Errorf("%s is required: the worker function to invoke", envCreateFunction))
	case !validFunctionName(c.createFunction):
		errs = append(errs, fmt.Errorf("%s %q is not a Lambda function name or ARN", envCreateFunction, c.createFunction))
	}

	var err error
	if c.logLevel, err = logging.Level(getenv(envLogLevel)); err != nil {
		errs = append(errs, err)
	}

	c.slackAPIURL = defaultSlackAPIURL
	if v := getenv(envSlackAPIURL); v != "" {
		if err := settings.CheckURL(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", envSlackAPIURL, err))
		} else {
			c.slackAPIURL = strings.TrimSuffix(v, "/") + "/"
		}
	}
	if v := getenv(envLambdaEndpoint); v != "" {
		if err := settings.CheckURL(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", envLambdaEndpoint, err))
		}
	}

	p, err := access.FromEnv(getenv)
	if err != nil {
		errs = append(errs, err)
	}
	c.policy = p

	if err := errors.Join(errs...); err != nil {
		return config{}, err
	}
	return c, nil
}
