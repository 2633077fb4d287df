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
// FunctionError is a failure.
func (d *Lambda) Dispatch(ctx context.Context, job provision.Job) error {
	payload, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("encode job: %w", err)
	}
	if err := d.client.InvokeEvent(ctx, d.functionName, payload); err != nil {
		return fmt.Errorf("invoke %s: %w", d.functionName, err)
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
			return fmt.Errorf("lambda client: %w", err)
		}
		l.client = c
	}
	l.mu.Unlock()
	return c.InvokeEvent(ctx, functionName, payload)
}
