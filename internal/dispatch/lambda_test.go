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
	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/provision"
)

type fakeInvoker struct {
	mu       sync.Mutex
	names    []string
	payloads [][]byte
	err      error
}

func (f *fakeInvoker) InvokeEvent(_ context.Context, name string, payload []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.names = append(f.names, name)
	f.payloads = append(f.payloads, payload)
	return f.err
}

func testJob() provision.Job {
	return provision.Job{ID: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c", Action: provision.ActionCreate,
		GroupID: "6a1b2c3d4e5f6a7b8c9d0e1f", Name: "orders-ws", Provider: "AWS", Region: "VIRGINIA_USA", Tier: "SP30",
		Slack: &provision.SlackTarget{TeamID: "T1DC2JH3J", ChannelID: "C0DEV", UserID: "U0CREATOR",
			ResponseURL: "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN"},
		RequestedAt: time.Date(2025, 3, 12, 9, 30, 0, 0, time.UTC)}
}

func TestLambda(t *testing.T) {
	for _, invokeErr := range []error{nil, &InvokeError{StatusCode: http.StatusTooManyRequests}} {
		inv := &fakeInvoker{err: invokeErr}
		err := NewLambda(inv, "streambot-create").Dispatch(t.Context(), testJob())
		if !errors.Is(err, invokeErr) || (err == nil) != (invokeErr == nil) {
			t.Errorf("Dispatch() = %v, want %v", err, invokeErr)
		}
		if len(inv.names) != 1 || inv.names[0] != "streambot-create" {
			t.Fatalf("invoked %q, want streambot-create once", inv.names)
		}
		var got provision.Job
		if err := json.Unmarshal(inv.payloads[0], &got); err != nil {
			t.Fatalf("payload is not a Job: %v", err)
		}
		if diff := cmp.Diff(testJob(), got); diff != "" {
			t.Errorf("payload mismatch (-want +got):\n%s", diff)
		}
	}
}

func TestLazyInvoker(t *testing.T) {
	inv := &fakeInvoker{}
	buildErr := errors.New("no region")
	builds := 0
	lazy := LazyInvoker(func(context.Context) (Invoker, error) {
		builds++
		if builds == 1 {
			return nil, buildErr
		}
		return inv, nil
	})
	if err := lazy.InvokeEvent(t.Context(), "f", nil); !errors.Is(err, buildErr) {
		t.Errorf("first InvokeEvent error = %v, want %v", err, buildErr)
	}
	for range 3 {
		if err := lazy.InvokeEvent(t.Context(), "f", nil); err != nil {
			t.Errorf("InvokeEvent: %v", err)
		}
	}
	if builds != 2 || len(inv.names) != 3 {
		t.Errorf("builds = %d, invokes = %d; want 2 (one failed, one kept) and 3", builds, len(inv.names))
	}

	nilClient := LazyInvoker(func(context.Context) (Invoker, error) { return nil, nil })
	if err := nilClient.InvokeEvent(t.Context(), "f", nil); err == nil {
		t.Error("InvokeEvent with a nil client = nil error, want one")
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
			client := NewClient(aws.Config{Region: "us-east-1",
				Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}, tc.endpoint)
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
