package lambdatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// maxPayload is Lambda's limit for a synchronous invocation's payload.
const maxPayload = 6 << 20

// relayDrainTimeout bounds how long the relay's cleanup waits for
// invocations still running before it cancels them.
const relayDrainTimeout = 30 * time.Second

// Relay serves the Lambda Invoke API on 127.0.0.1 in front of emulated
// functions, adding what the emulator lacks: it answers an Event invocation
// with 202 at once and runs it in the background, as Lambda does, and it
// accepts any function name (and qualifier). In front of a pool of
// emulators of the same function, each invocation runs on the next idle
// one, as Lambda runs concurrent invocations in as many execution
// environments as it needs. Point the AWS SDK's Lambda client at
// [Relay.Endpoint] (BaseEndpoint or AWS_ENDPOINT_URL_LAMBDA).
//
// RequestResponse invocations (the default) are forwarded synchronously and
// answered 200 with the function's payload; a handler error sets
// X-Amz-Function-Error: Unhandled, as Lambda does. DryRun answers 204.
type Relay struct {
	// URL is the relay's base URL, "http://127.0.0.1:PORT".
	URL string

	idle   chan *Function // the targets not running an invocation
	srv    *httptest.Server
	ctx    context.Context // background invocations run under it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	accepted int
	results  []Result
}

// Result records one invocation the relay forwarded.
type Result struct {
	// FunctionName is the name in the request path (the SDK's FunctionName).
	FunctionName string
	// InvocationType is the X-Amz-Invocation-Type the caller sent
	// ("Event", "RequestResponse", or "" for the default).
	InvocationType string
	// Payload is what the caller sent.
	Payload []byte
	// Response is what the function returned (also set for a handler error).
	Response []byte
	// Err is the forwarding or function error, if any (see [Function.Invoke]).
	Err error
	// Accepted and Finished are when the request arrived and when the
	// function's answer did.
	Accepted, Finished time.Time
}

// EventRelay starts a [Relay] in front of targets: one function, or a pool
// of emulators running the same one. It is closed in t.Cleanup, after the
// invocations still running have finished (or, past 30 s, been
// cancelled); call it after [Start] so that it closes first.
func EventRelay(t testing.TB, targets ...*Function) *Relay {
	t.Helper()
	if len(targets) == 0 {
		t.Fatal("lambdatest: EventRelay needs a function to invoke")
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Relay{idle: make(chan *Function, len(targets)), ctx: ctx, cancel: cancel}
	for _, f := range targets {
		r.idle <- f
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", r.invoke)
	r.srv = httptest.NewServer(mux) // 127.0.0.1:0
	r.URL = r.srv.URL
	t.Cleanup(r.close)
	return r
}

// Endpoint returns the base URL to give the AWS SDK's Lambda client.
func (r *Relay) Endpoint() string { return r.URL }

// Invocations returns how many invocations the relay has accepted so far.
func (r *Relay) Invocations() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.accepted
}

// Results returns the invocations that have finished, in the order they
// finished.
func (r *Relay) Results() []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Result(nil), r.results...)
}

// Wait blocks until every invocation accepted so far has finished. Call it
// after the calls that invoked through the relay have returned.
func (r *Relay) Wait() { r.wg.Wait() }

func (r *Relay) close() {
	r.srv.Close() // waits for synchronous invocations in flight
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(relayDrainTimeout):
		r.cancel()
		<-done
	}
	r.cancel()
}

func (r *Relay) invoke(w http.ResponseWriter, req *http.Request) {
	payload, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxPayload))
	if err != nil {
		writeLambdaError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "request payload too large")
		return
	}
	res := Result{
		FunctionName:   req.PathValue("name"),
		InvocationType: req.Header.Get("X-Amz-Invocation-Type"),
		Payload:        payload,
		Accepted:       time.Now(),
	}
	requestID := newRequestID()
	w.Header().Set("X-Amzn-RequestId", requestID)

	switch res.InvocationType {
	case "Event":
		r.add()
		go func() {
			defer r.wg.Done()
			r.forward(r.ctx, res)
		}()
		w.WriteHeader(http.StatusAccepted)
	case "", "RequestResponse":
		r.add()
		defer r.wg.Done()
		res = r.forward(req.Context(), res)
		var se *StatusError
		if errors.As(res.Err, &se) || res.Response == nil {
			writeLambdaError(w, http.StatusBadGateway, "ServiceException", "function did not answer")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		var fe *FunctionError
		if errors.As(res.Err, &fe) {
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
		}
		w.Write(res.Response)
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
	default:
		writeLambdaError(w, http.StatusBadRequest, "InvalidParameterValueException", "unknown invocation type")
	}
}

func (r *Relay) add() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.accepted++
	r.wg.Add(1)
}

// forward invokes the next idle target with res.Payload and records the
// result.
func (r *Relay) forward(ctx context.Context, res Result) Result {
	select {
	case f := <-r.idle:
		res.Response, res.Err = f.Invoke(ctx, res.Payload)
		r.idle <- f
	case <-ctx.Done():
		res.Err = context.Cause(ctx)
	}
	res.Finished = time.Now()
	r.mu.Lock()
	r.results = append(r.results, res)
	r.mu.Unlock()
	return res
}

// writeLambdaError answers like the Lambda API does for a service error.
func writeLambdaError(w http.ResponseWriter, status int, errorType, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", errorType)
	w.WriteHeader(status)
	io.WriteString(w, `{"Type":"User","message":"`+message+`"}`)
}

// newRequestID returns a random UUID-shaped request id.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
