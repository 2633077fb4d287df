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
func verify(header http.Header, body, secret string) error {
	return verifySigned(signedBy(header), body, secret)
}

// sigHeaders is a request's X-Slack-Signature and X-Slack-Request-Timestamp:
// the edge carries the two strings rather than a whole http.Header, which
// the API Gateway path would have to build for every event.
type sigHeaders struct{ signature, timestamp string }

// signedBy returns the signature headers of header.
func signedBy(header http.Header) sigHeaders {
	return sigHeaders{header.Get("X-Slack-Signature"), header.Get("X-Slack-Request-Timestamp")}
}

// verifySigned is verify with the two headers read. The signature check is
// slack-go's (a solved problem, kept in one well-used place); its HMAC
// reads body in place.
func verifySigned(sig sigHeaders, body, secret string) error {
	h := http.Header{}
	if sig.signature != "" {
		h["X-Slack-Signature"] = []string{sig.signature}
	}
	if sig.timestamp != "" {
		h["X-Slack-Request-Timestamp"] = []string{sig.timestamp}
	}
	sv, err := slack.NewSecretsVerifier(h, secret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(bytesOf(body)); err != nil { // the HMAC reads it, keeps nothing
		return err
	}
	if sv.Ensure() != nil {
		return errMismatch
	}
	return nil
}
