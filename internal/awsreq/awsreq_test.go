package awsreq

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

func TestSign(t *testing.T) {
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}
	req, _ := http.NewRequest(http.MethodPost, "https://dynamodb.eu-west-1.amazonaws.com/", strings.NewReader("{}"))
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	if err := Sign(t.Context(), v4.NewSigner(), cfg, req, []byte("{}"), "dynamodb", now); err != nil {
		t.Fatal(err)
	}
	auth := req.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/eu-west-1/dynamodb/aws4_request") {
		t.Errorf("Authorization = %q, want a SigV4 signature for dynamodb in eu-west-1 on 2026-12-07", auth)
	}
	// the payload's SHA-256 of "{}"
	if got := req.Header.Get("X-Amz-Content-Sha256"); got != "" && got != "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" {
		t.Errorf("X-Amz-Content-Sha256 = %q", got)
	}
}

func TestSignCredentialsFail(t *testing.T) {
	cfg := aws.Config{Region: "eu-west-1", Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no role")
	})}
	req, _ := http.NewRequest(http.MethodPost, "https://example.invalid/", nil)
	err := Sign(t.Context(), v4.NewSigner(), cfg, req, nil, "lambda", time.Now())
	if err == nil || !strings.Contains(err.Error(), "credentials: no role") || req.Header.Get("Authorization") != "" {
		t.Errorf("Sign = %v (Authorization %q), want the credentials' error and no signature", err, req.Header.Get("Authorization"))
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(t.Context(), time.Millisecond); err != nil {
		t.Errorf("Sleep(1ms) = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled ctx = %v, want context.Canceled", err)
	}
}
