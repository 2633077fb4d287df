package awsreq

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// An error answer's code comes from X-Amzn-ErrorType first, else the
// body's code or __type, without namespace or suffix; the body is kept.
func TestDecodeError(t *testing.T) {
	for _, tc := range []struct{ header, body, want, message string }{
		{"ResourceNotFoundException:http://internal.amazon.com/coral/", `{"__type":"x#Other"}`, "ResourceNotFoundException", ""},
		{"", `{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","Message":"m"}`, "ValidationException", "m"},
		{"", `{"code":"AccessDeniedException","message":"m"}`, "AccessDeniedException", "m"},
		{"", `not json`, "", ""},
	} {
		rec := httptest.NewRecorder()
		if tc.header != "" {
			rec.Header().Set("X-Amzn-ErrorType", tc.header)
		}
		rec.WriteHeader(400)
		var ae *Error
		err := decodeError("svc", rec.Result(), []byte(tc.body))
		if !errors.As(err, &ae) || ae.Code != tc.want || ae.StatusCode != 400 || ae.Message != tc.message || string(ae.Body) != tc.body || ae.Service != "svc" {
			t.Errorf("decodeError(%q, %q) = %#v, want code %q, message %q and the body", tc.header, tc.body, err, tc.want, tc.message)
		}
	}
}

// What is retried, and what counts as throttling, as the SDK decides.
func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		err              error
		retry, throttled bool
	}{
		{&Error{StatusCode: 400, Code: "ThrottlingException"}, true, true},
		{&Error{StatusCode: 400, Code: "ProvisionedThroughputExceededException"}, true, true},
		{&Error{StatusCode: 503}, true, false},
		{&Error{StatusCode: 429}, true, false},
		{&Error{StatusCode: 429, Code: "SomethingModeled"}, false, false},
		{&Error{StatusCode: 400, Code: "RequestTimeout"}, true, false},
		{&Error{StatusCode: 400, Code: "ResourceNotFoundException"}, false, false},
		{&Error{StatusCode: 400, Code: "ConditionalCheckFailedException"}, false, false},
		{&SendError{"s", errors.New("connection reset")}, true, false},
		{&SendError{"s", context.Canceled}, false, false},
		{&checksumError{"s", 1, 2}, true, false},
		{errors.New("other"), false, false},
	} {
		if r, th := Retryable(tc.err); r != tc.retry || th != tc.throttled {
			t.Errorf("Retryable(%v) = %t, %t; want %t, %t", tc.err, r, th, tc.retry, tc.throttled)
		}
	}
}

func TestSDKBackoff(t *testing.T) {
	for retry := 1; retry <= 8; retry++ {
		for _, throttled := range []bool{false, true} {
			base := 50 * time.Millisecond
			if throttled {
				base = time.Second
			}
			limit := min(base<<(retry-1), 20*time.Second)
			for range 50 {
				if d := SDKBackoff(retry, throttled, 50*time.Millisecond); d < 0 || d >= limit {
					t.Fatalf("SDKBackoff(%d, %t) = %v, want in [0, %v)", retry, throttled, d, limit)
				}
			}
		}
	}
}

// A Protocol without a BaseDelay backs off from the SDK's default (a zero
// base once made rand.Int64N(0) panic on the first retry), and anonymous
// credentials, however wrapped, send unsigned requests.
func TestJSONClientDefaults(t *testing.T) {
	var attempts int
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts++
		auth = append(auth, r.Header.Get("Authorization"))
		if attempts == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	for _, creds := range []aws.CredentialsProvider{aws.AnonymousCredentials{}, &aws.AnonymousCredentials{}, aws.NewCredentialsCache(aws.AnonymousCredentials{})} {
		attempts, auth = 0, nil
		c := NewJSONClient(Protocol{Service: "svc", Target: "svc.", ContentType: "application/x-amz-json-1.1", MaxAttempts: 2},
			aws.Config{Region: "us-east-1", Credentials: creds}, srv.URL)
		var waited time.Duration
		c.Sleep = func(_ context.Context, d time.Duration) error { waited = d; return nil }
		var out struct{}
		if err := c.Call(t.Context(), "Op", struct{}{}, &out); err != nil {
			t.Fatalf("%T: Call = %v, want success on the retry", creds, err)
		}
		if attempts != 2 || waited < 0 || waited >= DefaultBaseDelay {
			t.Errorf("%T: %d attempts, waited %v; want 2 and a wait under %v", creds, attempts, waited, DefaultBaseDelay)
		}
		for _, a := range auth {
			if a != "" {
				t.Errorf("%T: Authorization %q, want none for anonymous credentials", creds, a)
			}
		}
	}
}
