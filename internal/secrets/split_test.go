package secrets_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/secrets"
)

// recording counts reads per secret.
type recording struct {
	api  secrets.GetSecretValueAPI
	mu   sync.Mutex
	read map[string]int
}

func (r *recording) GetSecretValue(ctx context.Context, id string) (secrets.SecretValue, error) {
	r.mu.Lock()
	r.read[id]++
	r.mu.Unlock()
	return r.api.GetSecretValue(ctx, id)
}

// With the split secrets each function reads only what it was given: the
// worker (bot token only) never touches the signing secret, and the edge's
// re-read after a signature mismatch reads the signing secret alone.
func TestSplitSlackSecrets(t *testing.T) {
	sm := moto(t)
	signingARN := createSecret(t, sm, `{"signing_secret":"`+signingSecret+`"}`)
	botARN := createSecret(t, sm, `{"bot_token":"`+botToken+`"}`)
	ctx := context.Background()

	t.Run("worker: bot token only", func(t *testing.T) {
		api := &recording{api: sm, read: map[string]int{}}
		s := secrets.NewStore(env(map[string]string{secrets.EnvSlackBotTokenARN: botARN}), api)
		for range 2 {
			got, err := s.Slack(ctx)
			if err != nil || got.BotToken != botToken || got.SigningSecret != "" {
				t.Fatalf("Slack() = %v, %v; want the bot token alone", got, err)
			}
		}
		if api.read[botARN] != 1 || len(api.read) != 1 {
			t.Errorf("reads = %v, want the bot token's secret once and nothing else", api.read)
		}
	})
	t.Run("edge: both, re-read of the signing secret alone", func(t *testing.T) {
		api := &recording{api: sm, read: map[string]int{}}
		clk := &clock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
		s := secrets.NewStore(env(map[string]string{secrets.EnvSlackSigningARN: signingARN, secrets.EnvSlackBotTokenARN: botARN,
			secrets.EnvSlackSecretARN: "streambot/ignored-when-split"}), api, secrets.WithClock(clk.Now))
		got, err := s.Slack(ctx)
		if err != nil || got.BotToken != botToken || got.SigningSecret != signingSecret {
			t.Fatalf("Slack() = %v, %v; want both values", got, err)
		}
		clk.Add(2 * time.Minute)
		if _, refreshed, err := s.RefreshSlack(ctx, time.Minute); err != nil || !refreshed {
			t.Errorf("RefreshSlack = %v, %v; want a re-read", refreshed, err)
		}
		if _, refreshed, _ := s.RefreshSlack(ctx, time.Minute); refreshed {
			t.Error("a second RefreshSlack within the minute re-read the secret")
		}
		if api.read[signingARN] != 2 || api.read[botARN] != 1 || len(api.read) != 2 {
			t.Errorf("reads = %v, want the signing secret twice and the bot token once", api.read)
		}
	})
	t.Run("a secret without its key", func(t *testing.T) {
		s := secrets.NewStore(env(map[string]string{secrets.EnvSlackBotTokenARN: signingARN}), sm)
		if _, err := s.Slack(ctx); err == nil {
			t.Error("Slack() with a bot-token secret lacking bot_token = nil error")
		}
	})
}
