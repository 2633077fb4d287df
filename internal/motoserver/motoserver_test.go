package motoserver_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/streambot/streambot/internal/motoserver"
)

func TestMain(m *testing.M) {
	defer motoserver.StopShared()
	m.Run()
}

// roundTrip stores a secret through the real SDK and reads it back.
func roundTrip(t *testing.T, endpoint, name string) {
	t.Helper()
	ctx := context.Background()
	sm := secretsmanager.NewFromConfig(motoserver.Config(ctx, endpoint))
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(name),
		SecretString: aws.String(`{"k":"v"}`),
	}); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatalf("GetSecretValue: %v", err)
	}
	if got := aws.ToString(out.SecretString); got != `{"k":"v"}` {
		t.Errorf("SecretString = %q, want %q", got, `{"k":"v"}`)
	}
}

func TestStart(t *testing.T) {
	endpoint := motoserver.Start(t)
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatalf("endpoint %q: %v", endpoint, err)
	}
	if u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" {
		t.Errorf("endpoint = %q, want http://127.0.0.1:PORT", endpoint)
	}
	roundTrip(t, endpoint, "start")
}

func TestStartTwiceGivesIsolatedServers(t *testing.T) {
	a, b := motoserver.Start(t), motoserver.Start(t)
	if a == b {
		t.Fatalf("both servers at %s", a)
	}
	// The same name in both: no clash, because each server has its own state.
	roundTrip(t, a, "same-name")
	roundTrip(t, b, "same-name")
}

// sharedSeq numbers TestShared's runs in this process.
var sharedSeq atomic.Int64

func TestShared(t *testing.T) {
	a := motoserver.Shared(t)
	b := motoserver.Shared(t)
	if a != b {
		t.Errorf("Shared returned %q then %q, want one server", a, b)
	}
	// The shared server outlives one run of the test (go test -count=N):
	// a name of its own each time.
	roundTrip(t, a, fmt.Sprintf("shared-%s-%d", t.Name(), sharedSeq.Add(1)))
	// werkzeug logs each request, a moment after answering it.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for !strings.Contains(motoserver.SharedLogs(), "POST / HTTP/1.1") && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if logs := motoserver.SharedLogs(); !strings.Contains(logs, "POST / HTTP/1.1") {
		t.Errorf("SharedLogs() = %q, want the request log", logs)
	}
}

func TestConfig(t *testing.T) {
	cfg := motoserver.Config(context.Background(), "http://127.0.0.1:1")
	if cfg.Region != motoserver.Region {
		t.Errorf("Region = %q, want %q", cfg.Region, motoserver.Region)
	}
	if got := aws.ToString(cfg.BaseEndpoint); got != "http://127.0.0.1:1" {
		t.Errorf("BaseEndpoint = %q", got)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if creds.AccessKeyID != "testing" {
		t.Errorf("AccessKeyID = %q, want testing", creds.AccessKeyID)
	}
}
