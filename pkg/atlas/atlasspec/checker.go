package atlasspec

import (
	"net/http"

	"github.com/streambot/streambot/pkg/atlas/atlasroute"
)

// Checker holds the in-memory Atlas's traffic to the embedded spec: pass it
// to atlastest.WithChecker, and the simulator answers a request the spec
// rejects with 400 VALIDATION_ERROR and records every answer of its own
// that the spec rejects. The zero value is ready to use; the spec is loaded
// on the first check (see [Load]).
//
// Tests install it; programs that embed the simulator (`streambot serve`,
// `streambot demo`) do not, so that they link no OpenAPI validator.
type Checker struct{}

// CheckRequest validates r, whose body is body (r.Body is not read), as
// [Spec.ValidateRequest] does. Its error is an *[atlasroute.ValidationError]
// whose Fields are the [Violations] of the spec's error.
func (Checker) CheckRequest(r *http.Request, body []byte) error {
	s, err := Load()
	if err == nil {
		err = s.ValidateRequest(r, body)
	}
	if err != nil {
		return &atlasroute.ValidationError{Fields: Violations(err), Err: err}
	}
	return nil
}

// CheckResponse validates an answer to r (status, header h, body) as
// [Spec.ValidateResponse] does.
func (Checker) CheckResponse(r *http.Request, status int, h http.Header, body []byte) error {
	s, err := Load()
	if err != nil {
		return err
	}
	return s.ValidateResponse(r, status, h, body)
}
