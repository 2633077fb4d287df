package slackbot

import (
	"errors"
	"net/http"

	"github.com/slack-go/slack"
)

// errMismatch is a well-formed, fresh signature that does not match the body
// under the secret tried: the one failure a rotated secret can explain.
var errMismatch = errors.New("signature does not match")

// verify checks Slack's v0 request signature: HMAC-SHA256 over
// "v0:<X-Slack-Request-Timestamp>:<body>" keyed with the signing secret,
// compared in constant time with X-Slack-Signature. It uses slack-go's
// verifier, which also refuses a missing header, a malformed signature or
// timestamp, and a timestamp more than five minutes from the wall clock in
// either direction (it compares the absolute difference), so stale and
// future-dated requests are both refused without a check of our own.
//
// body must be the raw bytes Slack signed (after base64 decoding on the
// API Gateway path). A mismatch is reported as errMismatch; every other
// failure is the verifier's own error.
//
// See https://docs.slack.dev/authentication/verifying-requests-from-slack
func verify(header http.Header, body []byte, secret string) error {
	sv, err := slack.NewSecretsVerifier(header, secret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	if sv.Ensure() != nil {
		return errMismatch
	}
	return nil
}
