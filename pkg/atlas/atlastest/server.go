package atlastest

import (
	"net/http/httptest"
	"testing"
)

// Server is an [Atlas] listening on a free port on 127.0.0.1.
type Server struct {
	*Atlas
	// URL is the origin, e.g. http://127.0.0.1:54321: pass it to
	// atlas.WithBaseURL.
	URL string
	srv *httptest.Server
}

// NewServer starts an Atlas on 127.0.0.1. With a non-nil tb, the server is
// closed when the test ends, and the test fails if any of the simulator's
// own answers violated the spec.
func NewServer(tb testing.TB, opts ...Option) *Server {
	a := New(opts...)
	srv := httptest.NewServer(a)
	s := &Server{Atlas: a, URL: srv.URL, srv: srv}
	if tb != nil {
		tb.Helper()
		tb.Cleanup(func() {
			s.Close()
			for _, err := range a.Violations() {
				tb.Error(err)
			}
		})
	}
	return s
}

// Close stops the server, first waking handlers that are sleeping.
func (s *Server) Close() {
	s.Atlas.Close()
	s.srv.Close()
}
