package slackbot

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/segmentio/asm/base64"
)

// Handle serves an API Gateway HTTP API event (payload format 2.0), for
// lambda.Start. It is a small buffered adapter around the code behind
// [Handler.ServeHTTP]: the event's method, path, headers and body (base64-decoded
// when IsBase64Encoded, as API Gateway sends form bodies) go to it directly,
// the response is collected in memory and returned as the event response.
// (lambdaurl.Wrap is not used: it speaks the Function URL streaming format,
// not API Gateway's.)
//
// Only an infrastructure fault is returned as an error; Lambda logs it and
// API Gateway answers 500.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	ctx = h.withAckBudgetFrom(ctx, arrival(ev.RequestContext.TimeEpoch, time.Now()))
	var w responseBuffer
	if !allowMethod(&w, ev.RequestContext.HTTP.Method) {
		return w.response(), nil
	}
	body := ev.Body
	if ev.IsBase64Encoded {
		if base64.StdEncoding.DecodedLen(len(ev.Body)) > MaxBodyBytes+2 {
			return textResponse(http.StatusRequestEntityTooLarge, "request body too large"), nil
		}
		// segmentio/asm's decoder (AVX2 on amd64, NEON on arm64, the
		// standard library's for what they leave) is about ten times the
		// standard library's on a 17 kB view_submission
		// (BenchmarkBase64Body: 1.0 µs against 11–13 µs); it reads the
		// event's string in place, and the decoded bytes, never written
		// again, are the body's string.
		raw := make([]byte, base64.StdEncoding.DecodedLen(len(ev.Body)))
		n, err := base64.StdEncoding.Decode(raw, bytesOf(ev.Body))
		if err != nil {
			return textResponse(http.StatusBadRequest, "malformed base64 body"), nil
		}
		body = stringOf(raw[:n])
	}
	if len(body) > MaxBodyBytes {
		http.Error(&w, "request body too large", http.StatusRequestEntityTooLarge)
		return w.response(), nil
	}
	if err := h.serve(ctx, &w, ev.RawPath, eventSignature(ev.Headers), body); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return w.response(), nil
}

// eventSignature returns the signature headers of an event's header map
// (API Gateway sends header names in lower case; any case is taken).
func eventSignature(in map[string]string) sigHeaders {
	var sig sigHeaders
	for k, v := range in {
		switch {
		case strings.EqualFold(k, "X-Slack-Signature"):
			sig.signature = v
		case strings.EqualFold(k, "X-Slack-Request-Timestamp"):
			sig.timestamp = v
		}
	}
	return sig
}

// responseBuffer is an http.ResponseWriter that keeps the response in
// memory for [Handler.Handle].
type responseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *responseBuffer) Header() http.Header {
	if b.header == nil {
		b.header = make(http.Header, 2)
	}
	return b.header
}

func (b *responseBuffer) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *responseBuffer) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

func (b *responseBuffer) response() events.APIGatewayV2HTTPResponse {
	resp := events.APIGatewayV2HTTPResponse{StatusCode: b.status, Body: b.body.String()}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	if len(b.header) > 0 {
		resp.Headers = make(map[string]string, len(b.header))
		for k, v := range b.header {
			resp.Headers[k] = strings.Join(v, ", ")
		}
	}
	return resp
}

func textResponse(status int, text string) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "text/plain; charset=utf-8"},
		Body:       text + "\n",
	}
}
