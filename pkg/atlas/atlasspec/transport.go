package atlasspec

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// CheckingTransport returns an http.RoundTripper that validates every
// request to /api/atlas/v2/… passing through it, and the response to it,
// against the spec, calling report with each violation (report must be safe
// for concurrent use). Other requests, such as the OAuth token exchange at
// /api/oauth/token, pass through unchecked. The requests and responses
// themselves are passed on unchanged. A nil base means
// http.DefaultTransport.
//
// The violations name the method, path and what is wrong; they never
// include headers, so no credential reaches report.
func CheckingTransport(base http.RoundTripper, report func(error)) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &checkingTransport{base: base, report: report}
}

type checkingTransport struct {
	base   http.RoundTripper
	report func(error)
}

func (t *checkingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(r.URL.Path, APIPrefix) {
		return t.base.RoundTrip(r)
	}
	s, err := Load()
	if err != nil {
		t.report(err)
		return t.base.RoundTrip(r)
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		body, err = io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		// RoundTrippers must not modify the request: send a clone that
		// carries the bytes just read.
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	if err := s.ValidateRequest(r, body); err != nil {
		t.report(fmt.Errorf("atlasspec: request %s %s: %w", r.Method, r.URL.Path, err))
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err != nil {
		// Hand the short body and the read error to the caller, as the
		// network would have.
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(respBody), errReader{err}))
		return resp, nil
	}
	if err := s.ValidateResponse(r, resp.StatusCode, resp.Header, respBody); err != nil {
		t.report(fmt.Errorf("atlasspec: response %d to %s %s: %w", resp.StatusCode, r.Method, r.URL.Path, err))
	}
	return resp, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
