package dispatch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"
)

const (
	testAKID   = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testToken  = "session-token"
	testARN    = "arn:aws:lambda:us-east-1:123456789012:function:streambot-create"
)

func testConfig() aws.Config {
	return aws.Config{Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(testAKID, testSecret, testToken)}
}

// received is one request as a server playing Lambda saw it.
type received struct {
	Method, Path, ContentType, InvocationType, Token string
	Body                                             string
	header                                           http.Header
	escapedPath                                      string
}

// lambdaServer plays Lambda's Invoke API: it answers each request with the
// next of answers (the last one repeats) and keeps what it received.
type lambdaServer struct {
	*httptest.Server
	mu       sync.Mutex
	got      []received
	answers  []func(http.ResponseWriter)
	answered int
}

func newLambdaServer(t *testing.T, answers ...func(http.ResponseWriter)) *lambdaServer {
	s := &lambdaServer{answers: answers}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, received{Method: r.Method, Path: r.URL.EscapedPath(), ContentType: r.Header.Get("Content-Type"),
			InvocationType: r.Header.Get("X-Amz-Invocation-Type"), Token: r.Header.Get("X-Amz-Security-Token"),
			Body: string(body), header: r.Header.Clone(), escapedPath: r.URL.EscapedPath()})
		answer := s.answers[min(s.answered, len(s.answers)-1)]
		s.answered++
		s.mu.Unlock()
		answer(w)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *lambdaServer) requests() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

func status(code int, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
	}
}

func errorAnswer(code int, errType, msg string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("X-Amzn-ErrorType", errType+":http://internal.amazon.com/coral/com.amazonaws.awsgirafferestservice/")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, `{"Type":"User","message":"`+msg+`"}`)
	}
}

// newTestClient returns a client of srv whose backoffs are recorded, not
// slept.
func newTestClient(srv *lambdaServer) (*Client, *[]time.Duration) {
	c := NewClient(testConfig(), srv.URL)
	var waits []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	return c, &waits
}

// The client sends what the AWS SDK's Lambda client sends for the same
// Invoke: method, path (an ARN's colons escaped), body, content type,
// invocation type, session token and credential scope.
func TestClientMatchesSDK(t *testing.T) {
	srv := newLambdaServer(t, status(http.StatusAccepted))
	sdk := lambda.New(lambda.Options{Region: "us-east-1", Credentials: testConfig().Credentials,
		BaseEndpoint: aws.String(srv.URL), HTTPClient: srv.Client()})
	out, err := sdk.Invoke(t.Context(), &lambda.InvokeInput{FunctionName: aws.String(testARN),
		InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"id":"1"}`)})
	if err != nil || out.StatusCode != http.StatusAccepted {
		t.Fatalf("SDK Invoke = %v, %v", out, err)
	}
	c, _ := newTestClient(srv)
	if err := c.InvokeEvent(t.Context(), testARN, []byte(`{"id":"1"}`)); err != nil {
		t.Fatalf("InvokeEvent: %v", err)
	}
	got := srv.requests()
	if len(got) != 2 {
		t.Fatalf("%d requests, want 2", len(got))
	}
	if diff := cmp.Diff(got[0], got[1], cmp.AllowUnexported(), cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".header" || p.Last().String() == ".escapedPath"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("request (-SDK +ours):\n%s", diff)
	}
	if want := "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Astreambot-create/invocations"; got[1].Path != want {
		t.Errorf("path %s, want %s", got[1].Path, want)
	}
	scope := func(h http.Header) string {
		a := h.Get("Authorization")
		i := strings.Index(a, "Credential=")
		j := strings.Index(a, ",")
		if i < 0 || j < i {
			return a
		}
		_, rest, _ := strings.Cut(a[i:j], "/")
		_, rest, _ = strings.Cut(rest, "/") // drop the date
		return rest
	}
	if s0, s1 := scope(got[0].header), scope(got[1].header); s0 != s1 || s1 != "us-east-1/lambda/aws4_request" {
		t.Errorf("credential scope: SDK %q, ours %q", s0, s1)
	}
}

// The signature is one a server recomputes from the request it received.
func TestClientSignature(t *testing.T) {
	srv := newLambdaServer(t, status(http.StatusAccepted))
	c, _ := newTestClient(srv)
	if err := c.InvokeEvent(t.Context(), testARN, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	r := srv.requests()[0]
	when, err := time.Parse("20060102T150405Z", r.header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(r.Method, srv.URL+r.escapedPath, strings.NewReader(r.Body))
	for _, k := range []string{"Content-Type", "X-Amz-Invocation-Type"} {
		req.Header.Set(k, r.header.Get(k))
	}
	req.Host = strings.TrimPrefix(srv.URL, "http://")
	creds, _ := testConfig().Credentials.Retrieve(t.Context())
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
		"lambda", "us-east-1", when); err != nil {
		t.Fatal(err)
	}
	if got, want := r.header.Get("Authorization"), req.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization\n got %s\nwant %s", got, want)
	}
}

func TestClientErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		answers   []func(http.ResponseWriter)
		wantErr   *InvokeError // nil: success
		wantCalls int
	}{
		{"queued", []func(http.ResponseWriter){status(http.StatusAccepted)}, nil, 1},
		{"throttled, then queued", []func(http.ResponseWriter){
			errorAnswer(http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded."),
			status(http.StatusServiceUnavailable), status(http.StatusAccepted)}, nil, 3},
		{"throttled three times", []func(http.ResponseWriter){errorAnswer(http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.")},
			&InvokeError{StatusCode: 429, Type: "TooManyRequestsException", Message: "Rate Exceeded."}, 3},
		{"no such function: not retried", []func(http.ResponseWriter){errorAnswer(http.StatusNotFound, "ResourceNotFoundException", "Function not found")},
			&InvokeError{StatusCode: 404, Type: "ResourceNotFoundException", Message: "Function not found"}, 1},
		{"a synchronous answer", []func(http.ResponseWriter){status(http.StatusOK)}, &InvokeError{StatusCode: 200}, 1},
		{"a function error", []func(http.ResponseWriter){status(http.StatusAccepted, "X-Amz-Function-Error", "Unhandled")},
			&InvokeError{StatusCode: 202, FunctionError: "Unhandled"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newLambdaServer(t, tc.answers...)
			c, waits := newTestClient(srv)
			err := NewLambda(c, "streambot-create").Dispatch(t.Context(), testJob())
			var ie *InvokeError
			switch {
			case tc.wantErr == nil && err != nil:
				t.Errorf("Dispatch() = %v, want nil", err)
			case tc.wantErr != nil && !errors.As(err, &ie):
				t.Errorf("Dispatch() = %v, want an *InvokeError", err)
			case tc.wantErr != nil:
				if diff := cmp.Diff(tc.wantErr, ie); diff != "" {
					t.Errorf("InvokeError (-want +got):\n%s", diff)
				}
			}
			if n := len(srv.requests()); n != tc.wantCalls {
				t.Errorf("%d requests, want %d", n, tc.wantCalls)
			}
			if len(*waits) != tc.wantCalls-1 {
				t.Errorf("waited %v between %d attempts", *waits, tc.wantCalls)
			}
			for i, w := range *waits {
				if w < 0 || w >= 50*time.Millisecond<<i {
					t.Errorf("backoff %d = %v, want under %v", i, w, 50*time.Millisecond<<i)
				}
			}
		})
	}
}

// A connection error is retried; a done ctx ends the retries with its error.
func TestClientConnectionErrors(t *testing.T) {
	srv := newLambdaServer(t, status(http.StatusAccepted))
	url := srv.URL
	srv.Close()
	c := NewClient(testConfig(), url)
	attempts := 0
	c.sleep = func(context.Context, time.Duration) error { attempts++; return nil }
	if err := c.InvokeEvent(t.Context(), "f", nil); err == nil || attempts != maxAttempts-1 {
		t.Errorf("InvokeEvent to a closed server = %v after %d backoffs, want an error after %d", err, attempts, maxAttempts-1)
	}
	ctx, cancel := context.WithCancel(t.Context())
	c.sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	if err := c.InvokeEvent(ctx, "f", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("InvokeEvent with a cancelled ctx = %v, want context.Canceled", err)
	}
}

func TestNewClientEndpoint(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1":      "https://lambda.us-east-1.amazonaws.com",
		"eu-central-2":   "https://lambda.eu-central-2.amazonaws.com",
		"us-gov-west-1":  "https://lambda.us-gov-west-1.amazonaws.com",
		"cn-north-1":     "https://lambda.cn-north-1.amazonaws.com.cn",
		"us-iso-east-1":  "https://lambda.us-iso-east-1.c2s.ic.gov",
		"us-isob-east-1": "https://lambda.us-isob-east-1.sc2s.sgov.gov",
	} {
		if got := NewClient(aws.Config{Region: region}, "").endpoint; got != want {
			t.Errorf("endpoint for %s = %s, want %s", region, got, want)
		}
	}
	if got := NewClient(aws.Config{Region: "us-east-1"}, "http://127.0.0.1:9001/").endpoint; got != "http://127.0.0.1:9001" {
		t.Errorf("endpoint override = %s", got)
	}
}
