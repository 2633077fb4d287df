package slackbot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slack-go/slack"
)

// Slack's worked example from "Verifying requests from Slack"
// (https://docs.slack.dev/authentication/verifying-requests-from-slack).
const (
	docSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	docTimestamp = "1531420618"
	docBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	docSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

// sign computes Slack's v0 signature independently of slack-go.
func sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + timestamp + ":"))
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

func sigHeader(timestamp, signature string) http.Header {
	h := http.Header{}
	if timestamp != "" {
		h.Set("X-Slack-Request-Timestamp", timestamp)
	}
	if signature != "" {
		h.Set("X-Slack-Signature", signature)
	}
	return h
}

// TestVerifySlackExample checks Slack's documented example with the clock
// set to the example's own time: slack-go reads the wall clock, so the test
// runs in a synctest bubble, whose fake clock it advances to 1531420618.
func TestVerifySlackExample(t *testing.T) {
	ts, _ := strconv.ParseInt(docTimestamp, 10, 64)
	example := time.Unix(ts, 0)
	tests := []struct {
		name    string
		at      time.Time // the wall clock when verifying
		body    string
		secret  string
		wantErr error // nil: verifies
	}{
		{"documented example", example, docBody, docSecret, nil},
		{"4m59s later", example.Add(4*time.Minute + 59*time.Second), docBody, docSecret, nil},
		{"4m59s earlier", example.Add(-4*time.Minute - 59*time.Second), docBody, docSecret, nil},
		{"tampered body", example, docBody[:len(docBody)-1] + "d", docSecret, errMismatch},
		{"wrong secret", example, docBody, "8f742231b10e8888abcd99yyyzzz85a6", errMismatch},
		{"stale: 5m01s later", example.Add(5*time.Minute + time.Second), docBody, docSecret, slack.ErrExpiredTimestamp},
		{"future: 5m01s earlier", example.Add(-5*time.Minute - time.Second), docBody, docSecret, slack.ErrExpiredTimestamp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				time.Sleep(time.Until(tc.at)) // the bubble's clock jumps there
				err := verify(sigHeader(docTimestamp, docSignature), tc.body, tc.secret)
				if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
					t.Errorf("verify(example) at %v = %v, want %v", tc.at.UTC(), err, tc.wantErr)
				}
			})
		})
	}
}

func TestVerify(t *testing.T) {
	const secret = "s3cr3t"
	body := []byte("team_id=T1&text=create+orders-ws")
	now := time.Now()
	fresh := strconv.FormatInt(now.Unix(), 10)
	stale := strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10)
	future := strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10)
	good := sign(secret, fresh, body)
	tests := []struct {
		name      string
		header    http.Header
		body      []byte
		secret    string
		wantErr   error // checked with errors.Is when set
		wantValid bool
	}{
		{name: "valid", header: sigHeader(fresh, good), body: body, secret: secret, wantValid: true},
		{name: "upper-case hex is the same signature", header: sigHeader(fresh, "v0="+strings.ToUpper(good[3:])), body: body, secret: secret, wantValid: true},
		{name: "tampered body", header: sigHeader(fresh, good), body: []byte("team_id=T1&text=create+orders-wz"), secret: secret, wantErr: errMismatch},
		{name: "wrong secret", header: sigHeader(fresh, good), body: body, secret: "other", wantErr: errMismatch},
		{name: "stale", header: sigHeader(stale, sign(secret, stale, body)), body: body, secret: secret, wantErr: slack.ErrExpiredTimestamp},
		{name: "future", header: sigHeader(future, sign(secret, future, body)), body: body, secret: secret, wantErr: slack.ErrExpiredTimestamp},
		{name: "missing signature", header: sigHeader(fresh, ""), body: body, secret: secret, wantErr: slack.ErrMissingHeaders},
		{name: "missing timestamp", header: sigHeader("", good), body: body, secret: secret, wantErr: slack.ErrMissingHeaders},
		{name: "no headers", header: http.Header{}, body: body, secret: secret, wantErr: slack.ErrMissingHeaders},
		{name: "no v0 prefix", header: sigHeader(fresh, good[3:]), body: body, secret: secret, wantErr: slack.ErrInvalidSignature},
		{name: "v1 scheme", header: sigHeader(fresh, "v1="+good[3:]), body: body, secret: secret, wantErr: slack.ErrInvalidSignature},
		{name: "short signature", header: sigHeader(fresh, good[:41]), body: body, secret: secret, wantErr: slack.ErrInvalidSignature},
		{name: "not hex", header: sigHeader(fresh, "v0=zz"+good[5:]), body: body, secret: secret},
		{name: "timestamp not a number", header: sigHeader("yesterday", sign(secret, "yesterday", body)), body: body, secret: secret},
		{name: "timestamp in ms", header: sigHeader(fresh+"000", sign(secret, fresh+"000", body)), body: body, secret: secret, wantErr: slack.ErrExpiredTimestamp},
		{name: "no secret configured", header: sigHeader(fresh, sign("", fresh, body)), body: body, secret: "", wantErr: slack.ErrInvalidConfiguration},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := verify(tc.header, string(tc.body), tc.secret)
			switch {
			case tc.wantValid && err != nil:
				t.Errorf("verify() = %v, want nil", err)
			case !tc.wantValid && err == nil:
				t.Errorf("verify() = nil, want an error")
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Errorf("verify() = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// slackGoVerify is slack-go's verifier, which verify replaces: verify
// must decide as it does.
func slackGoVerify(header http.Header, body []byte, secret string) error {
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

// FuzzVerify: verify never panics, decides as slack-go's verifier does, and it passes a request only when the
// signature is the HMAC of exactly this timestamp and body under the secret
// and the timestamp is within five minutes. A correctly signed fresh
// request always passes, and changing one byte of its body makes it fail.
func FuzzVerify(f *testing.F) {
	now := strconv.FormatInt(time.Now().Unix(), 10)
	f.Add([]byte(docBody), docTimestamp, docSignature, docSecret)
	f.Add([]byte(docBody), now, sign(docSecret, now, []byte(docBody)), docSecret)
	f.Add([]byte("text=help"), now, sign("k", now, []byte("text=help")), "k")
	f.Add([]byte(""), now, "v0=", "k")
	f.Add([]byte("x"), "+"+now, sign("k", "+"+now, []byte("x")), "k")
	f.Add([]byte("x"), "-9223372036854775808", "v0=00", "k")
	f.Add([]byte("x"), now, "v0=abc", "k")
	f.Add([]byte("x"), now, "v0=ab"+strings.Repeat("g", 62), "k")
	f.Add([]byte("x"), now, "v0="+strings.Repeat("a", 63)+"g", "k")
	f.Add([]byte("x"), "x", "v0="+strings.Repeat("a", 64), "k")
	f.Add([]byte("x"), "9223372036854775807", sign("k", "9223372036854775807", []byte("x")), "k")
	f.Fuzz(func(t *testing.T, body []byte, timestamp, signature, secret string) {
		start := time.Now()
		err := verify(sigHeader(timestamp, signature), string(body), secret)
		ts, perr := strconv.ParseInt(timestamp, 10, 64)
		// slack-go's verifier decides the same, with the same error (but
		// within a second of the five minutes, where the clock moved).
		if edge := time.Since(time.Unix(ts, 0)).Abs() - 5*time.Minute; perr != nil || edge.Abs() > time.Second {
			if want := slackGoVerify(sigHeader(timestamp, signature), body, secret); fmt.Sprint(err) != fmt.Sprint(want) {
				t.Fatalf("verify(%q, %q, %q) = %v; slack-go's verifier: %v", timestamp, signature, secret, err, want)
			}
		}
		if err == nil {
			// The hex digits may be in either case: they are the same bytes.
			if want := sign(secret, timestamp, body); !strings.EqualFold(signature, want) || signature[:3] != "v0=" {
				t.Fatalf("verify passed signature %q, want only %q", signature, want)
			}
			if secret == "" || perr != nil {
				t.Fatalf("verify passed with secret %q, timestamp %q", secret, timestamp)
			}
			if d := time.Since(time.Unix(ts, 0)).Abs(); d > 5*time.Minute+time.Minute {
				t.Fatalf("verify passed a timestamp %v away", d)
			}
		}
		if secret == "" || perr != nil {
			return
		}
		// The correctly signed request: passes when clearly fresh, fails
		// when clearly stale or future (no assertion near the edge).
		good := sign(secret, timestamp, body)
		err = verify(sigHeader(timestamp, good), string(body), secret)
		d := start.Sub(time.Unix(ts, 0)).Abs()
		if d < 4*time.Minute && err != nil {
			t.Fatalf("verify(correctly signed, %v old) = %v, want nil", d, err)
		}
		if d > 6*time.Minute && d < 1<<62 && err == nil {
			t.Fatalf("verify(correctly signed, %v away) = nil, want an error", d)
		}
		if len(body) > 0 {
			tampered := append([]byte(nil), body...)
			tampered[len(tampered)/2] ^= 0x01
			if err := verify(sigHeader(timestamp, good), string(tampered), secret); err == nil {
				t.Fatalf("verify(tampered body) = nil, want an error")
			}
		}
	})
}
