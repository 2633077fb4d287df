package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/awsreq"
	"github.com/streambot/streambot/internal/motoserver"
	"github.com/streambot/streambot/internal/secrets"
)

func TestMain(m *testing.M) {
	defer motoserver.StopShared()
	m.Run()
}

// Values used in secrets; no error text may contain any of them.
const (
	signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	botToken      = "xoxb-1111-2222-NotARealTokenValue"
	clientID      = "mdb_sa_id_6650aaaabbbbccccdddd0000"
	clientSecret  = "mdb_sa_sk_NotARealClientSecretValue"
	publicKey     = "pubkeyabc"
	privateKey    = "8e7a9b0c-NotA-Real-Priv-ateKeyValue0"
)

var secretValues = []string{signingSecret, botToken, clientID, clientSecret, publicKey, privateKey}

// noValues fails the test if text contains a secret value.
func noValues(t *testing.T, text string) {
	t.Helper()
	for _, v := range secretValues {
		if strings.Contains(text, v) {
			t.Errorf("%q contains the secret value %q", text, v)
		}
	}
}

// counting wraps the real client and counts GetSecretValue calls.
type counting struct {
	api secrets.GetSecretValueAPI
	n   atomic.Int32
}

func (c *counting) GetSecretValue(ctx context.Context, id string) (secrets.SecretValue, error) {
	c.n.Add(1)
	return c.api.GetSecretValue(ctx, id)
}

// motoSM is the shared moto_server's Secrets Manager: the Store reads
// through the package's own Client (what the functions run); the tests
// create and change secrets with the AWS SDK's client (admin), which also
// checks the Client against the SDK's idea of the protocol.
type motoSM struct {
	*secrets.Client
	admin *secretsmanager.Client
}

// moto returns Secrets Manager clients for the shared moto_server.
func moto(t *testing.T) *motoSM {
	t.Helper()
	cfg := motoserver.Config(context.Background(), motoserver.Shared(t))
	return &motoSM{secrets.NewClient(cfg, ""), secretsmanager.NewFromConfig(cfg)}
}

// createSecret stores value under a name unique to the test and returns its ARN.
func createSecret(t *testing.T, sm *motoSM, value string) string {
	t.Helper()
	out, err := sm.admin.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name:         aws.String(secretName(t)),
		SecretString: aws.String(value),
	})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	return aws.ToString(out.ARN)
}

// secretSeq makes every secret name unique: the moto_server is shared by
// the whole package and outlives a run, so `go test -count=N` would
// otherwise meet the names of the run before.
var secretSeq atomic.Int64

// secretName returns a name no other call in this process returns.
func secretName(t *testing.T) string {
	return fmt.Sprintf("streambot/%s-%d", strings.NewReplacer(" ", "_", "#", "_").Replace(t.Name()), secretSeq.Add(1))
}

func putSecret(t *testing.T, sm *motoSM, arn, value string) {
	t.Helper()
	if _, err := sm.admin.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId:     aws.String(arn),
		SecretString: aws.String(value),
	}); err != nil {
		t.Fatalf("PutSecretValue: %v", err)
	}
}

// env returns a getenv backed by a map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func slackJSON(signing, bot string) string {
	return `{"signing_secret":"` + signing + `","bot_token":"` + bot + `"}`
}

func TestSlackFromSecretsManagerIsCached(t *testing.T) {
	sm := moto(t)
	arn := createSecret(t, sm, slackJSON(signingSecret, botToken))
	api := &counting{api: sm}
	s := secrets.NewStore(env(map[string]string{
		secrets.EnvSlackSecretARN: arn,
		// Plain variables are ignored when the ARN is set.
		secrets.EnvSlackSigningSecret: "ignored",
	}), api)

	want := secrets.Slack{SigningSecret: signingSecret, BotToken: botToken}
	for i := range 3 {
		got, err := s.Slack(context.Background())
		if err != nil {
			t.Fatalf("Slack call %d: %v", i, err)
		}
		if got != want {
			t.Errorf("Slack call %d = %#v, want the stored secret", i, got)
		}
	}
	if n := api.n.Load(); n != 1 {
		t.Errorf("GetSecretValue called %d times, want 1 (cached)", n)
	}
}

func TestConcurrentCallsFetchOnce(t *testing.T) {
	sm := moto(t)
	slackARN := createSecret(t, sm, slackJSON(signingSecret, botToken))
	atlasARN, err := sm.admin.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name:         aws.String(secretName(t) + "/atlas"),
		SecretString: aws.String(`{"client_id":"` + clientID + `","client_secret":"` + clientSecret + `"}`),
	})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	api := &counting{api: sm}
	s := secrets.NewStore(env(map[string]string{
		secrets.EnvSlackSecretARN: slackARN,
		secrets.EnvAtlasSecretARN: aws.ToString(atlasARN.ARN),
	}), api)

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := s.Slack(context.Background()); err != nil {
				t.Errorf("Slack: %v", err)
			}
		})
		wg.Go(func() {
			if _, err := s.Atlas(context.Background()); err != nil {
				t.Errorf("Atlas: %v", err)
			}
		})
	}
	wg.Wait()
	if n := api.n.Load(); n != 2 {
		t.Errorf("GetSecretValue called %d times, want 2 (one per secret)", n)
	}
}

func TestAtlasFromSecretsManager(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		want   secrets.Atlas
		sa     bool
	}{
		{
			name:   "service account",
			secret: `{"client_id":"` + clientID + `","client_secret":"` + clientSecret + `"}`,
			want:   secrets.Atlas{ClientID: clientID, ClientSecret: clientSecret},
			sa:     true,
		},
		{
			name:   "API key",
			secret: `{"public_key":"` + publicKey + `","private_key":"` + privateKey + `"}`,
			want:   secrets.Atlas{PublicKey: publicKey, PrivateKey: privateKey},
		},
		{
			name:   "extra keys and empty other pair are ignored",
			secret: `{"public_key":"` + publicKey + `","private_key":"` + privateKey + `","client_id":"","note":1}`,
			want:   secrets.Atlas{PublicKey: publicKey, PrivateKey: privateKey},
		},
	}
	sm := moto(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arn := createSecret(t, sm, tt.secret)
			api := &counting{api: sm}
			s := secrets.NewStore(env(map[string]string{secrets.EnvAtlasSecretARN: arn}), api)
			for range 2 {
				got, err := s.Atlas(context.Background())
				if err != nil {
					t.Fatalf("Atlas: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Atlas mismatch (-want +got):\n%s", diff)
				}
				if got.ServiceAccount() != tt.sa {
					t.Errorf("ServiceAccount() = %v, want %v", got.ServiceAccount(), tt.sa)
				}
			}
			if n := api.n.Load(); n != 1 {
				t.Errorf("GetSecretValue called %d times, want 1 (cached)", n)
			}
		})
	}
}

func TestSecretProblems(t *testing.T) {
	const missingARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:streambot/absent-AbCdEf"
	tests := []struct {
		name    string
		secret  string // stored with CreateSecret unless binary or absent
		binary  bool
		absent  bool
		atlas   bool // read with Atlas() instead of Slack()
		problem secrets.Problem
		key     string
	}{
		{name: "missing secret", absent: true, problem: secrets.ProblemNotFound},
		{name: "missing secret atlas", absent: true, atlas: true, problem: secrets.ProblemNotFound},
		{name: "not JSON", secret: "signing_secret=" + signingSecret, problem: secrets.ProblemNotJSON},
		{name: "truncated JSON", secret: `{"signing_secret":"` + signingSecret, problem: secrets.ProblemNotJSON},
		{name: "JSON array", secret: `["` + signingSecret + `"]`, problem: secrets.ProblemNotJSON},
		{name: "JSON null", secret: `null`, problem: secrets.ProblemNotJSON},
		{name: "binary", binary: true, problem: secrets.ProblemBinary},
		{name: "missing bot_token", secret: `{"signing_secret":"` + signingSecret + `"}`, problem: secrets.ProblemMissingKey, key: "bot_token"},
		{name: "empty signing_secret", secret: slackJSON("", botToken), problem: secrets.ProblemMissingKey, key: "signing_secret"},
		{name: "misspelt key", secret: `{"signingSecret":"` + signingSecret + `","bot_token":"` + botToken + `"}`, problem: secrets.ProblemMissingKey, key: "signing_secret"},
		{name: "number", secret: `{"signing_secret":12345,"bot_token":"` + botToken + `"}`, problem: secrets.ProblemNotString, key: "signing_secret"},
		{name: "atlas both pairs", atlas: true,
			secret:  `{"client_id":"` + clientID + `","client_secret":"` + clientSecret + `","public_key":"` + publicKey + `","private_key":"` + privateKey + `"}`,
			problem: secrets.ProblemBothPairs},
		{name: "atlas no pair", atlas: true, secret: `{"id":"` + clientID + `"}`, problem: secrets.ProblemNoPair},
		{name: "atlas missing client_secret", atlas: true, secret: `{"client_id":"` + clientID + `"}`, problem: secrets.ProblemMissingKey, key: "client_secret"},
		{name: "atlas missing public_key", atlas: true, secret: `{"private_key":"` + privateKey + `"}`, problem: secrets.ProblemMissingKey, key: "public_key"},
		{name: "atlas non-string", atlas: true, secret: `{"public_key":"` + publicKey + `","private_key":{"v":"` + privateKey + `"}}`, problem: secrets.ProblemNotString, key: "private_key"},
	}
	sm := moto(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arn := missingARN
			switch {
			case tt.binary:
				out, err := sm.admin.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
					Name:         aws.String(secretName(t)),
					SecretBinary: []byte(signingSecret),
				})
				if err != nil {
					t.Fatalf("CreateSecret: %v", err)
				}
				arn = aws.ToString(out.ARN)
			case !tt.absent:
				arn = createSecret(t, sm, tt.secret)
			}
			variable := secrets.EnvSlackSecretARN
			if tt.atlas {
				variable = secrets.EnvAtlasSecretARN
			}
			s := secrets.NewStore(env(map[string]string{variable: arn}), sm)
			var err error
			if tt.atlas {
				_, err = s.Atlas(context.Background())
			} else {
				_, err = s.Slack(context.Background())
			}
			se, ok := errors.AsType[*secrets.Error](err)
			if !ok {
				t.Fatalf("error = %v, want a *secrets.Error", err)
			}
			if se.Problem != tt.problem || se.Key != tt.key || se.Source != arn {
				t.Errorf("error = {Source %q, Key %q, Problem %q}, want {%q, %q, %q}", se.Source, se.Key, se.Problem, arn, tt.key, tt.problem)
			}
			text := err.Error()
			if !strings.Contains(text, arn) {
				t.Errorf("error %q does not name the ARN", text)
			}
			if tt.key != "" && !strings.Contains(text, `"`+tt.key+`"`) {
				t.Errorf("error %q does not name the key %q", text, tt.key)
			}
			noValues(t, text)
			if tt.absent {
				if ae, ok := errors.AsType[*awsreq.Error](err); !ok || ae.Code != "ResourceNotFoundException" {
					t.Errorf("error %v does not wrap Secrets Manager's ResourceNotFoundException", err)
				}
			}
		})
	}
}

func TestFailedFetchIsNotCached(t *testing.T) {
	sm := moto(t)
	arn := createSecret(t, sm, `{"signing_secret":"`+signingSecret+`"}`) // no bot_token yet
	s := secrets.NewStore(env(map[string]string{secrets.EnvSlackSecretARN: arn}), sm)
	if _, err := s.Slack(context.Background()); err == nil {
		t.Fatal("Slack with an incomplete secret succeeded")
	}
	putSecret(t, sm, arn, slackJSON(signingSecret, botToken))
	got, err := s.Slack(context.Background())
	if err != nil {
		t.Fatalf("Slack after the fix: %v", err)
	}
	if got.BotToken != botToken {
		t.Errorf("BotToken = %v, want the fixed value", got)
	}
}

func TestRefreshSlack(t *testing.T) {
	sm := moto(t)
	arn := createSecret(t, sm, slackJSON(signingSecret, botToken))
	api := &counting{api: sm}
	clk := &clock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	s := secrets.NewStore(env(map[string]string{secrets.EnvSlackSecretARN: arn}), api, secrets.WithClock(clk.Now))
	ctx := context.Background()

	if _, err := s.Slack(ctx); err != nil {
		t.Fatalf("Slack: %v", err)
	}
	const rotated = "0000rotated1111signing2222secret"
	putSecret(t, sm, arn, slackJSON(rotated, botToken))

	// Cached copy is 30s old: younger than a minute, so no re-read.
	clk.Add(30 * time.Second)
	got, refreshed, err := s.RefreshSlack(ctx, time.Minute)
	if err != nil || refreshed || got.SigningSecret != signingSecret {
		t.Errorf("RefreshSlack on a fresh cache = (%v, %v, %v), want (old secret, false, nil)", got, refreshed, err)
	}
	if n := api.n.Load(); n != 1 {
		t.Errorf("GetSecretValue called %d times, want 1 (fresh cache)", n)
	}

	// Now older than a minute: re-read and see the rotated value.
	clk.Add(time.Minute)
	got, refreshed, err = s.RefreshSlack(ctx, time.Minute)
	if err != nil || !refreshed || got.SigningSecret != rotated {
		t.Errorf("RefreshSlack on an old cache = (%v, %v, %v), want (rotated secret, true, nil)", got, refreshed, err)
	}
	if got, _ := s.Slack(ctx); got.SigningSecret != rotated {
		t.Error("Slack after RefreshSlack does not return the rotated secret")
	}
	if n := api.n.Load(); n != 2 {
		t.Errorf("GetSecretValue called %d times, want 2", n)
	}

	// A failed refresh keeps the previous copy.
	putSecret(t, sm, arn, "not json")
	clk.Add(time.Hour)
	if _, refreshed, err := s.RefreshSlack(ctx, time.Minute); err == nil || refreshed {
		t.Errorf("RefreshSlack of a broken secret = (%v, %v), want (false, error)", refreshed, err)
	}
	if got, err := s.Slack(ctx); err != nil || got.SigningSecret != rotated {
		t.Errorf("Slack after a failed refresh = (%v, %v), want the previous copy", got, err)
	}
}

// failing counts reads and fails every one while fail is set.
type failing struct {
	api  secrets.GetSecretValueAPI
	fail atomic.Bool
	n    atomic.Int32
}

func (f *failing) GetSecretValue(ctx context.Context, id string) (secrets.SecretValue, error) {
	f.n.Add(1)
	if f.fail.Load() {
		return secrets.SecretValue{}, errors.New("ServiceUnavailableException: try again later")
	}
	return f.api.GetSecretValue(ctx, id)
}

// A failed re-read counts like a good one: within minAge of any attempt,
// RefreshSlack answers from the cache without calling Secrets Manager, so
// requests with bad signatures cannot keep it busy while it fails.
func TestRefreshSlackFailuresAreRateLimited(t *testing.T) {
	sm := moto(t)
	arn := createSecret(t, sm, slackJSON(signingSecret, botToken))
	api := &failing{api: sm}
	clk := &clock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	s := secrets.NewStore(env(map[string]string{secrets.EnvSlackSecretARN: arn}), api, secrets.WithClock(clk.Now))
	ctx := context.Background()
	if _, err := s.Slack(ctx); err != nil {
		t.Fatalf("Slack: %v", err)
	}
	clk.Add(2 * time.Minute)
	api.fail.Store(true)
	if _, refreshed, err := s.RefreshSlack(ctx, time.Minute); err == nil || refreshed {
		t.Errorf("RefreshSlack while Secrets Manager fails = (%v, %v), want (false, error)", refreshed, err)
	}
	for range 5 {
		clk.Add(10 * time.Second) // 50 s after the failed attempt at most
		got, refreshed, err := s.RefreshSlack(ctx, time.Minute)
		if err != nil || refreshed || got.SigningSecret != signingSecret {
			t.Errorf("RefreshSlack soon after a failed one = (%v, %v, %v), want (cached secret, false, nil)", got, refreshed, err)
		}
	}
	if n := api.n.Load(); n != 2 {
		t.Errorf("GetSecretValue called %d times, want 2 (the load and one failed re-read)", n)
	}
	clk.Add(11 * time.Second) // a minute after the failed attempt
	api.fail.Store(false)
	if _, refreshed, err := s.RefreshSlack(ctx, time.Minute); err != nil || !refreshed {
		t.Errorf("RefreshSlack a minute after the failure = (%v, %v), want (true, nil)", refreshed, err)
	}
	if n := api.n.Load(); n != 3 {
		t.Errorf("GetSecretValue called %d times, want 3", n)
	}
}

func TestRefreshSlackWithoutCacheFetches(t *testing.T) {
	sm := moto(t)
	arn := createSecret(t, sm, slackJSON(signingSecret, botToken))
	s := secrets.NewStore(env(map[string]string{secrets.EnvSlackSecretARN: arn}), sm)
	got, refreshed, err := s.RefreshSlack(context.Background(), time.Minute)
	if err != nil || !refreshed || got.SigningSecret != signingSecret {
		t.Errorf("RefreshSlack = (%v, %v, %v), want (secret, true, nil)", got, refreshed, err)
	}
}

func TestRefreshAtlas(t *testing.T) {
	sm := moto(t)
	arn := createSecret(t, sm, `{"client_id":"`+clientID+`","client_secret":"`+clientSecret+`"}`)
	api := &counting{api: sm}
	s := secrets.NewStore(env(map[string]string{secrets.EnvAtlasSecretARN: arn}), api)
	ctx := context.Background()
	if _, err := s.Atlas(ctx); err != nil {
		t.Fatalf("Atlas: %v", err)
	}
	// Rotated to an API key: the cache still has the old one until a refresh.
	putSecret(t, sm, arn, `{"public_key":"`+publicKey+`","private_key":"`+privateKey+`"}`)
	if got, _ := s.Atlas(ctx); got.ClientSecret != clientSecret {
		t.Errorf("Atlas before refresh = %v, want the cached service account", got)
	}
	got, err := s.RefreshAtlas(ctx)
	if err != nil {
		t.Fatalf("RefreshAtlas: %v", err)
	}
	want := secrets.Atlas{PublicKey: publicKey, PrivateKey: privateKey}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RefreshAtlas mismatch (-want +got):\n%s", diff)
	}
	if got, _ := s.Atlas(ctx); got != want {
		t.Error("Atlas after RefreshAtlas does not return the new credentials")
	}
	if n := api.n.Load(); n != 2 {
		t.Errorf("GetSecretValue called %d times, want 2", n)
	}
}

// noAPI fails the test if the Store reaches for Secrets Manager.
type noAPI struct{ t *testing.T }

func (n noAPI) GetSecretValue(context.Context, string) (secrets.SecretValue, error) {
	n.t.Error("GetSecretValue called in environment mode")
	return secrets.SecretValue{}, errors.New("unexpected call")
}

func TestEnvironmentMode(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		wantSlack secrets.Slack
		wantAtlas secrets.Atlas
		slackErr  secrets.Problem
		atlasErr  secrets.Problem
		atlasKey  string
	}{
		{
			name: "everything set, service account",
			env: map[string]string{
				"SLACK_SIGNING_SECRET": signingSecret, "SLACK_BOT_TOKEN": botToken,
				"MONGODB_ATLAS_CLIENT_ID": clientID, "MONGODB_ATLAS_CLIENT_SECRET": clientSecret,
			},
			wantSlack: secrets.Slack{SigningSecret: signingSecret, BotToken: botToken},
			wantAtlas: secrets.Atlas{ClientID: clientID, ClientSecret: clientSecret},
		},
		{
			name: "signing secret only, API key",
			env: map[string]string{
				"SLACK_SIGNING_SECRET":         signingSecret,
				"MONGODB_ATLAS_PUBLIC_API_KEY": publicKey, "MONGODB_ATLAS_PRIVATE_API_KEY": privateKey,
			},
			wantSlack: secrets.Slack{SigningSecret: signingSecret},
			wantAtlas: secrets.Atlas{PublicKey: publicKey, PrivateKey: privateKey},
		},
		{
			name:     "nothing set",
			env:      map[string]string{},
			slackErr: secrets.ProblemNotConfigured,
			atlasErr: secrets.ProblemNotConfigured,
		},
		{
			name: "half a pair",
			env: map[string]string{
				"SLACK_BOT_TOKEN":         botToken,
				"MONGODB_ATLAS_CLIENT_ID": clientID,
			},
			wantSlack: secrets.Slack{BotToken: botToken},
			atlasErr:  secrets.ProblemMissingKey,
			atlasKey:  "MONGODB_ATLAS_CLIENT_SECRET",
		},
		{
			name: "both pairs",
			env: map[string]string{
				"SLACK_BOT_TOKEN":         botToken,
				"MONGODB_ATLAS_CLIENT_ID": clientID, "MONGODB_ATLAS_CLIENT_SECRET": clientSecret,
				"MONGODB_ATLAS_PUBLIC_API_KEY": publicKey, "MONGODB_ATLAS_PRIVATE_API_KEY": privateKey,
			},
			wantSlack: secrets.Slack{BotToken: botToken},
			atlasErr:  secrets.ProblemBothPairs,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := secrets.NewStore(env(tt.env), noAPI{t})
			ctx := context.Background()
			check := func(method string, err error, want secrets.Problem, key string) {
				t.Helper()
				if want == "" {
					if err != nil {
						t.Errorf("%s: %v", method, err)
					}
					return
				}
				se, ok := errors.AsType[*secrets.Error](err)
				if !ok || se.Problem != want || se.Key != key {
					t.Errorf("%s error = %#v, want Problem %q Key %q", method, err, want, key)
					return
				}
				if (want == secrets.ProblemNotConfigured) != errors.Is(err, secrets.ErrNotConfigured) {
					t.Errorf("%s: errors.Is(%v, ErrNotConfigured) = %v", method, err, !(want == secrets.ProblemNotConfigured))
				}
				noValues(t, err.Error())
			}

			sl, err := s.Slack(ctx)
			check("Slack", err, tt.slackErr, "")
			sl2, refreshed, err2 := s.RefreshSlack(ctx, 0)
			check("RefreshSlack", err2, tt.slackErr, "")
			if refreshed {
				t.Error("RefreshSlack in environment mode reported a refresh")
			}
			if sl != tt.wantSlack || sl2 != tt.wantSlack {
				t.Errorf("Slack = %#v / %#v, want the variables' values", sl, sl2)
			}

			at, err := s.Atlas(ctx)
			check("Atlas", err, tt.atlasErr, tt.atlasKey)
			at2, err := s.RefreshAtlas(ctx)
			check("RefreshAtlas", err, tt.atlasErr, tt.atlasKey)
			if diff := cmp.Diff(tt.wantAtlas, at); diff != "" {
				t.Errorf("Atlas mismatch (-want +got):\n%s", diff)
			}
			if at2 != at {
				t.Error("RefreshAtlas differs from Atlas")
			}
		})
	}
}

// blocking answers only when the context ends.
type blocking struct{}

func (blocking) GetSecretValue(ctx context.Context, _ string) (secrets.SecretValue, error) {
	<-ctx.Done()
	return secrets.SecretValue{}, ctx.Err()
}

func TestFetchIsBounded(t *testing.T) {
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:streambot/slack-AbCdEf"
	s := secrets.NewStore(env(map[string]string{secrets.EnvSlackSecretARN: arn}), blocking{}, secrets.WithTimeout(10*time.Millisecond))
	_, err := s.Slack(context.Background())
	se, ok := errors.AsType[*secrets.Error](err)
	if !ok || se.Problem != secrets.ProblemUnreadable {
		t.Fatalf("error = %v, want a *secrets.Error with ProblemUnreadable", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
}

// emptyAPI returns a secret version with neither string nor binary.
type emptyAPI struct{ s *string }

func (e emptyAPI) GetSecretValue(context.Context, string) (secrets.SecretValue, error) {
	return secrets.SecretValue{String: e.s}, nil
}

func TestEmptySecretString(t *testing.T) {
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:streambot/slack-AbCdEf"
	for name, api := range map[string]emptyAPI{"nil": {}, "empty": {aws.String("")}} {
		t.Run(name, func(t *testing.T) {
			s := secrets.NewStore(env(map[string]string{secrets.EnvAtlasSecretARN: arn}), api)
			_, err := s.Atlas(context.Background())
			if se, ok := errors.AsType[*secrets.Error](err); !ok || se.Problem != secrets.ProblemEmpty {
				t.Errorf("error = %v, want ProblemEmpty", err)
			}
		})
	}
}

func TestNewStoreFromEnv(t *testing.T) {
	endpoint := motoserver.Shared(t)
	arn := createSecret(t, moto(t), slackJSON(signingSecret, botToken))
	// The real SDK configuration, from the process environment.
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoint,
		"AWS_ACCESS_KEY_ID":                "testing",
		"AWS_SECRET_ACCESS_KEY":            "testing",
		"AWS_SESSION_TOKEN":                "",
		"AWS_REGION":                       "us-east-1",
		"AWS_PROFILE":                      "",
		"AWS_CONFIG_FILE":                  dir + "/config",
		"AWS_SHARED_CREDENTIALS_FILE":      dir + "/credentials",
	} {
		t.Setenv(k, v)
	}
	s, err := secrets.NewStoreFromEnv(context.Background(), env(map[string]string{secrets.EnvSlackSecretARN: arn}))
	if err != nil {
		t.Fatalf("NewStoreFromEnv: %v", err)
	}
	got, err := s.Slack(context.Background())
	if err != nil {
		t.Fatalf("Slack: %v", err)
	}
	if got.SigningSecret != signingSecret {
		t.Errorf("Slack = %v, want the stored secret", got)
	}
}

func TestNewStoreFromEnvRejectsBadARNs(t *testing.T) {
	_, err := secrets.NewStoreFromEnv(context.Background(), env(map[string]string{
		secrets.EnvSlackSecretARN: slackJSON(signingSecret, botToken), // the value pasted instead of the ARN
		secrets.EnvAtlasSecretARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:atlas key",
	}))
	if err == nil {
		t.Fatal("NewStoreFromEnv accepted malformed ARNs")
	}
	for _, name := range []string{secrets.EnvSlackSecretARN, secrets.EnvAtlasSecretARN} {
		if !strings.Contains(err.Error(), name+": "+string(secrets.ProblemBadID)) {
			t.Errorf("error %q does not report %s", err, name)
		}
	}
	if se, ok := errors.AsType[*secrets.Error](err); !ok || se.Problem != secrets.ProblemBadID {
		t.Errorf("errors.As(%v) = %v, want a *secrets.Error with ProblemBadID", err, se)
	}
	noValues(t, err.Error())
}
