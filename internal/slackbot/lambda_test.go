package slackbot

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply"
)

// loadEvent reads the API Gateway HTTP API (payload 2.0) event in testdata:
// Slack's documented example request, as API Gateway hands it to Lambda
// (lower-case header names, base64 form body).
func loadEvent(t testing.TB) events.APIGatewayV2HTTPRequest {
	t.Helper()
	data, err := os.ReadFile("testdata/http_api_v2_slash_command.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatalf("unmarshal event: %v", err)
	}
	return ev
}

// withBody returns ev carrying body, signed now with secret.
func withBody(ev events.APIGatewayV2HTTPRequest, body, secret string, base64Encoded bool) events.APIGatewayV2HTTPRequest {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	h := make(map[string]string, len(ev.Headers))
	for k, v := range ev.Headers {
		h[k] = v
	}
	h["x-slack-request-timestamp"] = ts
	h["x-slack-signature"] = sign(secret, ts, []byte(body))
	h["content-length"] = strconv.Itoa(len(body))
	ev.Headers = h
	ev.IsBase64Encoded = base64Encoded
	ev.Body = body
	if base64Encoded {
		ev.Body = base64.StdEncoding.EncodeToString([]byte(body))
	}
	return ev
}

func ackOf(t *testing.T, resp events.APIGatewayV2HTTPResponse) reply.Ack {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d (%q), want 200", resp.StatusCode, resp.Body)
	}
	if resp.Headers["Content-Type"] != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", resp.Headers["Content-Type"])
	}
	var a reply.Ack
	if err := json.Unmarshal([]byte(resp.Body), &a); err != nil {
		t.Fatalf("body %q is not an ack: %v", resp.Body, err)
	}
	return a
}

// TestHandleSlackExampleEvent runs Slack's documented request, exactly as
// signed in Slack's docs, through the Lambda entry point at the example's
// own time. Its text is empty, so the answer is the help.
func TestHandleSlackExampleEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts, _ := strconv.ParseInt(docTimestamp, 10, 64)
		time.Sleep(time.Until(time.Unix(ts, 0)))
		env := newTestEnv(t, "", nil)
		env.secrets.cached.SigningSecret = docSecret
		resp, err := env.h.Handle(t.Context(), loadEvent(t))
		if err != nil {
			t.Fatalf("Handle: %v", err)
		}
		a := ackOf(t, resp)
		if !strings.Contains(a.Text, "/stream create &lt;name&gt;") {
			t.Errorf("ack text = %q, want the help", a.Text)
		}
		if n := len(env.dispatch.Jobs()); n != 0 {
			t.Errorf("dispatched %d jobs, want none", n)
		}

		// One minute past the window the same request is refused.
		time.Sleep(5*time.Minute + time.Second)
		resp, err = env.h.Handle(t.Context(), loadEvent(t))
		if err != nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Handle(stale example) = %d, %v; want 401, nil", resp.StatusCode, err)
		}
	})
}

func TestHandleCreateEvent(t *testing.T) {
	body := slashForm("create orders-ws --region us-east-1 --project <@U0CREATOR>", "user_name", "<!channel>")
	for _, b64 := range []bool{true, false} {
		t.Run("base64="+strconv.FormatBool(b64), func(t *testing.T) {
			env := newTestEnv(t, "", nil)
			resp, err := env.h.Handle(t.Context(), withBody(loadEvent(t), body, testSecret, b64))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			a := ackOf(t, resp)
			if !strings.Contains(a.Text, "&lt;@U0CREATOR&gt;") || strings.ContainsAny(a.Text, "<>") {
				t.Errorf("ack text = %q, want the mention escaped", a.Text)
			}

			body := slashForm("create orders-ws --region us-east-1 --tier SP50")
			resp, err = env.h.Handle(t.Context(), withBody(loadEvent(t), body, testSecret, b64))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			a = ackOf(t, resp)
			if want := "Working on it: creating `orders-ws` in AWS / VIRGINIA_USA (SP50)…\n• project: dev\n• region: us-east-1 → VIRGINIA_USA"; a.Text != want {
				t.Errorf("ack text = %q, want %q", a.Text, want)
			}
			want := []provision.Job{{ID: testTrigger, Action: provision.ActionCreate, GroupID: devGroupID, ProjectAlias: "dev",
				Name: "orders-ws", Provider: "AWS", Region: "VIRGINIA_USA", RegionInput: "us-east-1", Tier: "SP50",
				Slack: slackTarget("U0CREATOR", "C0DEV"), RequestedAt: fixedNow,
				Offers: []string{"delete"}}} // the creator may delete on dev: the answer gets Delete…
			if diff := cmp.Diff(want, env.dispatch.Jobs()); diff != "" {
				t.Errorf("jobs mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandleRefusals(t *testing.T) {
	body := slashForm("create orders-ws --region VIRGINIA_USA")
	tests := []struct {
		name       string
		event      func(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest
		wantStatus int
	}{
		{
			name: "GET",
			event: func(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
				ev = withBody(ev, body, testSecret, true)
				ev.RequestContext.HTTP.Method = http.MethodGet
				return ev
			},
			wantStatus: http.StatusMethodNotAllowed,
		},
		{
			name: "bad signature",
			event: func(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
				return withBody(ev, body, "wrong", true)
			},
			wantStatus: http.StatusUnauthorized,
		},
		{
			name: "signature over the encoded body",
			event: func(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
				ev = withBody(ev, body, testSecret, true)
				ts := ev.Headers["x-slack-request-timestamp"]
				ev.Headers["x-slack-signature"] = sign(testSecret, ts, []byte(ev.Body))
				return ev
			},
			wantStatus: http.StatusUnauthorized,
		},
		{
			name: "missing signature headers",
			event: func(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
				ev = withBody(ev, body, testSecret, true)
				delete(ev.Headers, "x-slack-signature")
				delete(ev.Headers, "x-slack-request-timestamp")
				return ev
			},
			wantStatus: http.StatusUnauthorized,
		},
		{
			name: "base64 body over 64 KiB",
			event: func(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
				return withBody(ev, body+"&pad="+strings.Repeat("x", MaxBodyBytes), testSecret, true)
			},
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name: "plain body over 64 KiB",
			event: func(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
				return withBody(ev, body+"&pad="+strings.Repeat("x", MaxBodyBytes), testSecret, false)
			},
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name: "malformed base64",
			event: func(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
				ev = withBody(ev, body, testSecret, true)
				ev.Body = "!!" + ev.Body
				return ev
			},
			wantStatus: http.StatusBadRequest,
		},
		{
			name: "ssl_check",
			event: func(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
				ev.Body = base64.StdEncoding.EncodeToString([]byte("ssl_check=1&token=xyzz0WbapA4vBCDEFasx0q6G"))
				return ev
			},
			wantStatus: http.StatusOK,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, "", nil)
			resp, err := env.h.Handle(t.Context(), tc.event(loadEvent(t)))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d (%q), want %d", resp.StatusCode, resp.Body, tc.wantStatus)
			}
			if n := len(env.dispatch.Jobs()); n != 0 {
				t.Errorf("dispatched %d jobs, want none", n)
			}
		})
	}
}

func TestHandleInfrastructureFault(t *testing.T) {
	env := newTestEnv(t, "", nil)
	wantErr := errors.New("secrets manager unreachable")
	env.secrets.err = wantErr
	_, err := env.h.Handle(t.Context(), withBody(loadEvent(t), slashForm("list"), testSecret, true))
	if !errors.Is(err, wantErr) {
		t.Errorf("Handle() error = %v, want %v", err, wantErr)
	}
}

// BenchmarkAck measures the whole ack path in Lambda: an HTTP API v2 event
// (base64 form body, as API Gateway sends it) in, signature check, parse,
// policy check, Job built and handed to an in-memory dispatcher, ack out.
func BenchmarkAck(b *testing.B) {
	st := newBenchState()
	h, err := New(Config{
		Secrets:    newFakeSecrets(testSecret),
		Policy:     loadPolicy(b, ""),
		Dispatcher: discardDispatcher{},
		Logger:     slogDiscard,
		State:      st,
	})
	if err != nil {
		b.Fatal(err)
	}
	evs := make([]events.APIGatewayV2HTTPRequest, benchRequests)
	for i := range evs {
		evs[i] = withBody(loadEvent(b), slashForm("create orders-ws --region us-east-1 --tier SP30", "trigger_id", benchTrigger(i)), testSecret, true)
	}
	benchLoop(b, h, st, evs, func(resp events.APIGatewayV2HTTPResponse) bool {
		return resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Body, `{"response_type":"ephemeral","text":"Working on it`)
	})
}

var slogDiscard = slog.New(slog.DiscardHandler)

type discardDispatcher struct{}

func (discardDispatcher) Dispatch(context.Context, provision.Job) error { return nil }
