package secrets_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/secrets"
)

func TestEnvAWSConfig(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		wantRegion string
		wantCreds  aws.Credentials
		wantErr    error
	}{
		{
			name: "Lambda's variables",
			env: map[string]string{
				"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1",
				"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "sk", "AWS_SESSION_TOKEN": "tok",
			},
			wantRegion: "eu-west-1",
			wantCreds:  aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "sk", SessionToken: "tok", Source: "StaticCredentials"},
		},
		{
			name:       "AWS_DEFAULT_REGION and no session token",
			env:        map[string]string{"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "sk"},
			wantRegion: "us-east-1",
			wantCreds:  aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "sk", Source: "StaticCredentials"},
		},
		{
			name:    "no region",
			env:     map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "sk"},
			wantErr: secrets.ErrNoAWSRegion,
		},
		{
			name:    "no secret key",
			env:     map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE"},
			wantErr: secrets.ErrNoAWSCredentials,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := secrets.EnvAWSConfig(env(tt.env))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("EnvAWSConfig error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if cfg.Region != tt.wantRegion {
				t.Errorf("Region = %q, want %q", cfg.Region, tt.wantRegion)
			}
			creds, err := cfg.Credentials.Retrieve(t.Context())
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			if diff := cmp.Diff(tt.wantCreds, creds); diff != "" {
				t.Errorf("credentials (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnvEndpoint(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"none", nil, ""},
		{"global", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, "http://127.0.0.1:1"},
		{"service wins", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_LAMBDA": "http://127.0.0.1:2"}, "http://127.0.0.1:2"},
		{"other service's ignored", map[string]string{"AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:3"}, ""},
		{"ignored when told", map[string]string{"AWS_ENDPOINT_URL_LAMBDA": "http://127.0.0.1:2", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := secrets.EnvEndpoint(env(tt.env), "LAMBDA"); got != tt.want {
				t.Errorf("EnvEndpoint = %q, want %q", got, tt.want)
			}
		})
	}
}

// The default client honours AWS_ENDPOINT_URL too (TestNewStoreFromEnv
// covers the service's own variable), and reports missing credentials as
// an unreadable secret, retrying on the next fetch.
func TestDefaultClientFromProcessEnv(t *testing.T) {
	arn := createSecret(t, moto(t), slackJSON(signingSecret, botToken))
	endpoint := moto(t).Endpoint()
	getenv := env(map[string]string{secrets.EnvSlackSecretARN: arn})
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "")
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")

	s := secrets.NewStore(getenv, nil)
	_, err := s.Slack(t.Context())
	se, ok := errors.AsType[*secrets.Error](err)
	if !ok || se.Problem != secrets.ProblemUnreadable || !errors.Is(err, secrets.ErrNoAWSCredentials) {
		t.Fatalf("Slack without credentials: error = %v, want ProblemUnreadable wrapping ErrNoAWSCredentials", err)
	}

	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	got, err := s.Slack(t.Context())
	if err != nil {
		t.Fatalf("Slack: %v", err)
	}
	if got.SigningSecret != signingSecret {
		t.Errorf("Slack = %v, want the stored secret", got)
	}
}

func TestWithClientFactory(t *testing.T) {
	arn := createSecret(t, moto(t), slackJSON(signingSecret, botToken))
	boom := errors.New("no client today")
	calls := 0
	factory := func(ctx context.Context) (secrets.GetSecretValueAPI, error) {
		calls++
		if calls == 1 {
			return nil, boom
		}
		return moto(t), nil
	}
	s := secrets.NewStore(env(map[string]string{secrets.EnvSlackSecretARN: arn}), nil, secrets.WithClientFactory(factory))
	if _, err := s.Slack(t.Context()); !errors.Is(err, boom) {
		t.Fatalf("first Slack error = %v, want %v", err, boom)
	}
	for range 2 {
		got, err := s.Slack(t.Context())
		if err != nil || got.SigningSecret != signingSecret {
			t.Fatalf("Slack = %v, %v; want the stored secret", got, err)
		}
	}
	if _, _, err := s.RefreshSlack(t.Context(), 0); err != nil {
		t.Fatalf("RefreshSlack: %v", err)
	}
	if calls != 2 {
		t.Errorf("factory called %d times, want 2 (a failure is retried, a client is kept)", calls)
	}
}

// The factory is not used when the Store was given an API.
func TestWithClientFactoryUnusedWithAPI(t *testing.T) {
	arn := createSecret(t, moto(t), slackJSON(signingSecret, botToken))
	used := false
	s := secrets.NewStore(env(map[string]string{secrets.EnvSlackSecretARN: arn}), moto(t),
		secrets.WithClientFactory(func(context.Context) (secrets.GetSecretValueAPI, error) {
			used = true
			return nil, errors.New("unused")
		}))
	if _, err := s.Slack(t.Context()); err != nil {
		t.Fatalf("Slack: %v", err)
	}
	if used {
		t.Error("the factory was called although the Store had an API")
	}
}

var _ secrets.GetSecretValueAPI = (*secrets.Client)(nil)
