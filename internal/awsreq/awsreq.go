// Package awsreq holds what streambot's small AWS clients share: the Slack
// function's Lambda Invoke (internal/dispatch), and the JSON-protocol
// client ([JSONClient]: signing, the SDK's retries, errors) under the state
// table's DynamoDB client (internal/state) and the secrets' Secrets
// Manager client (internal/secrets). They make the handful of calls the
// AWS SDK's service clients would make, without those clients' size and
// package initialization, and sign them with the SDK's own SigV4 signer.
package awsreq

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Sign signs req, whose body is body, for service in cfg.Region with the
// credentials cfg provides, as the SDK's clients do: Signature Version 4
// over the payload's SHA-256, at now.
func Sign(ctx context.Context, signer *v4.Signer, cfg aws.Config, req *http.Request, body []byte, service string, now time.Time) error {
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, cfg.Region, now); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	return nil
}

// Sleep waits d, or until ctx is done (then it returns ctx's error): the
// wait between two attempts of a call.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
