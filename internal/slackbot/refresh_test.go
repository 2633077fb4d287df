package slackbot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/streambot/streambot/internal/secrets"
)

// flakySecretsManager serves the Slack secret until down is set, then
// fails every read, counting them all.
type flakySecretsManager struct {
	down  atomic.Bool
	reads atomic.Int32
}

func (f *flakySecretsManager) GetSecretValue(context.Context, string) (secrets.SecretValue, error) {
	f.reads.Add(1)
	if f.down.Load() {
		return secrets.SecretValue{}, errors.New("ServiceUnavailableException: secrets manager is down")
	}
	return secrets.SecretValue{
		String: aws.String(`{"signing_secret":"` + testSecret + `","bot_token":"xoxb-test"}`),
	}, nil
}

// While Secrets Manager fails, forged requests (fresh timestamps, any
// signature) must not each make the edge re-read the signing secret: the
// failed re-read counts against the once-a-minute limit like a good one.
func TestForgedRequestsDoNotDriveSecretsManager(t *testing.T) {
	sm := &flakySecretsManager{}
	var (
		mu  sync.Mutex
		now = fixedNow
	)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	store := secrets.NewStore(func(k string) string {
		if k == secrets.EnvSlackSecretARN {
			return "arn:aws:secretsmanager:us-east-1:123456789012:secret:streambot/slack-AbCdEf"
		}
		return ""
	}, sm, secrets.WithClock(clock))
	h, err := New(Config{Secrets: store, Policy: loadPolicy(t, ""), Dispatcher: &fakeDispatcher{},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	env := &testEnv{h: h}
	body := slashForm("list")
	if rec := env.serve(signedRequest(body, testSecret, time.Now())); rec.Code != http.StatusOK {
		t.Fatalf("a good request: status %d, want 200", rec.Code)
	}

	// The cached secret is old enough to be re-read; then Secrets Manager
	// goes down and the forgeries come, concurrently and one by one.
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	sm.down.Store(true)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if rec := env.serve(signedRequest(body, "forged", time.Now())); rec.Code != http.StatusUnauthorized {
				t.Errorf("forged request: status %d, want 401", rec.Code)
			}
		})
	}
	wg.Wait()
	for range 10 {
		if rec := env.serve(signedRequest(body, "forged", time.Now())); rec.Code != http.StatusUnauthorized {
			t.Errorf("forged request: status %d, want 401", rec.Code)
		}
	}
	if n := sm.reads.Load(); n != 2 {
		t.Errorf("Secrets Manager reads = %d, want 2 (the first load and one failed re-read)", n)
	}
	// The good secret still works from the cache.
	if rec := env.serve(signedRequest(body, testSecret, time.Now())); rec.Code != http.StatusOK {
		t.Errorf("a good request after the forgeries: status %d, want 200", rec.Code)
	}

	// A minute after the failed attempt, a mismatch may try again.
	mu.Lock()
	now = now.Add(time.Minute + time.Second)
	mu.Unlock()
	env.serve(signedRequest(body, "forged", time.Now()))
	if n := sm.reads.Load(); n != 3 {
		t.Errorf("Secrets Manager reads = %d a minute later, want 3", n)
	}
}
