package main

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streambot/streambot/internal/access"
)

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

const validPolicy = `
projects:
  dev: 6a1b2c3d4e5f6a7b8c9d0e1f
default_project: dev
grants:
  - subjects: [user:U012ABCDEF]
    projects: [dev]
    role: GROUP_STREAM_PROCESSING_OWNER
`

func TestLoadConfig(t *testing.T) {
	policyFile := filepath.Join(t.TempDir(), "access.yaml")
	if err := os.WriteFile(policyFile, []byte(validPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	base := func(kv ...string) map[string]string {
		m := map[string]string{
			"SLACK_SECRET_ARN":     "arn:aws:secretsmanager:us-east-1:123456789012:secret:streambot/slack-Ab12Cd",
			"CREATE_FUNCTION_NAME": "streambot-create",
			"ACCESS_POLICY":        validPolicy,
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	tests := []struct {
		name       string
		env        map[string]string
		wantErrs   []string // substrings of the joined error; none means valid
		wantLevel  slog.Level
		wantURL    string
		wantFn     string
		wantEmpty  bool // the policy grants nothing
		wantPolicy bool // errors.As finds a *access.PolicyError
	}{
		{name: "minimal", env: base(), wantLevel: slog.LevelInfo, wantURL: "https://slack.com/api/", wantFn: "streambot-create"},
		{name: "local secrets, everything set", env: base(
			"SLACK_SECRET_ARN", "", "SLACK_SIGNING_SECRET", "s3cr3t",
			"CREATE_FUNCTION_NAME", "arn:aws:lambda:us-east-1:123456789012:function:streambot-create:live",
			"LOG_LEVEL", "DEBUG", "SLACK_API_URL", "http://127.0.0.1:8081/api",
			"AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:9001",
			"ACCESS_POLICY", "", "ACCESS_POLICY_FILE", policyFile),
			wantLevel: slog.LevelDebug, wantURL: "http://127.0.0.1:8081/api/",
			wantFn: "arn:aws:lambda:us-east-1:123456789012:function:streambot-create:live"},
		{name: "warn level", env: base("LOG_LEVEL", "warn"), wantLevel: slog.LevelWarn, wantURL: "https://slack.com/api/", wantFn: "streambot-create"},
		{name: "error level", env: base("LOG_LEVEL", "Error"), wantLevel: slog.LevelError, wantURL: "https://slack.com/api/", wantFn: "streambot-create"},
		{name: "no policy denies all", env: base("ACCESS_POLICY", ""), wantLevel: slog.LevelInfo, wantURL: "https://slack.com/api/",
			wantFn: "streambot-create", wantEmpty: true},
		{name: "no slack secret", env: base("SLACK_SECRET_ARN", ""), wantErrs: []string{"SLACK_SECRET_ARN", "SLACK_SIGNING_SECRET"}},
		{name: "no worker", env: base("CREATE_FUNCTION_NAME", ""), wantErrs: []string{"CREATE_FUNCTION_NAME is required"}},
		{name: "bad worker", env: base("CREATE_FUNCTION_NAME", "streambot create"), wantErrs: []string{"not a Lambda function name"}},
		{name: "bad level", env: base("LOG_LEVEL", "loud"), wantErrs: []string{`LOG_LEVEL "loud"`}},
		{name: "bad slack url", env: base("SLACK_API_URL", "slack.com/api"), wantErrs: []string{"SLACK_API_URL"}},
		{name: "slack url with credentials", env: base("SLACK_API_URL", "https://user:pw@slack.example/api/"),
			wantErrs: []string{"SLACK_API_URL: user info"}},
		{name: "bad lambda endpoint", env: base("AWS_ENDPOINT_URL_LAMBDA", "ftp://x"), wantErrs: []string{"AWS_ENDPOINT_URL_LAMBDA"}},
		{name: "malformed policy", env: base("ACCESS_POLICY", "grants:\n  - subjects: [nobody]\n    role: GROUP_OWNER\n    projectz: [dev]\n"),
			wantErrs: []string{"ACCESS_POLICY", "invalid access policy"}, wantPolicy: true},
		{name: "both policy variables", env: base("ACCESS_POLICY_FILE", policyFile), wantErrs: []string{"not both"}},
		{name: "missing policy file", env: base("ACCESS_POLICY", "", "ACCESS_POLICY_FILE", filepath.Join(t.TempDir(), "nope.yaml")),
			wantErrs: []string{"ACCESS_POLICY_FILE"}},
		{name: "every problem at once", env: map[string]string{"LOG_LEVEL": "loud", "SLACK_API_URL": "nope", "ACCESS_POLICY": "{"},
			wantErrs: []string{"SLACK_SIGNING_SECRET", "CREATE_FUNCTION_NAME", "LOG_LEVEL", "SLACK_API_URL", "ACCESS_POLICY"}, wantPolicy: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadConfig(mapEnv(tc.env))
			if len(tc.wantErrs) > 0 {
				if err == nil {
					t.Fatalf("loadConfig() = %+v, nil; want an error", c)
				}
				for _, want := range tc.wantErrs {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("loadConfig() error = %q, want it to mention %q", err, want)
					}
				}
				var pe *access.PolicyError
				if errors.As(err, &pe) != tc.wantPolicy {
					t.Errorf("errors.As(err, *access.PolicyError) = %v, want %v", !tc.wantPolicy, tc.wantPolicy)
				}
				return
			}
			if err != nil {
				t.Fatalf("loadConfig() error = %v", err)
			}
			if c.logLevel != tc.wantLevel || c.slackAPIURL != tc.wantURL || c.createFunction != tc.wantFn {
				t.Errorf("loadConfig() = level %v, url %q, function %q; want %v, %q, %q",
					c.logLevel, c.slackAPIURL, c.createFunction, tc.wantLevel, tc.wantURL, tc.wantFn)
			}
			if c.policy == nil || c.policy.Empty() != tc.wantEmpty {
				t.Errorf("policy = %v, want Empty() = %v", c.policy, tc.wantEmpty)
			}
		})
	}
}

func TestLoadConfigNeverEchoesSecrets(t *testing.T) {
	const secret = "xoxb-super-secret"
	for _, u := range []string{
		"https://u:" + secret + "@x/",
		"ftp://u:" + secret + "@x/",          // wrong scheme as well
		"https://u:" + secret + "@/api/",     // and no host
		"ftp://x/api/?token=" + secret,       // a token in the query
		"hooks.slack.com/services/" + secret, // not absolute: a webhook URL pasted in
	} {
		_, err := loadConfig(mapEnv(map[string]string{
			"SLACK_BOT_TOKEN": secret, "SLACK_API_URL": u, "AWS_ENDPOINT_URL_LAMBDA": u,
		}))
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("loadConfig(SLACK_API_URL=%s) error = %v, want an error without the token", u, err)
		}
	}
}

// TestLoadConfigSecretIDs checks that a malformed secret ARN is reported
// with every other problem, before any secret is read, and not echoed.
func TestLoadConfigSecretIDs(t *testing.T) {
	const pasted = `{"signing_secret":"s3cr3t"}`
	_, err := loadConfig(mapEnv(map[string]string{
		"SLACK_SECRET_ARN": pasted, "CREATE_FUNCTION_NAME": "streambot-create", "LOG_LEVEL": "loud",
	}))
	if err == nil {
		t.Fatal("loadConfig() = nil error, want one")
	}
	for _, want := range []string{"SLACK_SECRET_ARN", "LOG_LEVEL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("loadConfig() error = %q, want it to mention %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("loadConfig() error = %q echoes the pasted secret", err)
	}
}
