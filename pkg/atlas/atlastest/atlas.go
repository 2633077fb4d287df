// Package atlastest is an in-memory MongoDB Atlas Administration API v2 that
// speaks the real wire format, for tests and local runs.
//
// It serves what streambot uses: the OAuth token endpoint
// (POST /api/oauth/token), HTTP Digest authentication for API keys, the five
// stream workspace operations under /api/atlas/v2/groups/{groupId}/streams,
// their processors and connections (see processors.go and
// [Atlas.AddProcessor]), and the project users list, routed by the
// operations of MongoDB's spec excerpts (package atlasroute) and answered
// with Atlas's statuses, media types and ApiError bodies.
//
// With a [Checker] (atlastest.WithChecker(atlasspec.Checker{})) every
// request is checked against the spec excerpts, and one the spec rejects is
// answered 400 VALIDATION_ERROR; every response the simulator builds is
// checked too (see [Atlas.Violations]). Tests install one: [NewServer]
// refuses to start in a test without it. Programs that embed the simulator
// (`streambot serve`) leave it out, because the validator (kin-openapi and
// its JSON Schema library) costs about 3 ms of package initialization in
// every binary that links it; this package does not import it.
//
// Tests start it with [NewServer], which closes it and fails the test on
// any violation at cleanup; programs (a local demo) start it with [Start]
// or NewServer(nil), close it themselves and see violations through
// [WithViolationReport]. Either way it listens on loopback only.
//
// Choices where Atlas documents nothing, all visible on the wire:
//   - Missing or bad credentials: 401 ApiError with errorCode
//     [CodeUnauthorized] and a Digest challenge in WWW-Authenticate (realm
//     "MMS Public API", MD5, qop=auth, as Atlas sends it).
//   - A missing, malformed or too old versioned Accept header: 406 ApiError
//     [CodeInvalidAcceptHeader]. Any well-formed date from 2023-02-01 on is
//     accepted and answered with the newest resource version on or before it
//     (application/vnd.atlas.2023-02-01+json for stream workspaces).
//   - A request the spec rejects (with a [Checker]), an Accept date before
//     the operation's first version, an unpaired provider and region, a bad
//     name or tier: 400 ApiError [CodeValidationError] whose detail and
//     badRequestDetail.fields name the problem. The spec's readOnly rule
//     applies: a create body carrying _id, hostnames or links is refused.
//   - A duplicate workspace name in a project: 409 ApiError
//     [CodeDuplicateName] (Atlas documents no code for this).
//   - Unknown workspace: 404 [CodeWorkspaceNotFound]; unknown project: 404
//     [CodeGroupNotFound]; unknown path: 404 RESOURCE_NOT_FOUND.
//   - ApiError bodies always carry "parameters": [] (Atlas fills it with
//     scalars, which the spec's "items: type: object" would reject).
//   - envelope=true keeps the HTTP status and wraps the body as
//     {"status": <code>, "content": <body>}; a list instead gains "status"
//     beside its results, as the spec's envelope parameter describes.
//   - A create without streamConfig gets tier [DefaultTier].
//   - GET without includeConnections=true and list results omit
//     connections; create and update answers include them.
//   - The project users list is served in version 2025-02-19 only (the one
//     whose username filter works); an older date gets 406.
//   - A method the spec does not document on a known path gets 404
//     RESOURCE_NOT_FOUND, like an unknown path (Atlas may answer 405).
package atlastest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/streambot/streambot/pkg/atlas"
	"github.com/streambot/streambot/pkg/atlas/atlasroute"
)

// Error codes the simulator answers with.
const (
	CodeUnauthorized        = "UNAUTHORIZED"
	CodeInvalidAcceptHeader = "INVALID_ACCEPT_HEADER"
	CodeValidationError     = "VALIDATION_ERROR"
	CodeDuplicateName       = "STREAM_TENANT_NAME_ALREADY_EXISTS"
	CodeWorkspaceNotFound   = "STREAM_TENANT_NOT_FOUND_FOR_NAME"
	CodeGroupNotFound       = "GROUP_NOT_FOUND"
	CodeResourceNotFound    = "RESOURCE_NOT_FOUND"
)

// DefaultTier is the tier a workspace created without streamConfig gets.
const DefaultTier = atlas.TierSP10

// DefaultTokenTTL is how long an access token is valid, as Atlas documents.
const DefaultTokenTTL = time.Hour

// Op names an operation for fault injection and call counts. The API
// operations carry the spec's operationId.
type Op string

// The operations the simulator serves.
const (
	OpToken        Op = "token"
	OpListStreams  Op = "listGroupStreamWorkspaces"
	OpCreateStream Op = "createGroupStreamWorkspace"
	OpGetStream    Op = "getGroupStreamWorkspace"
	OpUpdateStream Op = "updateGroupStreamWorkspace"
	OpDeleteStream Op = "deleteGroupStreamWorkspace"
	OpListUsers    Op = "listGroupUsers"
)

const (
	tokenPath          = "/api/oauth/token"
	maxRequestBody     = 1 << 20
	digestNonceTTL     = 5 * time.Minute
	hostnameDomain     = "a.query.mongodb.net"
	workspaceIDLength  = 24
	hostnameSuffixSize = 5
)

// Atlas is the in-memory Atlas, an http.Handler. Build it with [New]; it is
// safe for concurrent use.
type Atlas struct {
	latency     time.Duration
	tokenTTL    time.Duration
	now         func() time.Time
	hostDelay   int
	deleteDelay time.Duration
	done        chan struct{} // closed by Close: sleeping handlers give up
	closeOnce   sync.Once
	mu          sync.Mutex
	accounts    map[string]string    // service account client ID -> secret
	apiKeys     map[string]string    // public key -> private key
	tokens      map[string]time.Time // access token -> expiry
	nonces      map[string]*nonce
	projects    map[string]*project
	calls       map[Op]int
	faults      map[Op][]*Fault
	violations  []error
	report      func(error)           // from WithViolationReport, or nil
	checker     Checker               // from WithChecker, or nil
	streams     map[setKey]*streamSet // processors and connections, see processors.go
	// sampleProcessors: see WithSampleProcessors.
	sampleProcessors bool
}

type project struct {
	workspaces []*workspace // in creation order
	users      []user
}

type workspace struct {
	ws          atlas.StreamWorkspace
	hiddenGets  int       // GETs left that show no hostnames
	deleteAfter time.Time // zero unless deleted
}

type user struct {
	id, username string
	roles        []string
	created      time.Time
	status       string // orgMembershipStatus; "" is ACTIVE (see AddInvitedProjectUser)
}

// Option configures an [Atlas].
type Option func(*Atlas)

// WithSampleProcessors gives every workspace created with the solar sample
// connection two stream processors reading it, as a person would set them
// up to try stream processing: "solarDemo" (STARTED) and "solarAlerts"
// (STOPPED), on [DefaultPipeline]. `streambot serve` uses it with the
// embedded Atlas, so the processor commands have something to show.
func WithSampleProcessors() Option { return func(a *Atlas) { a.sampleProcessors = true } }

// WithLatency adds d before every answer, as a real network and API would.
func WithLatency(d time.Duration) Option { return func(a *Atlas) { a.latency = d } }

// WithTokenTTL sets how long access tokens are valid (default 1 hour).
func WithTokenTTL(d time.Duration) Option { return func(a *Atlas) { a.tokenTTL = d } }

// WithClock sets the clock for token expiry, digest nonces and delayed
// deletion (default time.Now).
func WithClock(now func() time.Time) Option { return func(a *Atlas) { a.now = now } }

// WithHostnameDelay makes a new workspace show no hostnames in the create
// answer and its first n GETs, as a workspace still being provisioned does.
func WithHostnameDelay(n int) Option { return func(a *Atlas) { a.hostDelay = n } }

// WithDeleteDelay keeps a deleted workspace visible for d after the 202
// (default 0: it is gone from the next read on).
func WithDeleteDelay(d time.Duration) Option { return func(a *Atlas) { a.deleteDelay = d } }

// WithViolationReport calls report with each spec violation found in the
// simulator's own answers, as it happens (from the handler's goroutine, so
// report must be safe for concurrent use). Programs that run the simulator
// outside tests log them this way; [Atlas.Violations] keeps them too.
func WithViolationReport(report func(error)) Option { return func(a *Atlas) { a.report = report } }

// Checker holds the simulator's traffic to a contract: MongoDB's spec
// excerpts, in tests (atlasspec.Checker). It is declared here so that this
// package links no validator; see the package comment.
type Checker interface {
	// CheckRequest returns why r, whose body is body (r.Body is not
	// read), is not a valid request for the operation it matches, or nil.
	// An *atlasroute.ValidationError in the error names the fields at
	// fault for the 400 answer's badRequestDetail.
	CheckRequest(r *http.Request, body []byte) error
	// CheckResponse returns why an answer to r (status, header h, body)
	// does not match the documented response, or nil.
	CheckResponse(r *http.Request, status int, h http.Header, body []byte) error
}

// WithChecker holds every request and answer to c (see [Checker]).
func WithChecker(c Checker) Option { return func(a *Atlas) { a.checker = c } }

// New returns an empty Atlas: add projects and credentials before use.
//
// New is cheap: it loads nothing, and a [Checker] such as atlasspec's loads
// its spec (about 13 ms, once per process) on the first request.
func New(opts ...Option) *Atlas {
	a := &Atlas{
		tokenTTL: DefaultTokenTTL,
		now:      time.Now,
		done:     make(chan struct{}),
		accounts: map[string]string{},
		apiKeys:  map[string]string{},
		tokens:   map[string]time.Time{},
		nonces:   map[string]*nonce{},
		projects: map[string]*project{},
		calls:    map[Op]int{},
		faults:   map[Op][]*Fault{},
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

// AddProject creates an empty project (group) with the given 24-hex ID.
func (a *Atlas) AddProject(groupID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.projectLocked(groupID)
}

func (a *Atlas) projectLocked(groupID string) *project {
	p := a.projects[groupID]
	if p == nil {
		p = &project{}
		a.projects[groupID] = p
	}
	return p
}

// AddServiceAccount lets a service account with this client ID and secret
// obtain access tokens.
func (a *Atlas) AddServiceAccount(clientID, secret string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.accounts[clientID] = secret
}

// AddAPIKey lets an API key authenticate with HTTP Digest (public key as
// user name, private key as password).
func (a *Atlas) AddAPIKey(publicKey, privateKey string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.apiKeys[publicKey] = privateKey
}

// AddProjectUser adds an active Atlas user with project roles (e.g.
// "GROUP_OWNER") to a project, creating the project if needed.
func (a *Atlas) AddProjectUser(groupID, username string, roles ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.projectLocked(groupID)
	p.users = append(p.users, user{id: newID(), username: username, roles: roles, created: a.now().UTC()})
}

// Workspace returns the stored workspace with this name in the project, as
// Atlas holds it (hostnames included even while GETs still hide them), and
// false when there is none or it has been deleted.
func (a *Atlas) Workspace(groupID, name string) (atlas.StreamWorkspace, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w := a.findLocked(groupID, name)
	if w == nil || !w.deleteAfter.IsZero() {
		return atlas.StreamWorkspace{}, false
	}
	return cloneWorkspace(w.ws), true
}

// Workspaces returns the number of live workspaces in a project.
func (a *Atlas) Workspaces(groupID string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.projects[groupID]
	if p == nil {
		return 0
	}
	a.sweepLocked(p)
	n := 0
	for _, w := range p.workspaces {
		if w.deleteAfter.IsZero() {
			n++
		}
	}
	return n
}

// Calls returns how many calls of op the simulator received: token
// requests, and authenticated API calls, faulted ones included. Digest
// challenges and rejected credentials are not counted, so a create counts
// once with either auth scheme.
func (a *Atlas) Calls(op Op) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[op]
}

// ResetCalls sets every call counter back to zero.
func (a *Atlas) ResetCalls() {
	a.mu.Lock()
	defer a.mu.Unlock()
	clear(a.calls)
}

// Violations returns the spec violations found in the simulator's own
// answers (a simulator bug, never expected). [NewServer] fails its test
// when any remain at cleanup; see also [WithViolationReport].
func (a *Atlas) Violations() []error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]error(nil), a.violations...)
}

// Close makes handlers that are sleeping (latency, delay faults) return at
// once. The Atlas keeps serving new requests without delays.
func (a *Atlas) Close() { a.closeOnce.Do(func() { close(a.done) }) }

// ServeHTTP implements http.Handler.
func (a *Atlas) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !a.sleep(r.Context(), a.latency) {
		return
	}
	switch {
	case r.URL.Path == tokenPath:
		a.count(OpToken)
		if f := a.nextFault(OpToken); f != nil {
			a.serveFault(w, r, f, "application/json", func(w http.ResponseWriter) { a.serveToken(w, r) })
			return
		}
		a.serveToken(w, r)
	case strings.HasPrefix(r.URL.Path, atlasroute.APIPrefix):
		a.serveAPI(w, r)
	default:
		http.NotFound(w, r)
	}
}

// call is one authenticated API request being served.
type call struct {
	r      *http.Request
	op     Op
	params map[string]string
	body   []byte
}

func (a *Atlas) serveAPI(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		a.fail(w, r, http.StatusBadRequest, CodeValidationError, "The request body could not be read.", nil)
		return
	}
	if !a.authenticate(w, r) {
		return
	}
	op, params, err := atlasroute.Route(r)
	if err != nil {
		a.fail(w, r, http.StatusNotFound, CodeResourceNotFound, "Cannot find resource "+r.URL.Path+".", nil)
		return
	}
	c := &call{r: r, op: Op(op.ID), params: params, body: body}
	a.count(c.op)
	if f := a.nextFault(c.op); f != nil {
		mt, err := atlasroute.ResponseMediaType(r)
		if err != nil {
			mt = "application/json"
		}
		a.serveFault(w, r, f, mt, func(w http.ResponseWriter) { a.serveOp(w, c) })
		return
	}
	a.serveOp(w, c)
}

func (a *Atlas) serveOp(w http.ResponseWriter, c *call) {
	r := c.r
	if _, err := atlasroute.AcceptVersion(r.Header); err != nil {
		a.fail(w, r, http.StatusNotAcceptable, CodeInvalidAcceptHeader, "Invalid accept header or version date.", nil)
		return
	}
	if a.checker != nil {
		if err := a.checker.CheckRequest(r, c.body); err != nil {
			a.badRequest(w, r, err)
			return
		}
	}
	// Without a checker, still refuse a date before the operation's first
	// version, as the spec's check does: there is no answer to give.
	if _, err := atlasroute.ResponseMediaType(r); err != nil {
		a.badRequest(w, r, fmt.Errorf("header Accept: %w", err))
		return
	}
	switch c.op {
	case OpListStreams:
		a.listStreams(w, c)
	case OpCreateStream:
		a.createStream(w, c)
	case OpGetStream:
		a.getStream(w, c)
	case OpUpdateStream:
		a.updateStream(w, c)
	case OpDeleteStream:
		a.deleteStream(w, c)
	case OpListUsers:
		a.listUsers(w, c)
	default:
		if a.serveStreamsOp(w, c) { // processors and connections (processors.go)
			return
		}
		a.fail(w, r, http.StatusNotFound, CodeResourceNotFound, "Cannot find resource "+r.URL.Path+".", nil)
	}
}

func (a *Atlas) count(op Op) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls[op]++
}

// sleep waits d, and reports false when ctx ended first.
func (a *Atlas) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-a.done:
		return ctx.Err() == nil
	case <-ctx.Done():
		return false
	}
}

func (a *Atlas) recordViolation(err error) {
	a.mu.Lock()
	a.violations = append(a.violations, err)
	a.mu.Unlock()
	if a.report != nil {
		a.report(err)
	}
}

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("atlastest: crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)[:n]
}

// newID returns a 24-hex ObjectId-like identifier.
func newID() string { return randomHex(workspaceIDLength) }
