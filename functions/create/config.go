package main

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/streambot/streambot/internal/logging"
	"github.com/streambot/streambot/internal/settings"
)

// config is functions/create's configuration, from the environment (the
// names are DESIGN.md's). Secret values are not here: internal/secrets
// reads them, from Secrets Manager or, locally, the plain variables.
type config struct {
	AtlasBaseURL    string
	AtlasAPIVersion string
	SlackAPIURL     string
	LogLevel        slog.Level
}

var apiVersionPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// loadConfig reads and checks every variable and reports every problem at
// once.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		AtlasBaseURL:    orDefault(getenv("ATLAS_BASE_URL"), "https://cloud.mongodb.com"),
		AtlasAPIVersion: getenv("ATLAS_API_VERSION"),
		SlackAPIURL:     orDefault(getenv("SLACK_API_URL"), "https://slack.com/api/"),
	}
	var errs []error
	if err := settings.CheckURL(c.AtlasBaseURL); err != nil {
		errs = append(errs, fmt.Errorf("ATLAS_BASE_URL: %w", err))
	}
	if c.AtlasAPIVersion != "" && !apiVersionPattern.MatchString(c.AtlasAPIVersion) {
		errs = append(errs, fmt.Errorf("ATLAS_API_VERSION %q: want a date like 2025-03-12", c.AtlasAPIVersion))
	}
	if err := settings.CheckURL(c.SlackAPIURL); err != nil {
		errs = append(errs, fmt.Errorf("SLACK_API_URL: %w", err))
	} else if !strings.HasSuffix(c.SlackAPIURL, "/") {
		c.SlackAPIURL += "/" // slack-go appends method names to it
	}
	var err error
	if c.LogLevel, err = logging.Level(getenv("LOG_LEVEL")); err != nil {
		errs = append(errs, err)
	}
	if getenv("ATLAS_SECRET_ARN") == "" && getenv("MONGODB_ATLAS_CLIENT_ID") == "" && getenv("MONGODB_ATLAS_PUBLIC_API_KEY") == "" {
		errs = append(errs, errors.New("ATLAS_SECRET_ARN is not set (locally: MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET, or MONGODB_ATLAS_PUBLIC_API_KEY and MONGODB_ATLAS_PRIVATE_API_KEY)"))
	}
	return c, errors.Join(errs...)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
