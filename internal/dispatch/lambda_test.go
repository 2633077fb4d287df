package dispatch

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
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/provision"
)

// fakeInvoker is a Invoker; invokeFn decides the answer.
type fakeInvoker struct {
	mu       sync.Mutex
	inputs   []*lambda.InvokeInput
	invokeFn func(in *lambda.InvokeInput) (*lambda.InvokeOutput, error)
}

func (f *fakeInvoker) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	f.mu.Lock()
	f.inputs = append(f.inputs, in)
	f.mu.Unlock()
	return f.invokeFn(in)
}

func testJob() provision.Job {
	return provision.Job{ID: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c", Action: provision.ActionCreate,
		GroupID: "6a1b2c3d4e5f6a7b8c9d0e1f", Name: "orders-ws", Provider: "AWS", Region: "VIRGINIA_USA", Tier: "SP30",
		Slack: &provision.SlackTarget{TeamID: "T1DC2JH3J", ChannelID: "C0DEV", UserID: "U0CREATOR",
			ResponseURL: "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN"},
		RequestedAt: time.Date(2025, 3, 12, 9, 30, 0, 0, time.UTC)}
}

func TestLambda(t *testing.T) {
	invokeErr := errors.New("throttled")
	tests := []struct {
		name    string
		out     *lambda.InvokeOutput
		err     error
		wantErr bool
	}{
		{name: "202", out: &lambda.InvokeOutput{StatusCode: 202}},
		{name: "200 is not an async accept", out: &lambda.InvokeOutput{StatusCode: 200}, wantErr: true},
		{name: "function error", out: &lambda.InvokeOutput{StatusCode: 202, FunctionError: aws.String("Unhandled")}, wantErr: true},
		{name: "invoke error", err: invokeErr, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := &fakeInvoker{invokeFn: func(*lambda.InvokeInput) (*lambda.InvokeOutput, error) { return tc.out, tc.err }}
			err := NewLambda(inv, "streambot-create").Dispatch(t.Context(), testJob())
			if (err != nil) != tc.wantErr {
				t.Fatalf("Dispatch() = %v, want error: %v", err, tc.wantErr)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("Dispatch() = %v, want it to wrap %v", err, tc.err)
			}
			if len(inv.inputs) != 1 {
				t.Fatalf("Invoke called %d times, want 1", len(inv.inputs))
			}
			in := inv.inputs[0]
			if aws.ToString(in.FunctionName) != "streambot-create" || in.InvocationType != types.InvocationTypeEvent {
				t.Errorf("Invoke(FunctionName %q, InvocationType %q), want streambot-create, Event", aws.ToString(in.FunctionName), in.InvocationType)
			}
			var got provision.Job
			if err := json.Unmarshal(in.Payload, &got); err != nil {
				t.Fatalf("payload is not a Job: %v", err)
			}
			if diff := cmp.Diff(testJob(), got); diff != "" {
				t.Errorf("payload mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLambdaRealSDK sends the invoke through the real SDK
// client to a local server playing Lambda's Invoke API, checking the wire
// request and that *lambda.Client satisfies Invoker.
func TestLambdaRealSDK(t *testing.T) {
	var (
		mu       sync.Mutex
		requests []string
		payloads [][]byte
		status   = http.StatusAccepted
		fnError  string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		requests = append(requests, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Amz-Invocation-Type"))
		payloads = append(payloads, body)
		st, fe := status, fnError
		mu.Unlock()
		if fe != "" {
			w.Header().Set("X-Amz-Function-Error", fe)
		}
		w.WriteHeader(st)
	}))
	t.Cleanup(srv.Close)
	client := lambda.New(lambda.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint: aws.String(srv.URL),
		HTTPClient:   srv.Client(),
	})
	d := NewLambda(client, "streambot-create")
	if err := d.Dispatch(t.Context(), testJob()); err != nil {
		t.Fatalf("Dispatch: %v", err)
	}
	want := []string{"POST /2015-03-31/functions/streambot-create/invocations Event"}
	if diff := cmp.Diff(want, requests); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
	var got provision.Job
	if err := json.Unmarshal(payloads[0], &got); err != nil {
		t.Fatalf("payload: %v", err)
	}
	if diff := cmp.Diff(testJob(), got); diff != "" {
		t.Errorf("payload mismatch (-want +got):\n%s", diff)
	}

	mu.Lock()
	status, fnError = http.StatusOK, "Unhandled"
	mu.Unlock()
	if err := d.Dispatch(t.Context(), testJob()); err == nil {
		t.Errorf("Dispatch with a function error = nil, want an error")
	}
}

func TestLazyInvoker(t *testing.T) {
	inv := &fakeInvoker{invokeFn: func(*lambda.InvokeInput) (*lambda.InvokeOutput, error) {
		return &lambda.InvokeOutput{StatusCode: 202}, nil
	}}
	buildErr := errors.New("no region")
	builds := 0
	lazy := LazyInvoker(func(context.Context) (Invoker, error) {
		builds++
		if builds == 1 {
			return nil, buildErr
		}
		return inv, nil
	})
	if _, err := lazy.Invoke(t.Context(), &lambda.InvokeInput{}); !errors.Is(err, buildErr) {
		t.Errorf("first Invoke error = %v, want %v", err, buildErr)
	}
	for range 3 {
		if _, err := lazy.Invoke(t.Context(), &lambda.InvokeInput{}); err != nil {
			t.Errorf("Invoke: %v", err)
		}
	}
	if builds != 2 || len(inv.inputs) != 3 {
		t.Errorf("builds = %d, invokes = %d; want 2 (one failed, one kept) and 3", builds, len(inv.inputs))
	}

	nilClient := LazyInvoker(func(context.Context) (Invoker, error) { return nil, nil })
	if _, err := nilClient.Invoke(t.Context(), &lambda.InvokeInput{}); err == nil {
		t.Error("Invoke with a nil client = nil error, want one")
	}
}

// A dispatch error says whether the Job certainly did not reach the worker
// (RefusedError: the ack may say nothing was done) or may have been queued
// (the ack must say the outcome is unknown).
func TestLambdaRefusedOrUnknown(t *testing.T) {
	hung := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// the function's name says how to answer
		switch strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/"), "/invocations") {
		case "fn-hang":
			select {
			case <-hung:
			case <-r.Context().Done():
			}
			return
		case "fn-404":
			w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"Type":"User","message":"Function not found"}`)
		case "fn-403":
			w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"Message":"not authorized"}`)
		case "fn-429":
			w.Header().Set("X-Amzn-Errortype", "TooManyRequestsException")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","message":"Rate exceeded"}`)
		case "fn-500":
			w.Header().Set("X-Amzn-Errortype", "ServiceException")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"message":"internal error"}`)
		}
	}))
	t.Cleanup(func() { close(hung); srv.Close() })
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name, endpoint, testCase string
		wantRefused              bool
	}{
		{"function not found", srv.URL, "404", true},
		{"access denied", srv.URL, "403", true},
		{"connection refused", closedURL, "", true},
		{"throttled", srv.URL, "429", false},
		{"service error", srv.URL, "500", false},
		{"no answer in time", srv.URL, "hang", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := lambda.New(lambda.Options{
				Region:           "us-east-1",
				Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
				BaseEndpoint:     aws.String(tc.endpoint),
				RetryMaxAttempts: 1,
			})
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			defer cancel()
			err := NewLambda(client, "fn-"+tc.testCase).Dispatch(ctx, testJob())
			if err == nil {
				t.Fatal("Dispatch() = nil, want an error")
			}
			_, refused := errors.AsType[*RefusedError](err)
			if refused != tc.wantRefused {
				t.Errorf("Dispatch() = %v; refused = %v, want %v", err, refused, tc.wantRefused)
			}
		})
	}
	t.Run("client cannot be built", func(t *testing.T) {
		inv := LazyInvoker(func(context.Context) (Invoker, error) { return nil, errors.New("no region") })
		err := NewLambda(inv, "streambot-create").Dispatch(t.Context(), testJob())
		if _, ok := errors.AsType[*RefusedError](err); !ok {
			t.Errorf("Dispatch() = %v, want a *RefusedError", err)
		}
	})
}
