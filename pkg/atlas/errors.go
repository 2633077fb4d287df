package atlas

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrNotFound matches, with errors.Is, an [APIError] with status 404 and
// the error [Client.ProjectUser] returns when no user matches.
var ErrNotFound = errors.New("not found")

// APIError is an error answer from Atlas: any non-2xx status, or an enveloped
// answer whose status is not 2xx. The JSON fields mirror Atlas's ApiError
// body. When the body is not JSON, StatusCode still holds the HTTP status
// and Body a bounded excerpt of the text.
//
// A failed service-account token exchange is an APIError too, with Path
// "/api/oauth/token" and the token endpoint's status (401 for wrong
// credentials).
type APIError struct {
	StatusCode       int               `json:"error"`     // the HTTP status
	ErrorCode        string            `json:"errorCode"` // e.g. VALIDATION_ERROR
	Reason           string            `json:"reason"`    // e.g. Bad Request
	Detail           string            `json:"detail"`    // what went wrong, for a person
	Parameters       []any             `json:"parameters,omitempty"`
	BadRequestDetail *BadRequestDetail `json:"badRequestDetail,omitempty"`

	// RetryAfter is the wait Atlas asked for in Retry-After (seconds or an
	// HTTP date), or zero.
	RetryAfter time.Duration `json:"-"`
	// Method and Path identify the request; Path is relative to the API
	// base ("groups/…/streams") and never holds a query.
	Method string `json:"-"`
	Path   string `json:"-"`
	// Body is a bounded excerpt of the body when it was not an ApiError
	// JSON object, and empty otherwise.
	Body string `json:"-"`
}

// BadRequestDetail lists the request fields Atlas found invalid.
type BadRequestDetail struct {
	Fields []FieldViolation `json:"fields"`
}

// FieldViolation is one invalid request field.
type FieldViolation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

// Error returns "atlas: METHOD path: status CODE: detail".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "atlas: %s %s: %d", e.Method, e.Path, e.StatusCode)
	if e.ErrorCode != "" {
		b.WriteString(" " + e.ErrorCode)
	} else if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	switch {
	case e.Detail != "":
		b.WriteString(": " + e.Detail)
	case e.Reason != "" && e.ErrorCode != "":
		b.WriteString(": " + e.Reason)
	}
	if e.BadRequestDetail != nil {
		for _, f := range e.BadRequestDetail.Fields {
			fmt.Fprintf(&b, "; %s: %s", f.Field, f.Description)
		}
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) true for a 404.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.StatusCode == http.StatusNotFound
}

// IsErrorCode reports whether err is, or wraps, an [APIError] with the given
// Atlas error code, such as "RESOURCE_NOT_FOUND".
func IsErrorCode(err error, code string) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.ErrorCode == code
}

// IsStatus reports whether err is, or wraps, an [APIError] with the given
// HTTP status.
func IsStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == status
}

// IsTokenError reports whether err is, or wraps, a failed service-account
// token exchange: no API request was sent, and none can be until the token
// endpoint answers.
func IsTokenError(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Path == "/"+tokenPath
}

// newAPIError builds the error for an answer with the given (possibly
// enveloped) status and body.
func (c *Client) newAPIError(req *http.Request, resp *http.Response, status int, body []byte) *APIError {
	e := parseErrorBody(status, body)
	e.Method = req.Method
	e.Path = c.displayPath(req)
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), c.now())
	return e
}

// parseErrorBody decodes an ApiError body; the given status wins over the
// body's "error" field. A body that is not an ApiError object is kept as an
// excerpt.
func parseErrorBody(status int, body []byte) *APIError {
	e := &APIError{}
	var probe map[string]json.RawMessage
	if json.Unmarshal(body, &probe) == nil && (probe["errorCode"] != nil || probe["error"] != nil) {
		if json.Unmarshal(body, e) == nil {
			e.StatusCode = status
			return e
		}
		e = &APIError{}
	}
	e.StatusCode = status
	e.Body = excerpt(body)
	return e
}

// excerpt returns b, trimmed, as valid UTF-8 (invalid bytes replaced),
// cut at a character boundary to at most maxBodyExcerpt bytes plus "…".
func excerpt(b []byte) string {
	s := strings.ToValidUTF8(strings.TrimSpace(string(b)), "\uFFFD")
	if len(s) <= maxBodyExcerpt {
		return s
	}
	cut := maxBodyExcerpt
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// maxRetryAfterSecs caps a Retry-After in seconds, so that a huge value
// cannot overflow a time.Duration.
const maxRetryAfterSecs = 24 * 60 * 60

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
// It returns zero for an empty, invalid or past value.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, maxRetryAfterSecs)) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if d := t.Sub(now); d > 0 {
		return d
	}
	return 0
}
