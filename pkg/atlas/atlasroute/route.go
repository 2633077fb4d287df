// Package atlasroute routes Atlas Administration API v2 requests to the
// operations of streambot's spec excerpts (package atlasspec) and picks the
// versioned media types Atlas answers with, without loading the spec.
//
// It is the part of the contract the in-memory Atlas (package atlastest)
// needs to serve: the operations as a table ([Operations]), path matching
// ([Route]), the versioned Accept header ([AcceptVersion]) and the shape of
// a rejected request ([ValidationError]). Validation against the spec lives
// in atlasspec, with kin-openapi, whose package initialization costs about
// 3 ms of start-up (santhosh-tekuri/jsonschema compiles five JSON Schema
// metaschemas in its init): programs that embed the simulator, such as
// `streambot serve`, link this package and not atlasspec. atlasspec's tests
// hold the table to the spec (every operation, method, path and media type)
// and [Route] to kin-openapi's router.
package atlasroute

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// APIPrefix is the path prefix of every Admin API v2 operation.
const APIPrefix = "/api/atlas/v2/"

// MinVersion is the oldest resource version date the Admin API v2 serves.
const MinVersion = "2023-02-01"

// ErrNoRoute is wrapped by the errors [Route] returns.
var ErrNoRoute = errors.New("no documented operation")

// ErrAccept is wrapped by the errors [AcceptVersion] returns.
var ErrAccept = errors.New("missing or malformed versioned Accept header")

// verbSegment marks, in a routed path, the segment that holds a custom
// method's verb (AIP-136): ".../processor/{processorName}:start" is routed
// as ".../processor/{processorName}/:start", as atlasspec routes it for
// kin-openapi, whose router matches whole segments only. A hand-made path
// could spell that form literally, so a verb route matches only a request
// that named a verb, and a plain route only one that did not.
const verbSegment = "/:"

// template is an operation's path, split for matching.
type template struct {
	op   *Operation
	segs []string // "" for a {variable}
	vars []string // variable names, in order
	verb bool
}

// templates returns the table's paths split into segments, in kin-openapi's
// order of preference: at the first segment where two differ, a constant
// before a variable, and a path before its extensions.
var templates = sync.OnceValue(func() []template {
	ts := make([]template, 0, len(operations))
	for i := range operations {
		op := &operations[i]
		path := op.Path
		if base, verb, ok := customVerb(path); ok {
			path = base + verbSegment + verb
		}
		t := template{op: op, verb: strings.Contains(path, verbSegment)}
		for _, s := range split(path) {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				t.vars = append(t.vars, s[1:len(s)-1])
				s = ""
			}
			t.segs = append(t.segs, s)
		}
		ts = append(ts, t)
	}
	slices.SortStableFunc(ts, func(a, b template) int {
		for i := range min(len(a.segs), len(b.segs)) {
			switch x, y := a.segs[i], b.segs[i]; {
			case x == y:
			case x == "":
				return 1
			case y == "":
				return -1
			default:
				return strings.Compare(y, x) // any order among constants: one at most matches
			}
		}
		return len(a.segs) - len(b.segs)
	})
	return ts
})

// customVerb splits a path template ending in a custom method, e.g.
// "/api/atlas/v2/…/processor/{processorName}:startWith", into the path up to
// the closing brace and the verb (letters only).
func customVerb(path string) (base, verb string, ok bool) {
	i := strings.LastIndex(path, "}:")
	if i < 0 || i+2 == len(path) {
		return "", "", false
	}
	for _, c := range path[i+2:] {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return "", "", false
		}
	}
	return path[:i+1], path[i+2:], true
}

// split returns path's segments after its leading slash, trailing slashes
// dropped, as kin-openapi's router sees them.
func split(path string) []string {
	path = strings.TrimRight(path, "/")
	return strings.Split(strings.TrimPrefix(path, "/"), "/")
}

// Route returns the operation r's method and path match, with the path
// parameters by name, or an error wrapping [ErrNoRoute]. It matches as
// kin-openapi's router does for atlasspec: on the unescaped path, trailing
// slashes ignored, a {variable} standing for one segment (which may be
// empty), custom methods as described at [Operation.Path]. The Operation
// shares its Success slice with the table: do not modify it.
func Route(r *http.Request) (Operation, map[string]string, error) {
	path, verb := routedPath(r.URL)
	segs := split(path)
	for _, t := range templates() {
		if t.op.Method != r.Method || t.verb != verb {
			continue
		}
		if params, ok := t.match(segs); ok {
			return *t.op, params, nil
		}
	}
	return Operation{}, nil, fmt.Errorf("%w for %s %s", ErrNoRoute, r.Method, r.URL.Path)
}

// match reports whether segs fit t and returns t's variables. Like
// kin-openapi's router, it also lets a path stop just before a final
// variable, which is then empty ("…/streams" matches
// "…/streams/{tenantName}" with tenantName ""): the spec's checks reject
// such a request.
func (t template) match(segs []string) (map[string]string, bool) {
	switch {
	case len(segs) == len(t.segs):
	case len(segs) == len(t.segs)-1 && t.segs[len(t.segs)-1] == "":
		segs = append(segs[:len(segs):len(segs)], "")
	default:
		return nil, false
	}
	params := make(map[string]string, len(t.vars))
	v := 0
	for i, s := range t.segs {
		if s == "" {
			params[t.vars[v]] = segs[i]
			v++
			continue
		}
		if segs[i] != s {
			return nil, false
		}
	}
	return params, true
}

// routedPath returns u's unescaped path, a custom method's verb (a last
// segment with a colon, like "p1:start") moved into a segment of its own,
// and whether there was one.
func routedPath(u *url.URL) (string, bool) {
	escaped := u.EscapedPath()
	slash := strings.LastIndexByte(escaped, '/')
	colon := strings.LastIndexByte(escaped, ':')
	if colon <= slash+1 || colon == len(escaped)-1 {
		return u.Path, false
	}
	path, err := url.PathUnescape(escaped[:colon] + verbSegment + escaped[colon+1:])
	if err != nil {
		return u.Path, false
	}
	return path, true
}

// ResponseMediaType returns the media type Atlas answers r with on success:
// the newest documented resource version of r's operation not after the
// date r's Accept header asks for, e.g. application/vnd.atlas.2023-02-01+json
// for a stream workspace requested with 2025-03-12.
func ResponseMediaType(r *http.Request) (string, error) {
	op, _, err := Route(r)
	if err != nil {
		return "", err
	}
	date, err := AcceptVersion(r.Header)
	if err != nil {
		return "", err
	}
	return PickMediaType(op.Success, "application/vnd.atlas."+date+"+json", date)
}

// versionOf returns the date of a versioned media type,
// application/vnd.atlas.YYYY-MM-DD+json, and whether mt is one. The date
// has that shape but need not be a real day.
func versionOf(mt string) (string, bool) {
	date, ok := strings.CutPrefix(mt, "application/vnd.atlas.")
	if !ok {
		return "", false
	}
	if date, ok = strings.CutSuffix(date, "+json"); !ok || len(date) != len("2006-01-02") {
		return "", false
	}
	for i, c := range []byte(date) {
		if i == 4 || i == 7 {
			if c != '-' {
				return "", false
			}
		} else if c < '0' || c > '9' {
			return "", false
		}
	}
	return date, true
}

// AcceptVersion returns the resource version date that h's Accept header
// asks for: the first application/vnd.atlas.YYYY-MM-DD+json media range with
// a real calendar date not before [MinVersion]. Other media ranges beside it
// are ignored; without one, the error wraps [ErrAccept].
func AcceptVersion(h http.Header) (string, error) {
	for _, v := range h.Values("Accept") {
		for part := range strings.SplitSeq(v, ",") {
			mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			date, ok := versionOf(mt)
			if !ok {
				continue
			}
			if !validDate(date) || date < MinVersion {
				return "", fmt.Errorf("%w: version %q is not a date from %s on", ErrAccept, date, MinVersion)
			}
			return date, nil
		}
	}
	return "", fmt.Errorf("%w: want application/vnd.atlas.YYYY-MM-DD+json, got %q", ErrAccept, h.Get("Accept"))
}

// PickMediaType returns which of the documented media types a message with
// Content-Type ct is read as, following Atlas's versioning: a versioned type
// (or plain application/json, versioned by date) resolves to the newest
// documented version on or before its date; a JSON type matches a documented
// application/json.
func PickMediaType(documented []string, ct, date string) (string, error) {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", fmt.Errorf("media type %q: %w", ct, err)
	}
	if slices.Contains(documented, mt) {
		return mt, nil
	}
	if !IsJSON(mt) {
		return "", fmt.Errorf("media type %q is not JSON; documented: %s", mt, list(documented))
	}
	if d, ok := versionOf(mt); ok {
		date = d
	}
	best, bestDate := "", ""
	for _, k := range documented {
		d, ok := versionOf(k)
		if !ok {
			continue
		}
		if (date == "" || d <= date) && d > bestDate {
			best, bestDate = k, d
		}
	}
	if best != "" {
		return best, nil
	}
	if slices.Contains(documented, "application/json") {
		return "application/json", nil
	}
	return "", fmt.Errorf("media type %q resolves to no documented version; documented: %s", mt, list(documented))
}

// IsJSON reports whether mt, a media type without parameters, is JSON.
func IsJSON(mt string) bool { return mt == "application/json" || strings.HasSuffix(mt, "+json") }

func list(mts []string) string {
	if len(mts) == 0 {
		return "none"
	}
	s := slices.Sorted(slices.Values(mts))
	return strings.Join(s, ", ")
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// FieldViolation is one problem found in a request, in the shape of an
// entry of Atlas's badRequestDetail.fields.
type FieldViolation struct {
	Field       string // a body path such as "dataProcessRegion.region", or a parameter name
	Description string // what is wrong, without schema dumps
}

// ValidationError is a request the spec rejects, as a checker of the
// simulator's traffic reports it (atlasspec.Checker): Fields names what is
// wrong where the checker can say, Err says it in full.
type ValidationError struct {
	Fields []FieldViolation // empty when no field is at fault, e.g. a body that is not JSON
	Err    error
}

func (e *ValidationError) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *ValidationError) Unwrap() error { return e.Err }
