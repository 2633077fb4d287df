// Package dispatch hands Jobs from the Slack function to the worker
// function with Lambda's asynchronous invoke. It is apart from
// internal/slackbot so that streambot serve, which runs the worker
// in-process, links none of it; and it calls Lambda with a small signed
// HTTP client ([Client]) rather than the AWS SDK's Lambda client, whose
// size and package initialization the Slack function would pay for one
// call.
package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/streambot/streambot/internal/provision"
)

// Invoker makes Lambda's asynchronous invoke: [*Client] in AWS.
type Invoker interface {
	// InvokeEvent invokes functionName with payload and InvocationType
	// Event, and returns nil once Lambda has queued the event (202 without
	// a function error).
	InvokeEvent(ctx context.Context, functionName string, payload []byte) error
}

// Lambda hands Jobs to the worker function with an asynchronous
// Lambda invoke (InvocationType Event): Lambda queues the Job and answers
// 202 at once; the worker runs it, with Lambda's retries and on-failure
// destination behind it.
//
// See https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
type Lambda struct {
	client       Invoker
	functionName string
}

// NewLambda returns a dispatcher that invokes functionName (a
// name, ARN or partial ARN; CREATE_FUNCTION_NAME) through client.
func NewLambda(client Invoker, functionName string) *Lambda {
	return &Lambda{client: client, functionName: functionName}
}

// Dispatch queues job for the worker. Anything but a 202 without a
// FunctionError is a failure; a [*RefusedError] when the Job certainly was
// not queued, any other error when it may have been (a time-out, a 5xx, a
// connection lost after the request went out).
func (d *Lambda) Dispatch(ctx context.Context, job provision.Job) error {
	payload, err := json.Marshal(job)
	if err != nil {
		return &RefusedError{Err: fmt.Errorf("encode job: %w", err)}
	}
	if err := d.client.InvokeEvent(ctx, d.functionName, payload); err != nil {
		err = fmt.Errorf("invoke %s: %w", d.functionName, err)
		if notQueued(err) {
			return &RefusedError{Err: err}
		}
		return err
	}
	return nil
}

// LazyInvoker returns an Invoker that builds its client with build on
// first use (with that call's ctx) and keeps it. A failed build is not
// kept: the next call tries again. It lets a cold start skip loading the
// AWS configuration until a command is actually dispatched; help, usage
// errors and denials never need it.
func LazyInvoker(build func(ctx context.Context) (Invoker, error)) Invoker {
	return &lazyInvoker{build: build}
}

type lazyInvoker struct {
	build  func(ctx context.Context) (Invoker, error)
	mu     sync.Mutex
	client Invoker
}

func (l *lazyInvoker) InvokeEvent(ctx context.Context, functionName string, payload []byte) error {
	l.mu.Lock()
	c := l.client
	if c == nil {
		var err error
		c, err = l.build(ctx)
		if err == nil && c == nil {
			err = errors.New("no lambda client")
		}
		if err != nil {
			l.mu.Unlock()
			return &RefusedError{Err: fmt.Errorf("lambda client: %w", err)} // nothing was sent
		}
		l.client = c
	}
	l.mu.Unlock()
	return c.InvokeEvent(ctx, functionName, payload)
}

// RefusedError says the Job certainly did not reach the worker: it could
// not be encoded, the Lambda client could not be built, the connection was
// refused, or Lambda answered with a client error other than a throttle
// (the function does not exist, access is denied, the payload is too
// large). Nothing will happen, and sending the command again is safe.
// Every other dispatch error leaves the outcome unknown: Lambda may have
// queued the Job before the answer was lost.
type RefusedError struct{ Err error }

// Error implements error.
func (e *RefusedError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *RefusedError) Unwrap() error { return e.Err }

// Refused reports true: the Slack edge tells a certain refusal from an
// unknown outcome by this method, without importing this package.
func (e *RefusedError) Refused() bool { return true }

// notQueued reports whether an Invoke error proves the Job was not
// queued: a 4xx answer other than 429 (those refusals do not depend on the
// moment, so an earlier attempt of the client's retries got the same), or a
// refused connection. A throttle is left unknown: the client retries it, and an
// earlier attempt that lost its answer may have been queued.
func notQueued(err error) bool {
	if _, ok := errors.AsType[*RefusedError](err); ok {
		return true
	}
	if ie, ok := errors.AsType[*InvokeError](err); ok && ie.StatusCode != 0 { // 0: no answer came
		code := ie.StatusCode
		return code >= 400 && code < 500 && code != http.StatusTooManyRequests
	}
	if ctxErr := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled); ctxErr {
		return false
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
