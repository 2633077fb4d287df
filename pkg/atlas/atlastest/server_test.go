package atlastest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/streambot/streambot/pkg/atlas/atlasspec"
)

// listStreams asks the server at origin for a project's workspaces, with no
// credentials, and returns the status (401 from a live simulator).
func listStreams(origin string) (int, error) {
	r, err := http.NewRequest(http.MethodGet, origin+"/api/atlas/v2/groups/"+groupID+"/streams", nil)
	if err != nil {
		return 0, err
	}
	r.Header.Set("Accept", accept)
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(r)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestStart(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", ":0", "localhost:0"} {
		t.Run(addr, func(t *testing.T) {
			s, err := Start(addr)
			if err != nil {
				t.Fatalf("Start(%q) error = %v", addr, err)
			}
			if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
				t.Errorf("URL = %q, want http://127.0.0.1:port", s.URL)
			}
			if status, err := listStreams(s.URL); err != nil || status != http.StatusUnauthorized {
				t.Errorf("unauthenticated list = %d, %v; want 401", status, err)
			}
			// The address is taken while the server runs.
			if s2, err := Start(strings.TrimPrefix(s.URL, "http://")); err == nil {
				s2.Close()
				t.Errorf("Start on a busy address: no error")
			}
			s.Close()
			s.Close() // a second Close is harmless
			if _, err := listStreams(s.URL); err == nil {
				t.Error("the server still answers after Close")
			}
		})
	}
}

func TestStart_refusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "192.0.2.1:0", "example.com:80", "no-port", ""} {
		t.Run(addr, func(t *testing.T) {
			s, err := Start(addr)
			if err == nil {
				s.Close()
				t.Fatalf("Start(%q) = %s, want an error", addr, s.URL)
			}
		})
	}
}

func TestNewServerWithoutTB(t *testing.T) {
	s := NewServer(nil, WithChecker(atlasspec.Checker{}))
	s.AddProject(groupID)
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %q, want http://127.0.0.1:port", s.URL)
	}
	if status, err := listStreams(s.URL); err != nil || status != http.StatusUnauthorized {
		t.Errorf("unauthenticated list = %d, %v; want 401", status, err)
	}
	if got := s.Workspaces(groupID); got != 0 {
		t.Errorf("Workspaces() = %d, want 0", got)
	}
	if got := s.Workspaces(otherGroupID); got != 0 {
		t.Errorf("Workspaces(unknown) = %d, want 0", got)
	}
	s.Close()
	s.Close()
	if _, err := listStreams(s.URL); err == nil {
		t.Error("the server still answers after Close")
	}
}

// TestViolationReport makes the simulator answer off-spec (a name that is
// not a string) and checks that the violation is reported and kept.
func TestViolationReport(t *testing.T) {
	var mu sync.Mutex
	var reported []error
	a := New(WithChecker(atlasspec.Checker{}), WithViolationReport(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
	}))
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/api/atlas/v2/groups/"+groupID+"/streams/x", nil)
	r.Header.Set("Accept", accept)
	a.ok(httptest.NewRecorder(), r, http.StatusOK, map[string]any{"name": 5})
	kept := a.Violations()
	if len(kept) != 1 || len(reported) != 1 || !errors.Is(reported[0], kept[0]) {
		t.Fatalf("reported %v, kept %v; want the same single violation", reported, kept)
	}
	if msg := kept[0].Error(); !strings.Contains(msg, "GET /api/atlas/v2/groups/"+groupID+"/streams/x") {
		t.Errorf("violation %q does not name the request", msg)
	}
}
