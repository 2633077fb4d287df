package provision_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/motoserver"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/secrets"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// motoEnv is an env whose secrets come from Secrets Manager (moto_server,
// through the real AWS SDK), with the Slack bot token and the Atlas secret
// in one JSON secret each.
type motoEnv struct {
	*env
	sm       *secretsmanager.Client
	atlasARN string
}

var secretSeq atomic.Int64

func newMotoEnv(t *testing.T, atlasSecret string) *motoEnv {
	t.Helper()
	cfg := motoserver.Config(context.Background(), motoserver.Shared(t))
	sm := secretsmanager.NewFromConfig(cfg) // to create and change secrets
	m := &motoEnv{sm: sm}
	// unique per run: the moto_server is shared, also across -count runs
	name := fmt.Sprintf("streambot/provision/%s-%d", strings.NewReplacer(" ", "_", "/", "_").Replace(t.Name()), secretSeq.Add(1))
	m.atlasARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + name + "-AbCdEf" // absent unless created
	if atlasSecret != "" {
		out, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
			Name: aws.String(name), SecretString: aws.String(atlasSecret)})
		if err != nil {
			t.Fatalf("CreateSecret: %v", err)
		}
		m.atlasARN = aws.ToString(out.ARN)
	}
	slackOut, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name:         aws.String(name + "-slack"),
		SecretString: aws.String(`{"signing_secret":"` + signingSecret + `","bot_token":"` + botToken + `"}`),
	})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	vars := map[string]string{"ATLAS_SECRET_ARN": m.atlasARN, "SLACK_SECRET_ARN": aws.ToString(slackOut.ARN)}
	store := secrets.NewStore(func(k string) string { return vars[k] }, secrets.NewClient(cfg, ""))
	m.env = newEnv(t, func(s *setting) {
		s.atlasSource = func(e *env, cfg provision.AtlasConfig) provision.AtlasSource {
			return provision.NewAtlasClients(store, cfg)
		}
		s.slackSource = func(e *env) provision.SlackSource {
			return provision.NewSlackClients(store, slack.OptionAPIURL(e.slack.APIURL()))
		}
	})
	return m
}

func TestSecretProblems(t *testing.T) {
	tests := []struct {
		name   string
		secret string // "" : the secret does not exist
		want   []string
	}{
		{name: "missing secret", want: []string{"secret not found"}},
		{name: "not JSON", secret: "client_id=" + clientID, want: []string{"not a JSON object"}},
		{name: "missing key", secret: `{"client_id":"` + clientID + `"}`, want: []string{`"client_secret"`, "missing or empty"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newMotoEnv(t, tc.secret)
			res, err := e.handle(e.job())
			if err != nil || res.Outcome != provision.OutcomeFailed {
				t.Fatalf("Handle() = %+v, %v; want a failure answered in Slack", res, err)
			}
			final := e.final()
			t.Logf("answer: %s", final.Text)
			if final.ResponseType != reply.Ephemeral {
				t.Errorf("answer response_type = %q, want ephemeral", final.ResponseType)
			}
			contains(t, final, append([]string{"Atlas credentials", "3f1a.trigger"}, tc.want...)...)
			// The ARN (and its account ID) is for the log, not the channel.
			noAWSDetails(t, final)
			if !strings.Contains(e.logs.String(), e.atlasARN) {
				t.Errorf("the log lacks the secret's ARN:\n%s", e.logs)
			}
			for _, v := range []string{clientSecret, clientID} {
				if strings.Contains(final.Text+string(final.Blocks), v) {
					t.Errorf("answer shows the secret value %q", v)
				}
			}
			if got := e.atlas.Calls(atlastest.OpCreateStream) + e.atlas.Calls(atlastest.OpGetStream); got != 0 {
				t.Errorf("atlas calls = %d, want none", got)
			}
		})
	}
}

func TestSecretRotationAfter401(t *testing.T) {
	e := newMotoEnv(t, `{"client_id":"`+clientID+`","client_secret":"`+clientSecret+`"}`)
	if res, err := e.handle(e.job()); err != nil || res.Outcome != provision.OutcomeCreated {
		t.Fatalf("first Handle() = %+v, %v; want created", res, err)
	}
	// Rotate: Atlas now knows only the new secret, and Secrets Manager
	// holds it; the worker still caches the old one and its token.
	e.atlas.AddServiceAccount(clientID, rotatedSecret)
	if _, err := e.sm.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(e.atlasARN), SecretString: aws.String(`{"client_id":"` + clientID + `","client_secret":"` + rotatedSecret + `"}`),
	}); err != nil {
		t.Fatalf("PutSecretValue: %v", err)
	}
	// The cached token dies (Atlas answers 401 once), as after a rotation.
	e.atlas.Inject(atlastest.OpGetStream, atlastest.Fault{Status: 401})
	res, err := e.handle(e.job(func(j *provision.Job) { j.Name, j.ID = "second-ws", "second.trigger" }))
	if err != nil || res.Outcome != provision.OutcomeCreated {
		t.Fatalf("Handle() after rotation = %+v, %v; want created", res, err)
	}
	if got := e.atlas.Calls(atlastest.OpToken); got != 2 {
		t.Errorf("token calls = %d, want 2 (one per credential)", got)
	}
}
