package atlastest

import (
	"fmt"
	"net"
	"net/http/httptest"
	"testing"
)

// Server is an [Atlas] listening on 127.0.0.1 (or another loopback
// address given to [Start]).
type Server struct {
	*Atlas
	// URL is the origin, e.g. http://127.0.0.1:54321: pass it to
	// atlas.WithBaseURL.
	URL string
	srv *httptest.Server
}

// NewServer starts an Atlas on a free port on 127.0.0.1. With a non-nil tb,
// the options must include [WithChecker] (tests hold the simulator to the
// spec: atlastest.WithChecker(atlasspec.Checker{})), or the test fails at
// once; the server is closed when the test ends, and the test fails if any
// of the simulator's own answers violated the spec. With a nil tb (a
// program rather than a test) the caller must Close it; see [Start] for a
// fixed port and an error instead of a panic when the port is taken.
func NewServer(tb testing.TB, opts ...Option) *Server {
	if tb != nil {
		tb.Helper()
	}
	a := New(opts...)
	if tb != nil && a.checker == nil {
		tb.Fatal("atlastest: NewServer in a test needs a Checker: pass atlastest.WithChecker(atlasspec.Checker{})")
	}
	s := serve(a, httptest.NewServer(a))
	if tb != nil {
		tb.Cleanup(func() {
			s.Close()
			for _, err := range a.Violations() {
				tb.Error(err)
			}
		})
	}
	return s
}

// Start starts an Atlas for a program such as a local demo, listening on
// addr: a loopback host and port like "127.0.0.1:8081". A missing host
// (":8081") or "localhost" means 127.0.0.1, and port 0 picks a free port;
// any other host is refused, so the simulator is never reachable from the
// network. The
// caller must Close the server. To see spec violations in the simulator's
// own answers, pass [WithViolationReport] or read [Atlas.Violations].
func Start(addr string, opts ...Option) (*Server, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("atlastest: listen address %q: %w", addr, err)
	}
	if host == "" || host == "localhost" {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("atlastest: listen address %q: the simulator listens on a loopback IP address only", addr)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("atlastest: %w", err)
	}
	a := New(opts...)
	srv := httptest.NewUnstartedServer(a)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	return serve(a, srv), nil
}

func serve(a *Atlas, srv *httptest.Server) *Server {
	return &Server{Atlas: a, URL: srv.URL, srv: srv}
}

// Close stops the server, first waking handlers that are sleeping. It may
// be called more than once.
func (s *Server) Close() {
	s.Atlas.Close()
	s.srv.Close()
}
