package secrets_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/streambot/streambot/internal/awsreq"
	"github.com/streambot/streambot/internal/secrets"
)

// fakeSM plays Secrets Manager: it answers each request with the next of
// answers (the last one repeats) and keeps the requests.
type fakeSM struct {
	*httptest.Server
	mu      sync.Mutex
	answers []func(http.ResponseWriter)
	got     []*http.Request
	bodies  []string
}

func newFakeSM(t *testing.T, answers ...func(http.ResponseWriter)) *fakeSM {
	f := &fakeSM{answers: answers}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.got = append(f.got, r)
		f.bodies = append(f.bodies, string(body))
		a := f.answers[min(len(f.got), len(f.answers))-1]
		f.mu.Unlock()
		a(w)
	}))
	t.Cleanup(f.Close)
	return f
}

func smAnswer(status int, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func fakeConfig() aws.Config {
	return aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}
}

// The Client sends what the AWS SDK's Secrets Manager client sends for
// GetSecretValue (method, path, X-Amz-Target, Content-Type, the JSON body,
// a SigV4 signature for secretsmanager in the region) and reads the same
// answer the same way.
func TestClientSpeaksLikeTheSDK(t *testing.T) {
	const value = `{"signing_secret":"s"}`
	f := newFakeSM(t, smAnswer(200, `{"ARN":"arn:x","Name":"n","SecretString":`+jsonString(value)+`,"VersionId":"v"}`))
	ctx := t.Context()
	sdk := secretsmanager.NewFromConfig(fakeConfig(), func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(f.URL) })
	want, err := sdk.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("streambot/slack")})
	if err != nil {
		t.Fatalf("SDK: %v", err)
	}
	got, err := secrets.NewClient(fakeConfig(), f.URL).GetSecretValue(ctx, "streambot/slack")
	if err != nil {
		t.Fatalf("Client: %v", err)
	}
	if got.String == nil || *got.String != aws.ToString(want.SecretString) || *got.String != value {
		t.Errorf("Client read %v, the SDK %q", got.String, aws.ToString(want.SecretString))
	}
	sdkReq, req := f.got[0], f.got[1]
	for _, h := range []string{"X-Amz-Target", "Content-Type"} {
		if req.Header.Get(h) != sdkReq.Header.Get(h) {
			t.Errorf("%s = %q, the SDK sends %q", h, req.Header.Get(h), sdkReq.Header.Get(h))
		}
	}
	if req.Method != sdkReq.Method || req.URL.Path != sdkReq.URL.Path {
		t.Errorf("%s %s, the SDK sends %s %s", req.Method, req.URL.Path, sdkReq.Method, sdkReq.URL.Path)
	}
	var a, b map[string]any
	if json.Unmarshal([]byte(f.bodies[1]), &a) != nil || json.Unmarshal([]byte(f.bodies[0]), &b) != nil || len(a) != 1 || a["SecretId"] != b["SecretId"] {
		t.Errorf("body %s, the SDK sends %s", f.bodies[1], f.bodies[0])
	}
	scope := "Credential=AKIDEXAMPLE/" + time.Now().UTC().Format("20060102") + "/eu-west-1/secretsmanager/aws4_request"
	if auth := req.Header.Get("Authorization"); !strings.Contains(auth, scope) {
		t.Errorf("Authorization = %q, want a SigV4 signature with %s", auth, scope)
	}
}

// A binary secret is read as such; an error answer keeps its code; a
// 503 is retried and a missing secret is not.
func TestClientAnswers(t *testing.T) {
	ctx := t.Context()
	f := newFakeSM(t, smAnswer(200, `{"SecretBinary":"AAEC"}`))
	got, err := secrets.NewClient(fakeConfig(), f.URL).GetSecretValue(ctx, "b")
	if err != nil || got.String != nil || string(got.Binary) != "\x00\x01\x02" {
		t.Errorf("binary secret: %+v, %v", got, err)
	}

	f = newFakeSM(t, smAnswer(400, `{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}`))
	_, err = secrets.NewClient(fakeConfig(), f.URL).GetSecretValue(ctx, "absent")
	if ae, ok := errors.AsType[*awsreq.Error](err); !ok || ae.Code != "ResourceNotFoundException" || len(f.got) != 1 {
		t.Errorf("missing secret: %v after %d requests, want ResourceNotFoundException after 1", err, len(f.got))
	}

	f = newFakeSM(t, smAnswer(503, `{}`), smAnswer(400, `{"__type":"ThrottlingException"}`), smAnswer(200, `{"SecretString":"{}"}`))
	c := secrets.NewClient(fakeConfig(), f.URL)
	var waits []time.Duration
	c.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	got, err = c.GetSecretValue(ctx, "flaky")
	if err != nil || got.String == nil || len(f.got) != 3 || len(waits) != 2 || c.MaxAttempts() != 3 {
		t.Errorf("after a 503 and a throttle: %+v, %v after %d requests and waits %v; want the secret on the 3rd of 3 attempts", got, err, len(f.got), waits)
	}
}

// The endpoint: the argument, else the config's, else the region's.
func TestNewClientEndpoint(t *testing.T) {
	for _, tc := range []struct {
		cfg      aws.Config
		endpoint string
		want     string
	}{
		{aws.Config{Region: "us-east-1"}, "", "https://secretsmanager.us-east-1.amazonaws.com"},
		{aws.Config{Region: "cn-north-1"}, "", "https://secretsmanager.cn-north-1.amazonaws.com.cn"},
		{aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:5000/")}, "", "http://127.0.0.1:5000"},
		{aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:5000")}, "http://127.0.0.1:9/", "http://127.0.0.1:9"},
	} {
		if got := secrets.NewClient(tc.cfg, tc.endpoint).Endpoint(); got != tc.want {
			t.Errorf("NewClient(%s, %q) calls %s, want %s", tc.cfg.Region, tc.endpoint, got, tc.want)
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
