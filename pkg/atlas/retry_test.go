package atlas

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const rateLimited = `{"error":429,"errorCode":"RATE_LIMITED","reason":"Too Many Requests","detail":"Slow down."}`

// step is one scripted answer: a status with a Retry-After, or a dropped
// connection.
type step struct {
	status     int
	retryAfter string
	drop       bool
}

// script answers the n-th request with steps[n] and counts requests.
func script(t *testing.T, steps []step, success func(w http.ResponseWriter, r *http.Request)) (http.HandlerFunc, *atomic.Int32) {
	var n atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(steps) {
			t.Errorf("request %d beyond the script of %d", i+1, len(steps))
			writeError(w, 500, `{"error":500,"errorCode":"UNEXPECTED_ERROR","reason":"Internal Server Error"}`)
			return
		}
		s := steps[i]
		switch {
		case s.drop:
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			conn.Close()
		case s.status < 300:
			success(w, r)
		default:
			if s.retryAfter != "" {
				w.Header().Set("Retry-After", s.retryAfter)
			}
			body := rateLimited
			if s.status != 429 {
				body = `{"error":` + strconv.Itoa(s.status) + `,"errorCode":"SERVICE_UNAVAILABLE","reason":"` + http.StatusText(s.status) + `"}`
			}
			writeError(w, s.status, body)
		}
	}, &n
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"http date", testNow.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"past date", testNow.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"zero", "0", 0},
		{"negative", "-3", 0},
		{"garbage", "soon", 0},
		{"absent", "", 0},
		{"huge", "99999999999999", 24 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, mux, ts := setup(t, WithMaxAttempts(1))
			// The spec documents Retry-After in seconds only; the HTTP-date
			// form (RFC 9110) is off-spec but honoured.
			if _, err := strconv.Atoi(tc.value); err != nil && tc.value != "" {
				ts.offSpec.Store(true)
			}
			h, _ := script(t, []step{{status: 429, retryAfter: tc.value}}, nil)
			mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/streams/{name}", h)
			_, err := c.GetStreamWorkspace(context.Background(), testGroupID, "x")
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error = %v, want *APIError", err)
			}
			if ae.StatusCode != 429 || ae.ErrorCode != "RATE_LIMITED" {
				t.Errorf("APIError = %+v, want 429 RATE_LIMITED", ae)
			}
			if ae.RetryAfter != tc.want {
				t.Errorf("RetryAfter for %q = %v, want %v", tc.value, ae.RetryAfter, tc.want)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	ok := func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodDelete:
			writeJSON(w, r, 202, "")
		default:
			writeJSON(w, r, 200, `{"name":"string"}`)
		}
	}
	in30s := testNow.Add(30 * time.Second).Format(http.TimeFormat)
	tests := []struct {
		name       string
		method     string
		steps      []step
		wantStatus int // of the final error; 0 for success
		wantWaits  []time.Duration
	}{
		{"get 429 seconds", "GET", []step{{status: 429, retryAfter: "7"}, {status: 200}}, 0, []time.Duration{7 * time.Second}},
		{"get 429 http date", "GET", []step{{status: 429, retryAfter: in30s}, {status: 200}}, 0, []time.Duration{30 * time.Second}},
		{"get 429 backoff", "GET", []step{{status: 429}, {status: 429}, {status: 200}}, 0, []time.Duration{500 * time.Millisecond, time.Second}},
		{"get 502 504 503", "GET", []step{{status: 502}, {status: 504}, {status: 503, retryAfter: "3"}, {status: 200}}, 0,
			[]time.Duration{500 * time.Millisecond, time.Second, 3 * time.Second}},
		{"get gives up", "GET", []step{{status: 503}, {status: 503}, {status: 503}, {status: 503}}, 503,
			[]time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}},
		{"get 500 not retried", "GET", []step{{status: 500}}, 500, nil},
		{"get retry-after too long", "GET", []step{{status: 429, retryAfter: "3600"}}, 429, nil},
		{"get dropped connection", "GET", []step{{drop: true}, {status: 200}}, 0, []time.Duration{500 * time.Millisecond}},
		{"delete 503", "DELETE", []step{{status: 503}, {status: 200}}, 0, []time.Duration{500 * time.Millisecond}},
		{"post 429", "POST", []step{{status: 429, retryAfter: "2"}, {status: 200}}, 0, []time.Duration{2 * time.Second}},
		{"post 503 not repeated", "POST", []step{{status: 503}}, 503, nil},
		{"post 502 not repeated", "POST", []step{{status: 502}}, 502, nil},
		{"post dropped not repeated", "POST", []step{{drop: true}}, -1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, mux, ts := setup(t)
			ts.offSpec.Store(true) // 502/503/504 are not in the spec
			h, n := script(t, tc.steps, ok)
			mux.HandleFunc("/api/atlas/v2/groups/{groupId}/streams", h)
			mux.HandleFunc("/api/atlas/v2/groups/{groupId}/streams/{name}", h)
			ctx := context.Background()
			var err error
			switch tc.method {
			case "GET":
				_, err = c.GetStreamWorkspace(ctx, testGroupID, "string")
			case "DELETE":
				err = c.DeleteStreamWorkspace(ctx, testGroupID, "string")
			case "POST":
				_, err = c.CreateStreamWorkspace(ctx, testGroupID, seedWorkspace())
			}
			switch {
			case tc.wantStatus == 0 && err != nil:
				t.Errorf("error = %v, want success", err)
			case tc.wantStatus > 0 && !IsStatus(err, tc.wantStatus):
				t.Errorf("error = %v, want status %d", err, tc.wantStatus)
			case tc.wantStatus < 0:
				var ae *APIError
				if err == nil || errors.As(err, &ae) {
					t.Errorf("error = %v, want a connection error", err)
				}
			}
			if got, want := int(n.Load()), len(tc.steps); got != want {
				t.Errorf("attempts = %d, want %d", got, want)
			}
			if diff := cmp.Diff(tc.wantWaits, ts.waits()); diff != "" {
				t.Errorf("waits mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetries_maxAttempts(t *testing.T) {
	c, mux, ts := setup(t, WithMaxAttempts(1))
	ts.offSpec.Store(true)
	h, n := script(t, []step{{status: 503}}, nil)
	mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/streams/{name}", h)
	if _, err := c.GetStreamWorkspace(context.Background(), testGroupID, "x"); !IsStatus(err, 503) {
		t.Errorf("error = %v, want 503", err)
	}
	if n.Load() != 1 || len(ts.waits()) != 0 {
		t.Errorf("attempts = %d, waits = %v; want 1 and none", n.Load(), ts.waits())
	}
}

func TestRetries_deadlineTooClose(t *testing.T) {
	// A wait that would outlast the caller's deadline is not started: the
	// caller gets the 429 at once and decides.
	c, mux, ts := setup(t)
	h, n := script(t, []step{{status: 429, retryAfter: "30"}}, nil)
	mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/streams/{name}", h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.GetStreamWorkspace(ctx, testGroupID, "x")
	var ae *APIError
	if !errors.As(err, &ae) || ae.RetryAfter != 30*time.Second {
		t.Errorf("error = %v, want a 429 APIError with RetryAfter 30s", err)
	}
	if n.Load() != 1 || len(ts.waits()) != 0 {
		t.Errorf("attempts = %d, waits = %v; want 1 and none", n.Load(), ts.waits())
	}
}

func TestRetries_cancelledWhileWaiting(t *testing.T) {
	c, mux, _ := setup(t)
	h, n := script(t, []step{{status: 429, retryAfter: "5"}}, nil)
	mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/streams/{name}", h)
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(ctx context.Context, d time.Duration) error {
		cancel() // the caller gives up while the client waits
		return sleepCtx(ctx, d)
	}
	_, err := c.GetStreamWorkspace(ctx, testGroupID, "x")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if n.Load() != 1 {
		t.Errorf("attempts = %d, want 1", n.Load())
	}
}

func TestSleepCtx(t *testing.T) {
	if err := sleepCtx(context.Background(), time.Millisecond); err != nil {
		t.Errorf("sleepCtx = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleepCtx(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleepCtx(cancelled) = %v, want context.Canceled", err)
	}
}

func TestContext(t *testing.T) {
	t.Run("cancelled before the call", func(t *testing.T) {
		c, _, ts := setup(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.GetStreamWorkspace(ctx, testGroupID, "x")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
		if n, m := ts.tokenCalls.Load(), ts.apiCalls.Load(); n+m != 0 {
			t.Errorf("sent %d token and %d API requests, want none", n, m)
		}
	})
	for _, tc := range []struct {
		name string
		want error
	}{{"cancelled in flight", context.Canceled}, {"deadline in flight", context.DeadlineExceeded}} {
		t.Run(tc.name, func(t *testing.T) {
			c, mux, ts := setup(t)
			ctx, cancel := context.WithCancel(context.Background())
			if tc.want == context.DeadlineExceeded {
				ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
			}
			defer cancel()
			mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/streams/{name}", func(w http.ResponseWriter, r *http.Request) {
				if tc.want == context.Canceled {
					cancel()
				}
				<-r.Context().Done() // until the client goes away
			})
			_, err := c.GetStreamWorkspace(ctx, testGroupID, "x")
			if !errors.Is(err, tc.want) {
				t.Errorf("error = %v, want %v", err, tc.want)
			}
			if got := ts.apiCalls.Load(); got != 1 {
				t.Errorf("attempts = %d, want 1: a done context is not retried", got)
			}
			if len(ts.waits()) != 0 {
				t.Errorf("waits = %v, want none", ts.waits())
			}
		})
	}
}

func TestNonJSONErrorBody(t *testing.T) {
	html := "<html><head><title>502 Bad Gateway</title></head><body>" + strings.Repeat("upstream unavailable ", 200) + "</body></html>"
	tests := []struct {
		name, contentType, body string
		status                  int
		wantBody                string
	}{
		{"html", "text/html", html, 502, html[:maxBodyExcerpt] + "…"},
		{"plain", "text/plain", "gateway timeout\n", 504, "gateway timeout"},
		{"json but not ApiError", "application/json", `{"message":"nope"}`, 503, `{"message":"nope"}`},
		{"empty", "text/plain", "", 500, ""},
		{"invalid utf-8", "text/plain", "bad \xff byte", 500, "bad \uFFFD byte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, mux, ts := setup(t, WithMaxAttempts(1))
			ts.offSpec.Store(true)
			mux.HandleFunc("GET /api/atlas/v2/groups/{groupId}/streams/{name}", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			})
			_, err := c.GetStreamWorkspace(context.Background(), testGroupID, "x")
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error = %v, want *APIError", err)
			}
			want := &APIError{StatusCode: tc.status, Method: "GET", Path: "groups/" + testGroupID + "/streams/x", Body: tc.wantBody}
			if diff := cmp.Diff(want, ae); diff != "" {
				t.Errorf("APIError mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAPIError_Error(t *testing.T) {
	tests := []struct {
		err  *APIError
		want string
	}{
		{&APIError{StatusCode: 400, ErrorCode: "VALIDATION_ERROR", Reason: "Bad Request", Detail: "No provider AWS exists.", Method: "POST", Path: "groups/g/streams"},
			"atlas: POST groups/g/streams: 400 VALIDATION_ERROR: No provider AWS exists."},
		{&APIError{StatusCode: 409, ErrorCode: "DUPLICATE", Reason: "Conflict", Method: "POST", Path: "groups/g/streams"},
			"atlas: POST groups/g/streams: 409 DUPLICATE: Conflict"},
		{&APIError{StatusCode: 502, Body: "<html>", Method: "GET", Path: "groups/g/streams/x"},
			"atlas: GET groups/g/streams/x: 502 Bad Gateway"},
		{&APIError{StatusCode: 400, ErrorCode: "INVALID_ATTRIBUTE", Detail: "Bad tier.", Method: "POST", Path: "p",
			BadRequestDetail: &BadRequestDetail{Fields: []FieldViolation{{Field: "streamConfig.tier", Description: "unknown"}}}},
			"atlas: POST p: 400 INVALID_ATTRIBUTE: Bad tier.; streamConfig.tier: unknown"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestIsHelpers_nonAPIError(t *testing.T) {
	err := errors.New("boom")
	if IsErrorCode(err, "") || IsStatus(err, 0) || errors.Is(err, ErrNotFound) {
		t.Error("helpers match an error that is not an APIError")
	}
	if IsErrorCode(nil, "") || IsStatus(nil, 0) {
		t.Error("helpers match nil")
	}
}

// TestRetries_oneShotBody checks that a request whose body cannot be
// rewound is not repeated, even after a 429: the repeat would go out empty.
func TestRetries_oneShotBody(t *testing.T) {
	c, mux, ts := setup(t)
	h, n := script(t, []step{{status: 429, retryAfter: "1"}}, nil)
	mux.HandleFunc("POST /api/atlas/v2/groups/{groupId}/streams", h)
	req, err := c.NewRequest(context.Background(), http.MethodPost, streamsPath(testGroupID), seedWorkspace())
	if err != nil {
		t.Fatal(err)
	}
	req.GetBody = nil
	if _, err := c.Do(req, nil); !IsStatus(err, http.StatusTooManyRequests) {
		t.Errorf("Do() error = %v, want the 429", err)
	}
	if n.Load() != 1 || len(ts.waits()) != 0 {
		t.Errorf("attempts = %d, waits = %v; want 1 and none", n.Load(), ts.waits())
	}
}

func TestEqualJitter(t *testing.T) {
	const d = time.Second
	seen := map[time.Duration]bool{}
	for range 200 {
		got := equalJitter(d)
		if got < d/2 || got > d {
			t.Fatalf("equalJitter(%v) = %v, want within [%v, %v]", d, got, d/2, d)
		}
		seen[got] = true
	}
	if len(seen) < 100 {
		t.Errorf("equalJitter(%v) gave %d distinct waits in 200 calls, want them spread", d, len(seen))
	}
	if got := equalJitter(0); got != 0 {
		t.Errorf("equalJitter(0) = %v, want 0", got)
	}
}
