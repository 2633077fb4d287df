// Package atlasspec embeds the excerpts of MongoDB's official Atlas
// Administration API v2 OpenAPI spec that streambot relies on (stream
// workspaces, their processors and connections, and project users) and
// validates HTTP requests and responses
// against them with github.com/getkin/kin-openapi.
//
// It is the contract both sides of streambot's Atlas tests are held to: the
// client's requests (through [CheckingTransport]) and the simulator's
// responses (package atlastest).
//
// The excerpts are used verbatim except for one documented correction, made
// in one place (func correct in spec.go): the spec declares BaseStreamsRegion as "type: object" with a
// oneOf of string enums, while on the wire the region is a string (MongoDB's
// own example request sends "region": "SYDNEY_AUS"). The correction makes it
// "type: string", so the oneOf of enums does the real work.
//
// A second correction concerns processor stats: StreamsProcessorWithStats
// declares every value of "stats" as an object, while Atlas sends numbers,
// strings and arrays there (inputMessageCount, watermark, operatorStats...;
// see sp.processor.stats() in MongoDB's manual). The values are left
// free-form; "stats" itself must still be an object.
//
// Custom methods (AIP-136 style paths such as
// …/processor/{processorName}:start) are routed by this package: the
// kin-openapi router matches whole path segments only, so the verb after the
// last colon of the last segment is routed as a segment of its own (see
// verbSegment). Nothing else about those operations changes.
package atlasspec

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/streambot/streambot/pkg/atlas/atlasroute"
)

//go:embed openapi-streams.yaml
var streamsYAML []byte

//go:embed openapi-users.yaml
var usersYAML []byte

//go:embed openapi-streams-processors.yaml
var processorsYAML []byte

// APIPrefix is the path prefix of every Admin API v2 operation.
const APIPrefix = atlasroute.APIPrefix

// MinVersion is the oldest resource version date the Admin API v2 serves.
const MinVersion = atlasroute.MinVersion

// Spec is the loaded, validated spec excerpts with a router over their
// operations. It is safe for concurrent use.
type Spec struct {
	docs    []*openapi3.T
	routers []routers.Router
	opts    *openapi3filter.Options
}

// Load returns the embedded spec excerpts, parsed, corrected and validated.
// The work is done once; later calls return the same *Spec.
func Load() (*Spec, error) { return loadOnce() }

var loadOnce = sync.OnceValues(load)

func load() (*Spec, error) {
	registerDecoders()
	s := &Spec{opts: &openapi3filter.Options{
		// The spec's security schemes (DigestAuth, ServiceAccounts) are not
		// checked here: the simulator authenticates every call itself, and a
		// client's requests are checked before its auth transport runs or
		// after it, as the caller chooses. Accepting keeps auth out of the
		// shape check.
		AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error { return nil },
		// Validation must never rewrite a body: kin-openapi would otherwise
		// fill in schema defaults (e.g. sampleConnections.solar=false) and
		// re-encode the request it checks.
		SkipSettingDefaults: true,
		// Undocumented statuses (409, 406, 503, ...) are allowed, as the
		// DESIGN notes say Atlas sends them; their bodies are still checked
		// as ApiError in ValidateResponse. readOnly and writeOnly checks stay
		// on deliberately: a client must not send Atlas-assigned fields such
		// as _id, groupId, hostnames or links in a request body.
	}}
	for _, src := range []struct {
		name string
		data []byte
	}{
		{"openapi-streams.yaml", streamsYAML},
		{"openapi-users.yaml", usersYAML},
		// Also documents PATCH and DELETE of a workspace; the routers are
		// tried in order, so openapi-streams.yaml answers for those.
		{"openapi-streams-processors.yaml", processorsYAML},
	} {
		loader := openapi3.NewLoader()
		loader.IsExternalRefsAllowed = false
		doc, err := loader.LoadFromData(src.data)
		if err != nil {
			return nil, fmt.Errorf("atlasspec: load %s: %w", src.name, err)
		}
		correct(doc)
		if err := doc.Validate(loader.Context); err != nil {
			return nil, fmt.Errorf("atlasspec: validate %s: %w", src.name, err)
		}
		// The excerpts name https://cloud.mongodb.com as their only server.
		// Dropping the servers makes the router match on the path alone, so
		// the same operations match on an httptest server at
		// http://127.0.0.1:port.
		doc.Servers = nil
		splitVerbs(doc)
		router, err := legacy.NewRouter(doc)
		if err != nil {
			return nil, fmt.Errorf("atlasspec: route %s: %w", src.name, err)
		}
		s.docs = append(s.docs, doc)
		s.routers = append(s.routers, router)
	}
	return s, nil
}

// correct applies the one correction streambot makes to MongoDB's spec text.
//
// BaseStreamsRegion is declared "type: object" with "oneOf" the three string
// enums ApiStreamsAWSRegionView, ApiStreamsAzureRegionView and
// ApiStreamsGCPRegionView. No value can be both an object and one of those
// strings, and on the wire the region is a plain string: the reference page's
// example request sends "region": "SYDNEY_AUS", and Atlas answers the same.
// So the region is declared a string; the oneOf still rejects unknown
// regions such as "MARS_1".
func correct(doc *openapi3.T) {
	if doc.Components == nil {
		return
	}
	if ref := doc.Components.Schemas["BaseStreamsRegion"]; ref != nil && ref.Value != nil {
		ref.Value.Type = &openapi3.Types{openapi3.TypeString}
	}
	// Processor stats: the values are free-form (see the package comment).
	if ref := doc.Components.Schemas["StreamsProcessorWithStats"]; ref != nil && ref.Value != nil {
		if st := ref.Value.Properties["stats"]; st != nil && st.Value != nil {
			if ap := st.Value.AdditionalProperties.Schema; ap != nil && ap.Value != nil {
				ap.Value.Type = nil
			}
		}
	}
}

// verbSegment marks, in a routed path, the segment that holds a custom
// method's verb: ".../processor/{processorName}:start" is routed as
// ".../processor/{processorName}/:start". A hand-made path could spell that
// form literally, so route accepts a verb route only for a request that
// named a verb, and a plain route only for one that did not.
const verbSegment = "/:"

// customVerb matches a path template ending in a custom method, e.g.
// "/api/atlas/v2/…/processor/{processorName}:startWith".
var customVerb = regexp.MustCompile(`^(.*\}):([A-Za-z]+)$`)

// splitVerbs renames the custom-method paths of doc for routing (see
// verbSegment).
func splitVerbs(doc *openapi3.T) {
	for path, item := range doc.Paths.Map() {
		if m := customVerb.FindStringSubmatch(path); m != nil {
			doc.Paths.Delete(path)
			doc.Paths.Set(m[1]+verbSegment+m[2], item)
		}
	}
}

// routable returns r, or for a custom method (a last path segment with a
// colon, like "p1:start") a copy whose path carries the verb as a segment of
// its own, and whether it did so.
func routable(r *http.Request) (*http.Request, bool) {
	escaped := r.URL.EscapedPath()
	slash := strings.LastIndexByte(escaped, '/')
	colon := strings.LastIndexByte(escaped, ':')
	if colon <= slash+1 || colon == len(escaped)-1 {
		return r, false
	}
	routed := escaped[:colon] + verbSegment + escaped[colon+1:]
	path, err := url.PathUnescape(routed)
	if err != nil {
		return r, false
	}
	rr := r.Clone(r.Context())
	rr.URL.Path, rr.URL.RawPath = path, routed
	return rr, true
}

var registerOnce sync.Once

// registerDecoders registers the JSON body decoder for every versioned Atlas
// media type the excerpts declare (application/vnd.atlas.YYYY-MM-DD+json).
// kin-openapi v0.153.0 already falls back from "+json" types to the JSON
// decoder; registering them names the dependency explicitly, so a library
// change cannot silently stop body validation.
func registerDecoders() {
	registerOnce.Do(func() {
		for _, data := range [][]byte{streamsYAML, usersYAML, processorsYAML} {
			for _, mt := range versionedMediaType.FindAll(data, -1) {
				openapi3filter.RegisterBodyDecoder(string(mt), jsonDecoder)
			}
		}
	})
}

var versionedMediaType = regexp.MustCompile(`application/vnd\.atlas\.\d{4}-\d{2}-\d{2}\+json`)

func jsonDecoder(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	var v any
	dec := json.NewDecoder(body)
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

// Operation describes the spec operation a request matched.
type Operation struct {
	ID         string            // the spec's operationId, e.g. "createGroupStreamWorkspace"
	PathParams map[string]string // path parameters by name, e.g. "groupId"
}

// Operation returns the spec operation that r's method and path match, or
// an error when the excerpts document none.
func (s *Spec) Operation(r *http.Request) (Operation, error) {
	route, params, err := s.route(r)
	if err != nil {
		return Operation{}, err
	}
	return Operation{ID: route.Operation.OperationID, PathParams: params}, nil
}

func (s *Spec) route(r *http.Request) (*routers.Route, map[string]string, error) {
	var firstErr error
	rr, verb := routable(r)
	for _, router := range s.routers {
		route, params, err := router.FindRoute(rr)
		if err == nil && verb == strings.Contains(route.Path, verbSegment) {
			return route, params, nil
		}
		if err == nil {
			err = routers.ErrPathNotFound
		}
		if firstErr == nil || errors.Is(firstErr, routers.ErrPathNotFound) {
			firstErr = err
		}
	}
	return nil, nil, fmt.Errorf("no documented operation for %s %s: %w", r.Method, r.URL.Path, firstErr)
}

// ValidateRequest checks r, whose body is body (r.Body is not read), against
// the operation it matches: path and query parameters, the versioned Accept
// header, the Content-Type and the body's schema.
func (s *Spec) ValidateRequest(r *http.Request, body []byte) error {
	route, params, err := s.route(r)
	if err != nil {
		return err
	}
	op := route.Operation
	date, err := AcceptVersion(r.Header)
	if err != nil {
		return err
	}
	if _, err := pickMediaType(successContent(op), "application/vnd.atlas."+date+"+json", date); err != nil {
		return fmt.Errorf("header Accept: %w", err)
	}
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	if op.RequestBody != nil && op.RequestBody.Value != nil && len(body) > 0 {
		ct := r.Header.Get("Content-Type")
		mt, err := pickMediaType(op.RequestBody.Value.Content, ct, date)
		if err != nil {
			return fmt.Errorf("header Content-Type: %w", err)
		}
		req.Header.Set("Content-Type", mt)
	}
	return openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options:    s.opts,
	})
}

// ValidateResponse checks a response to r (status, header h, body) against
// the documented response for that status. Error statuses the spec does not
// list (Atlas also sends 402, 406, 409, 503, ...) must carry an ApiError
// body. With envelope=true in r's query the body is unwrapped first: the
// envelope's status must equal the HTTP status.
func (s *Spec) ValidateResponse(r *http.Request, status int, h http.Header, body []byte) error {
	route, params, err := s.route(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("envelope") == "true" {
		if body, err = unwrapEnvelope(status, body); err != nil {
			return err
		}
	}
	date, _ := AcceptVersion(r.Header) // a bad Accept is answered by an error, validated below
	header := h.Clone()
	op := route.Operation
	resp := op.Responses.Status(status)
	if resp == nil {
		resp = op.Responses.Default()
	}
	if resp == nil || resp.Value == nil {
		if status < 400 {
			return fmt.Errorf("status %d is not documented for %s", status, op.OperationID)
		}
		return s.validateAPIError(body, h)
	}
	content := resp.Value.Content
	if len(content) > 0 {
		mt, err := pickMediaType(content, h.Get("Content-Type"), date)
		if err != nil {
			if len(body) == 0 && hasNoSchema(content) {
				return nil // e.g. delete's 202: a versioned media type without a schema
			}
			return fmt.Errorf("status %d header Content-Type: %w", status, err)
		}
		header.Set("Content-Type", mt)
	}
	req := r.Clone(r.Context())
	req.Body = http.NoBody
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route, Options: s.opts,
		},
		Status:  status,
		Header:  header,
		Options: s.opts,
	}
	input.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(r.Context(), input)
}

// validateAPIError checks an error body the spec does not list for its
// status against the shared ApiError schema.
func (s *Spec) validateAPIError(body []byte, h http.Header) error {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || !atlasroute.IsJSON(mt) {
		return fmt.Errorf("error response Content-Type %q is not JSON", h.Get("Content-Type"))
	}
	v, err := jsonDecoder(bytes.NewReader(body), nil, nil, nil)
	if err != nil {
		return fmt.Errorf("error response body: %w", err)
	}
	schema := s.docs[0].Components.Schemas["ApiError"].Value
	if err := schema.VisitJSON(v, openapi3.VisitAsResponse()); err != nil {
		return fmt.Errorf("error response body doesn't match schema ApiError: %w", err)
	}
	return nil
}

func unwrapEnvelope(status int, body []byte) ([]byte, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("enveloped body: %w", err)
	}
	var got int
	if err := json.Unmarshal(env["status"], &got); err != nil {
		return nil, fmt.Errorf("enveloped body: status: %w", err)
	}
	if got != status {
		return nil, fmt.Errorf("enveloped body: status %d, HTTP status %d", got, status)
	}
	if content, ok := env["content"]; ok {
		return content, nil
	}
	// A list result is its own envelope: the status sits beside results,
	// and the paginated schemas allow the extra property.
	return body, nil
}

// ErrAccept is wrapped by the errors [AcceptVersion] returns.
var ErrAccept = atlasroute.ErrAccept

// AcceptVersion returns the resource version date that h's Accept header
// asks for: the first application/vnd.atlas.YYYY-MM-DD+json media range with
// a real calendar date not before [MinVersion]. Other media ranges beside it
// are ignored; without one, the error wraps [ErrAccept]. It is
// [atlasroute.AcceptVersion].
func AcceptVersion(h http.Header) (string, error) { return atlasroute.AcceptVersion(h) }

// ResponseMediaType returns the media type Atlas answers r with on success:
// the newest documented resource version not after the date r's Accept
// header asks for, e.g. application/vnd.atlas.2023-02-01+json for a stream
// workspace requested with 2025-03-12.
func (s *Spec) ResponseMediaType(r *http.Request) (string, error) {
	route, _, err := s.route(r)
	if err != nil {
		return "", err
	}
	date, err := AcceptVersion(r.Header)
	if err != nil {
		return "", err
	}
	return pickMediaType(successContent(route.Operation), "application/vnd.atlas."+date+"+json", date)
}

// successContent returns the content of op's 2xx response.
func successContent(op *openapi3.Operation) openapi3.Content {
	for _, code := range []int{200, 201, 202, 204} {
		if resp := op.Responses.Status(code); resp != nil && resp.Value != nil {
			return resp.Value.Content
		}
	}
	return nil
}

// pickMediaType returns the key of content a message with Content-Type ct is
// validated against (see [atlasroute.PickMediaType]).
func pickMediaType(content openapi3.Content, ct, date string) (string, error) {
	return atlasroute.PickMediaType(slices.Collect(maps.Keys(content)), ct, date)
}

func hasNoSchema(content openapi3.Content) bool {
	for _, v := range content {
		if v != nil && v.Schema != nil {
			return false
		}
	}
	return true
}
