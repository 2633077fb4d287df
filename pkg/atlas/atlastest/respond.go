package atlastest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/streambot/streambot/pkg/atlas/atlasroute"
)

// apiError is Atlas's ApiError body.
type apiError struct {
	Detail           string            `json:"detail"`
	Error            int               `json:"error"`
	ErrorCode        string            `json:"errorCode"`
	Parameters       []any             `json:"parameters"`
	Reason           string            `json:"reason"`
	BadRequestDetail *badRequestDetail `json:"badRequestDetail,omitempty"`
}

type badRequestDetail struct {
	Fields []fieldViolation `json:"fields"`
}

type fieldViolation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

func newAPIError(status int, code, detail string, fields []fieldViolation) apiError {
	e := apiError{Detail: detail, Error: status, ErrorCode: code, Parameters: []any{}, Reason: http.StatusText(status)}
	if len(fields) > 0 {
		e.BadRequestDetail = &badRequestDetail{Fields: fields}
	}
	return e
}

// defaultCode is the errorCode of a fault's default body: the codes in the
// spec's examples where it has one.
func defaultCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return CodeValidationError
	case http.StatusUnauthorized:
		return CodeUnauthorized
	case http.StatusNotFound:
		return CodeResourceNotFound
	case http.StatusTooManyRequests:
		return "RATE_LIMITED"
	case http.StatusInternalServerError:
		return "UNEXPECTED_ERROR"
	}
	return strings.ToUpper(strings.ReplaceAll(http.StatusText(status), " ", "_"))
}

// fail answers an ApiError.
func (a *Atlas) fail(w http.ResponseWriter, r *http.Request, status int, code, detail string, fields []fieldViolation) {
	if status == http.StatusUnauthorized {
		a.challenge(w)
	}
	a.respond(w, r, status, "application/json", newAPIError(status, code, detail, fields))
}

// badRequest answers a request the spec rejected with a VALIDATION_ERROR
// naming the problem: the fields of an *atlasroute.ValidationError in err,
// or its first line.
func (a *Atlas) badRequest(w http.ResponseWriter, r *http.Request, err error) {
	var fields []fieldViolation
	var parts []string
	var verr *atlasroute.ValidationError
	if !errors.As(err, &verr) {
		verr = &atlasroute.ValidationError{Err: err}
	}
	for _, v := range verr.Fields {
		fields = append(fields, fieldViolation{Field: v.Field, Description: v.Description})
		parts = append(parts, v.Field+": "+v.Description)
	}
	detail := "Invalid request: " + strings.Join(parts, "; ") + "."
	if len(parts) == 0 {
		detail = "Invalid request: " + firstLine(err.Error()) + "."
	}
	a.fail(w, r, http.StatusBadRequest, CodeValidationError, detail, fields)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// ok answers a success with the resource version r's Accept resolves to.
func (a *Atlas) ok(w http.ResponseWriter, r *http.Request, status int, v any) {
	mt, err := atlasroute.ResponseMediaType(r)
	if err != nil { // cannot happen: serveOp checked it
		a.recordViolation(fmt.Errorf("atlastest: %s %s: %w", r.Method, r.URL.Path, err))
		mt = "application/json"
	}
	a.respond(w, r, status, mt, v)
}

// respond writes v as JSON, honouring envelope and pretty, and has the
// checker, if any, check the answer.
func (a *Atlas) respond(w http.ResponseWriter, r *http.Request, status int, mediaType string, v any) {
	q := r.URL.Query()
	var payload any = v
	if q.Get("envelope") == "true" {
		payload = envelope(status, v)
	}
	var body []byte
	var err error
	if q.Get("pretty") == "true" {
		body, err = json.MarshalIndent(payload, "", "  ")
	} else {
		body, err = json.Marshal(payload)
	}
	if err != nil {
		panic(fmt.Sprintf("atlastest: encode answer: %v", err)) // only our own types are encoded
	}
	w.Header().Set("Content-Type", mediaType)
	if _, _, err := atlasroute.Route(r); err == nil && a.checker != nil { // unknown paths have nothing to check against
		if verr := a.checker.CheckResponse(r, status, w.Header(), body); verr != nil {
			a.recordViolation(fmt.Errorf("atlastest: answer %d to %s %s violates the spec: %w", status, r.Method, r.URL.Path, verr))
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// envelope wraps v for envelope=true: a list (a map with "results") gains a
// status field; anything else becomes {"status", "content"}.
func envelope(status int, v any) any {
	if m, ok := v.(map[string]any); ok {
		if _, isList := m["results"]; isList {
			m["status"] = status
			return m
		}
	}
	return map[string]any{"status": status, "content": v}
}

// serveFault answers f instead of the operation. perform runs the
// operation itself, for delay-only and AfterApply faults. mediaType is the
// operation's success media type.
func (a *Atlas) serveFault(w http.ResponseWriter, r *http.Request, f *Fault, mediaType string, perform func(http.ResponseWriter)) {
	if !a.sleep(r.Context(), f.Delay) {
		return
	}
	if f.Status == 0 && !f.Malformed && !f.DropConnection {
		perform(w) // a pure delay
		return
	}
	if f.AfterApply {
		perform(discard{header: http.Header{}})
	}
	if f.DropConnection {
		dropConnection(w)
		return
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	if status >= 400 {
		mediaType = "application/json"
	}
	body := []byte(f.Body)
	switch {
	case f.Malformed && len(body) == 0:
		// What a proxy cutting a JSON answer short leaves behind.
		body = []byte(`{"detail":"The request was cut sh`)
	case len(body) == 0 && status >= 400:
		body, _ = json.Marshal(newAPIError(status, defaultCode(status), "Injected fault.", nil))
	case len(body) == 0:
		body = []byte(`{}`)
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if status == http.StatusUnauthorized && r.URL.Path != tokenPath {
		a.challenge(w)
	}
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
		return
	}
	panic(http.ErrAbortHandler) // HTTP/2 or a recorder: abort the stream
}

// discard is a ResponseWriter that forgets the answer (AfterApply faults).
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}
