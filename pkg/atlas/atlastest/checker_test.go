package atlastest

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/streambot/streambot/pkg/atlas"
	"github.com/streambot/streambot/pkg/atlas/atlasspec"
)

// fatalTB records a Fatal and ends its goroutine, as testing.T does.
type fatalTB struct {
	testing.TB // nil: any other method panics
	fatal      string
}

func (f *fatalTB) Helper()           {}
func (f *fatalTB) Fatal(args ...any) { f.fatal = fmt.Sprint(args...); runtime.Goexit() }

// A test cannot start the simulator without a checker: every test's
// traffic is held to the spec.
func TestNewServerNeedsChecker(t *testing.T) {
	tb := &fatalTB{}
	var s *Server
	done := make(chan struct{})
	go func() {
		defer close(done)
		s = NewServer(tb)
	}()
	<-done
	if s != nil {
		s.Close()
		t.Fatal("NewServer(t) without a Checker started a server")
	}
	if !strings.Contains(tb.fatal, "WithChecker(atlasspec.Checker{})") {
		t.Errorf("Fatal(%q), want it to say how to install the checker", tb.fatal)
	}
}

// countingChecker counts the checks it passes on to next, and can reject
// every answer.
type countingChecker struct {
	next              Checker
	rejectResponses   bool
	mu                sync.Mutex
	requests, answers int
}

func (c *countingChecker) CheckRequest(r *http.Request, body []byte) error {
	c.mu.Lock()
	c.requests++
	c.mu.Unlock()
	return c.next.CheckRequest(r, body)
}

func (c *countingChecker) CheckResponse(r *http.Request, status int, h http.Header, body []byte) error {
	c.mu.Lock()
	c.answers++
	c.mu.Unlock()
	if c.rejectResponses {
		return errors.New("rejected by the test")
	}
	return c.next.CheckResponse(r, status, h, body)
}

// With atlasspec's checker, a request the spec rejects is answered 400
// VALIDATION_ERROR naming the field, every API request and answer is
// checked, and an answer the checker rejects is kept as a violation.
func TestWithChecker(t *testing.T) {
	c := &countingChecker{next: atlasspec.Checker{}}
	e := setup(t, WithChecker(c))
	resp := e.api(req{method: "POST", path: "groups/" + groupID + "/streams",
		body: `{"name":"w1","_id":"6a1b2c3d4e5f6a7b8c9d0e1f","dataProcessRegion":{"cloudProvider":"AWS","region":"VIRGINIA_USA"}}`})
	var apiErr struct {
		ErrorCode        string `json:"errorCode"`
		BadRequestDetail struct {
			Fields []struct{ Field string } `json:"fields"`
		} `json:"badRequestDetail"`
	}
	resp.decode(t, &apiErr)
	if resp.status != http.StatusBadRequest || apiErr.ErrorCode != CodeValidationError ||
		len(apiErr.BadRequestDetail.Fields) == 0 || apiErr.BadRequestDetail.Fields[0].Field != "_id" {
		t.Fatalf("create with a read-only _id = %d %s, want 400 %s naming _id", resp.status, resp.body, CodeValidationError)
	}
	e.create("w1", "AWS", "VIRGINIA_USA", false)
	c.mu.Lock()
	requests, answers := c.requests, c.answers
	c.mu.Unlock()
	if requests != 2 || answers != 2 {
		t.Errorf("the checker saw %d requests and %d answers, want 2 and 2", requests, answers)
	}

	reject := &countingChecker{next: atlasspec.Checker{}, rejectResponses: true}
	a := New(WithChecker(reject))
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/api/atlas/v2/groups/"+groupID+"/streams/x", nil)
	r.Header.Set("Accept", accept)
	a.ok(httptest.NewRecorder(), r, http.StatusOK, map[string]any{"name": "x"})
	if v := a.Violations(); len(v) != 1 || !strings.Contains(v[0].Error(), "rejected by the test") {
		t.Errorf("Violations() = %v, want the checker's rejection", v)
	}
}

// Without a checker (a program such as `streambot serve`) the simulator
// routes and answers as with one, in the spec's media types, but checks
// nothing: a read-only _id is ignored rather than refused. The test client
// still checks every answer against the spec.
func TestWithoutChecker(t *testing.T) {
	a := New()
	srv := httptest.NewServer(a)
	s := serve(a, srv)
	t.Cleanup(s.Close)
	e := setupOn(t, s)

	resp := e.api(req{method: "POST", path: "groups/" + groupID + "/streams",
		body: `{"name":"w1","_id":"6a1b2c3d4e5f6a7b8c9d0e1f","dataProcessRegion":{"cloudProvider":"AWS","region":"VIRGINIA_USA"}}`})
	if resp.status != http.StatusOK || resp.header.Get("Content-Type") != resourceType {
		t.Fatalf("create = %d %s (%s), want 200 in %s", resp.status, resp.body, resp.header.Get("Content-Type"), resourceType)
	}
	var ws atlas.StreamWorkspace
	resp.decode(t, &ws)
	if ws.ID == "6a1b2c3d4e5f6a7b8c9d0e1f" || ws.Name != "w1" {
		t.Errorf("created %+v, want w1 with an ID of the simulator's", ws)
	}
	// The handlers' own checks stay.
	if resp := e.api(req{method: "POST", path: "groups/" + groupID + "/streams",
		body: `{"name":"w1","dataProcessRegion":{"cloudProvider":"AWS","region":"VIRGINIA_USA"}}`}); resp.status != http.StatusConflict {
		t.Errorf("duplicate create = %d %s, want 409", resp.status, resp.body)
	}
	// A date before the operation's first version has no answer.
	if resp := e.api(req{method: "GET", path: wsPath("w1") + "/processors",
		header: map[string]string{"Accept": "application/vnd.atlas.2024-01-01+json"}}); resp.status != http.StatusBadRequest {
		t.Errorf("processors in 2024-01-01 = %d %s, want 400", resp.status, resp.body)
	}
	if resp := e.api(req{method: "GET", path: "groups/" + groupID + "/streams/w1/nothing", noCheck: true}); resp.status != http.StatusNotFound {
		t.Errorf("unknown path = %d %s, want 404", resp.status, resp.body)
	}
	if v := a.Violations(); len(v) > 0 {
		t.Errorf("violations without a checker: %v", v)
	}
}
