package slackbot

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/streambot/streambot/internal/provision"
)

// The ways FuzzHandleEvent signs an event.
const (
	sigNone    = iota // no signature header
	sigCorrect        // Slack's signature over the body as sent (base64-decoded)
	sigEncoded        // a signature over the base64 text instead of the body
	sigGiven          // the fuzzer's own header value
	sigModes
)

// FuzzHandleEvent feeds arbitrary API Gateway HTTP API events to
// [Handler.Handle]: any method, header names in any case (a second copy of
// a Slack header under another case included), any body, base64 or not,
// signed correctly, wrongly or not at all, at any age. Handle never panics
// and never returns an error (the secrets are always readable here), and a
// Job reaches the dispatcher only when the event carries a fresh timestamp
// and a signature that is Slack's HMAC of exactly the body the handler
// read. A dispatched Job names the team, channel and user of that signed
// body.
func FuzzHandleEvent(f *testing.F) {
	create := slashForm("create orders-ws --region VIRGINIA_USA")
	f.Add("POST", create, false, uint8(sigCorrect), int64(0), false, "", "")
	f.Add("POST", create, true, uint8(sigCorrect), int64(0), true, "", "")
	f.Add("POST", create, true, uint8(sigEncoded), int64(0), false, "", "")
	f.Add("POST", create, true, uint8(sigCorrect), int64(-301), false, "", "")
	f.Add("POST", create, true, uint8(sigCorrect), int64(299), false, "X-SLACK-SIGNATURE", "v0=00")
	f.Add("POST", create, false, uint8(sigCorrect), int64(0), false, "x-slack-request-timestamp", "1531420618")
	f.Add("POST", docBody, false, uint8(sigGiven), int64(0), false, "x-slack-request-timestamp", docSignature)
	f.Add("GET", create, false, uint8(sigCorrect), int64(0), false, "", "")
	f.Add("POST", "ssl_check=1&token=x", false, uint8(sigNone), int64(0), false, "", "")
	f.Add("POST", "text=%zz&user_id=U0CREATOR", false, uint8(sigCorrect), int64(0), false, "", "")
	f.Add("POST", "!!not base64!!", true, uint8(sigCorrect), int64(0), false, "", "")
	f.Add("", "", false, uint8(sigNone), int64(0), false, "Content-Type", "application/json")

	disp := &countingDispatcher{}
	h, err := New(Config{
		Secrets:    newFakeSecrets(testSecret),
		Policy:     loadPolicy(f, ""),
		Dispatcher: disp,
		Groups:     &fakeGroups{},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, method, body string, isBase64 bool, mode uint8, age int64, upper bool, extraKey, extraValue string) {
		now := time.Now()
		ts := strconv.FormatInt(now.Unix()-age, 10)
		wire := body // what API Gateway puts in the event
		if isBase64 {
			wire = base64.StdEncoding.EncodeToString([]byte(body))
		}
		sigName, tsName := "x-slack-signature", "x-slack-request-timestamp"
		if upper {
			sigName, tsName = "X-Slack-Signature", "X-Slack-Request-Timestamp"
		}
		headers := map[string]string{tsName: ts, "content-type": "application/x-www-form-urlencoded"}
		switch mode % sigModes {
		case sigCorrect:
			headers[sigName] = sign(testSecret, ts, []byte(body))
		case sigEncoded:
			headers[sigName] = sign(testSecret, ts, []byte(wire))
		case sigGiven:
			headers[sigName] = extraValue
		}
		if extraKey != "" {
			headers[extraKey] = extraValue
		}
		ev := events.APIGatewayV2HTTPRequest{
			Version: "2.0", RawPath: "/slack/commands", Headers: headers, Body: wire, IsBase64Encoded: isBase64,
			RequestContext: events.APIGatewayV2HTTPRequestContext{
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: "/slack/commands"},
			},
		}

		before, _ := disp.last()
		resp, err := h.Handle(t.Context(), ev)
		if err != nil {
			t.Fatalf("Handle returned an error with the secrets available: %v", err)
		}
		if resp.StatusCode < 200 || resp.StatusCode > 599 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		after, job := disp.last()
		if after == before {
			return
		}
		if after != before+1 {
			t.Fatalf("one event dispatched %d Jobs", after-before)
		}

		// Dispatched: the handler must have read exactly body and found a
		// fresh, matching signature among the headers it was given.
		if method != http.MethodPost {
			t.Fatalf("a %q request was dispatched", method)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("dispatched, but answered %d", resp.StatusCode)
		}
		if !signedFresh(headers, []byte(body), now) {
			t.Fatalf("dispatched %+v from a body without a fresh matching signature; headers %q", job, headers)
		}
		if form, err := url.ParseQuery(body); err == nil {
			if job.Slack == nil || job.Slack.TeamID != form.Get("team_id") || job.Slack.ChannelID != form.Get("channel_id") ||
				job.Slack.UserID != form.Get("user_id") {
				t.Fatalf("Job %+v does not name the signed body's team, channel and user", job.Slack)
			}
		}
	})
}

// countingDispatcher counts the Jobs it is given and keeps the last one
// (fakeDispatcher keeps them all, which a long fuzzing run cannot afford).
type countingDispatcher struct {
	mu  sync.Mutex
	n   int
	job provision.Job
}

func (d *countingDispatcher) Dispatch(_ context.Context, job provision.Job) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n++
	d.job = job
	return nil
}

func (d *countingDispatcher) last() (int, provision.Job) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n, d.job
}

// signedFresh reports whether some signature header and some timestamp
// header among headers (names in any case: the fuzzer may add a second
// copy, and the handler may read either) sign body with testSecret, with a
// timestamp within five minutes of now.
func signedFresh(headers map[string]string, body []byte, now time.Time) bool {
	for sk, sig := range headers {
		if !strings.EqualFold(sk, "X-Slack-Signature") {
			continue
		}
		for tk, ts := range headers {
			if !strings.EqualFold(tk, "X-Slack-Request-Timestamp") {
				continue
			}
			sec, err := strconv.ParseInt(ts, 10, 64)
			if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute+time.Second {
				continue
			}
			if strings.EqualFold(sig, sign(testSecret, ts, body)) {
				return true
			}
		}
	}
	return false
}
