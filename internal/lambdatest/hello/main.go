// Command hello is the smallest Lambda function built the way streambot's
// functions are: a static `bootstrap` (CGO_ENABLED=0, -tags lambda.norpc)
// whose main calls aws-lambda-go's lambda.Start. It answers every HTTP API
// v2 event with a 200 and a fixed ephemeral Slack-style acknowledgement.
//
// The emulator harness in internal/lambdatest proves itself on it, and the
// cold-start measurements use it as the floor: the cost of starting a Go
// bootstrap under the Lambda Runtime Interface Emulator with no work of its
// own.
//
// If HELLO_MARK_FILE is set, each invocation appends one line (the request
// path) to that file, so a test can tell that an asynchronous invocation
// ran; each invocation also prints one line to stdout. An event whose query
// string has sleep=DURATION (a Go duration) first sleeps that long, ignoring
// its deadline like a hung handler, so a test can hold the function busy or
// make it time out.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// Ack is the body of every response.
const Ack = `{"response_type":"ephemeral","text":"hello"}`

func handle(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	fmt.Printf("hello: %s %s\n", req.RequestContext.HTTP.Method, req.RawPath)
	if d, err := time.ParseDuration(req.QueryStringParameters["sleep"]); err == nil {
		time.Sleep(d)
	}
	if path := os.Getenv("HELLO_MARK_FILE"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("open mark file: %w", err)
		}
		_, werr := fmt.Fprintln(f, req.RawPath)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("write mark file: %w", werr)
		}
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       Ack,
	}, nil
}

func main() {
	lambda.Start(handle)
}
