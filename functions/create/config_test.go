package main

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    config
		wantErr []string // every problem must be named
	}{
		{
			name: "defaults with a secret ARN",
			env:  map[string]string{"ATLAS_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:atlas-AbCdEf"},
			want: config{AtlasBaseURL: "https://cloud.mongodb.com", SlackAPIURL: "https://slack.com/api/", LogLevel: slog.LevelInfo},
		},
		{
			name: "local values",
			env: map[string]string{"MONGODB_ATLAS_CLIENT_ID": "id", "ATLAS_BASE_URL": "http://127.0.0.1:8080",
				"ATLAS_API_VERSION": "2023-02-01", "SLACK_API_URL": "http://127.0.0.1:9000/api", "LOG_LEVEL": "debug"},
			want: config{AtlasBaseURL: "http://127.0.0.1:8080", AtlasAPIVersion: "2023-02-01", SlackAPIURL: "http://127.0.0.1:9000/api/", LogLevel: slog.LevelDebug},
		},
		{
			name:    "every problem at once",
			env:     map[string]string{"ATLAS_BASE_URL": "cloud.mongodb.com", "ATLAS_API_VERSION": "v2", "SLACK_API_URL": "ftp://x", "LOG_LEVEL": "loud"},
			wantErr: []string{"ATLAS_BASE_URL", "ATLAS_API_VERSION", "SLACK_API_URL", "LOG_LEVEL", "ATLAS_SECRET_ARN"},
		},
		{
			name: "a credential in a URL is refused, not repeated",
			env: map[string]string{"MONGODB_ATLAS_CLIENT_ID": "id", "ATLAS_BASE_URL": "https://u:hunter2@cloud.mongodb.com",
				"SLACK_API_URL": "https://slack.com/api/?token=xoxb-pasted"},
			wantErr: []string{"ATLAS_BASE_URL", "SLACK_API_URL"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := loadConfig(func(k string) string { return tc.env[k] })
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("loadConfig() error = nil, want one naming %v", tc.wantErr)
				}
				for _, name := range tc.wantErr {
					if !strings.Contains(err.Error(), name) {
						t.Errorf("loadConfig() error = %q, want it to name %s", err, name)
					}
				}
				for _, secret := range []string{"hunter2", "xoxb-pasted"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("loadConfig() error = %q repeats %q", err, secret)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("loadConfig() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("loadConfig() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
