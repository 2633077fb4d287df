package atlastest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	list := req{method: "GET", path: "groups/" + groupID + "/streams", noCheck: true}
	tests := []struct {
		name       string
		fault      Fault
		wantStatus int
		wantCode   string // errorCode of the faulted answer, if JSON
		wantBody   string // exact body, if set
		wantRetry  string
		wantJSON   bool
	}{
		{name: "503 with Retry-After seconds", fault: Fault{Status: 503, RetryAfter: "2"},
			wantStatus: 503, wantCode: "SERVICE_UNAVAILABLE", wantRetry: "2", wantJSON: true},
		{name: "429 with Retry-After date", fault: Fault{Status: 429, RetryAfter: "Thu, 12 Mar 2026 09:00:05 GMT"},
			wantStatus: 429, wantCode: "RATE_LIMITED", wantRetry: "Thu, 12 Mar 2026 09:00:05 GMT", wantJSON: true},
		{name: "500 default body", fault: Fault{Status: 500}, wantStatus: 500, wantCode: "UNEXPECTED_ERROR", wantJSON: true},
		{name: "402 default body", fault: Fault{Status: 402}, wantStatus: 402, wantCode: "PAYMENT_REQUIRED", wantJSON: true},
		{name: "given body", fault: Fault{Status: 502, Body: "<html>Bad Gateway</html>"}, wantStatus: 502, wantBody: "<html>Bad Gateway</html>"},
		{name: "malformed success", fault: Fault{Malformed: true}, wantStatus: 200},
		{name: "malformed error", fault: Fault{Malformed: true, Status: 500}, wantStatus: 500},
		{name: "short delay only", fault: Fault{Delay: time.Millisecond}, wantStatus: 200, wantJSON: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			e.srv.Inject(OpListStreams, tc.fault)
			resp := e.api(list)
			if resp.status != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", resp.status, resp.body, tc.wantStatus)
			}
			if got := resp.header.Get("Retry-After"); got != tc.wantRetry {
				t.Errorf("Retry-After = %q, want %q", got, tc.wantRetry)
			}
			if tc.wantBody != "" && string(resp.body) != tc.wantBody {
				t.Errorf("body = %q, want %q", resp.body, tc.wantBody)
			}
			if valid := json.Valid(resp.body); valid != tc.wantJSON && tc.wantBody == "" {
				t.Errorf("body %q valid JSON = %v, want %v", resp.body, valid, tc.wantJSON)
			}
			if tc.wantCode != "" {
				if got := resp.apiErr(t); got.ErrorCode != tc.wantCode || got.Error != tc.wantStatus {
					t.Errorf("body = %s, want a %d %s ApiError", resp.body, tc.wantStatus, tc.wantCode)
				}
			}
			if next := e.api(list); next.status != http.StatusOK {
				t.Errorf("after the fault: status %d, want 200", next.status)
			}
			if got := e.srv.Calls(OpListStreams); got != 2 {
				t.Errorf("Calls(OpListStreams) = %d, want 2 (faulted calls count)", got)
			}
		})
	}
}

func TestFaultTimesAndQueue(t *testing.T) {
	e := setup(t)
	get := req{method: "GET", path: "groups/" + groupID + "/streams/x", noCheck: true}
	e.srv.Inject(OpGetStream, Fault{Times: 2, Status: 503})
	e.srv.Inject(OpGetStream, Fault{Status: 429})
	var got []int
	for range 4 {
		got = append(got, e.api(get).status)
	}
	want := []int{503, 503, 429, 404}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses = %v, want %v", got, want)
		}
	}
	if n := e.srv.Calls(OpGetStream); n != 4 {
		t.Errorf("Calls(OpGetStream) = %d, want 4", n)
	}
	e.srv.ResetCalls()
	if n := e.srv.Calls(OpGetStream); n != 0 {
		t.Errorf("Calls after ResetCalls = %d, want 0", n)
	}
	// Faults are per operation.
	e.srv.Inject(OpDeleteStream, Fault{Status: 500})
	if s := e.api(get).status; s != http.StatusNotFound {
		t.Errorf("GET with a delete fault queued: status %d, want 404", s)
	}
}

func TestFaultDelayRespectsContext(t *testing.T) {
	e := setup(t)
	e.srv.Inject(OpListStreams, Fault{Delay: time.Hour, Status: 500})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := e.try(req{method: "GET", path: "groups/" + groupID + "/streams", ctx: ctx})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want context.DeadlineExceeded", err)
	}
	// The fault was used up by the abandoned call.
	if resp := e.api(req{method: "GET", path: "groups/" + groupID + "/streams"}); resp.status != http.StatusOK {
		t.Errorf("next call: status %d, want 200", resp.status)
	}
}

func TestFaultDropConnection(t *testing.T) {
	e := setup(t)
	e.srv.Inject(OpGetStream, Fault{DropConnection: true})
	// net/http retries an idempotent request once when a reused keep-alive
	// connection closes without an answer; a fresh connection shows the drop.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	_, err := e.try(req{method: "GET", path: "groups/" + groupID + "/streams/x", client: fresh})
	var uerr *url.Error
	if !errors.As(err, &uerr) {
		t.Fatalf("error = %v, want a *url.Error from the dropped connection", err)
	}
	if n := e.srv.Calls(OpGetStream); n != 1 {
		t.Errorf("Calls(OpGetStream) = %d, want 1", n)
	}
}

// TestFaultAfterApply simulates a create that succeeded although its answer
// was lost: the workspace exists, and a retried create gets 409.
func TestFaultAfterApply(t *testing.T) {
	tests := []struct {
		name  string
		fault Fault
	}{
		{name: "dropped", fault: Fault{AfterApply: true, DropConnection: true}},
		{name: "answered 500", fault: Fault{AfterApply: true, Status: 500}},
		{name: "answered 504 late", fault: Fault{AfterApply: true, Status: 504, Delay: time.Millisecond}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			e.srv.Inject(OpCreateStream, tc.fault)
			create := req{method: "POST", path: "groups/" + groupID + "/streams", body: seedRequest, noCheck: true}
			resp, err := e.try(create)
			if err == nil && resp.status < 500 {
				t.Fatalf("create answered %d, want the fault", resp.status)
			}
			if _, ok := e.srv.Workspace(groupID, "string"); !ok {
				t.Error("the workspace was not created before the fault")
			}
			if resp := e.api(create); resp.status != http.StatusConflict {
				t.Errorf("retried create: status %d, want 409", resp.status)
			}
			if n := e.srv.Calls(OpCreateStream); n != 2 {
				t.Errorf("Calls(OpCreateStream) = %d, want 2", n)
			}
		})
	}
}

func TestFaultToken(t *testing.T) {
	e := setup(t)
	e.srv.Inject(OpToken, Fault{Status: 503, RetryAfter: "1"})
	grant := url.Values{"grant_type": {"client_credentials"}}
	resp := e.tokenRequest(grant, clientID, clientSecret)
	if resp.status != http.StatusServiceUnavailable || resp.header.Get("Retry-After") != "1" {
		t.Errorf("faulted token request: status %d Retry-After %q, want 503 and 1", resp.status, resp.header.Get("Retry-After"))
	}
	if resp := e.tokenRequest(grant, clientID, clientSecret); resp.status != http.StatusOK {
		t.Errorf("next token request: status %d, want 200", resp.status)
	}
	e.srv.Inject(OpToken, Fault{Delay: time.Millisecond})
	if resp := e.tokenRequest(grant, clientID, clientSecret); resp.status != http.StatusOK {
		t.Errorf("delayed token request: status %d, want 200", resp.status)
	}
	if n := e.srv.Calls(OpToken); n != 3 {
		t.Errorf("Calls(OpToken) = %d, want 3", n)
	}
}

func TestFaultUnauthorizedCarriesChallenge(t *testing.T) {
	e := setup(t)
	e.srv.Inject(OpListStreams, Fault{Status: 401})
	resp := e.api(req{method: "GET", path: "groups/" + groupID + "/streams"})
	if resp.status != http.StatusUnauthorized || resp.header.Get("WWW-Authenticate") == "" {
		t.Errorf("status %d WWW-Authenticate %q, want 401 with a challenge", resp.status, resp.header.Get("WWW-Authenticate"))
	}
}
