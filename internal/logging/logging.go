// Package logging builds the one *slog.Logger each streambot binary uses:
// JSON lines on stdout at the level LOG_LEVEL names, with Lambda's request
// ID on every record logged with an invocation's context.
//
// aws-lambda-go's lambdacontext.NewLogger does the request-ID part, but it
// reads only AWS_LAMBDA_LOG_LEVEL and AWS_LAMBDA_LOG_FORMAT (and prints text
// unless Lambda's JSON log format is on), so the same binary would log
// differently under `sam local invoke`, the emulator and Lambda. This
// package keeps DESIGN.md's single LOG_LEVEL contract and JSON everywhere,
// and still honours AWS_LAMBDA_LOG_LEVEL when only that is set.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Level parses a LOG_LEVEL value: debug, info, warn (or warning) or error,
// in any case; empty means info.
func Level(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, fmt.Errorf("LOG_LEVEL %q is not one of debug, info, warn, error", s)
}

// New returns a JSON logger writing to w at level, adding "requestId" from
// the Lambda context of each record's ctx.
func New(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(requestIDHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})})
}

// FromEnv returns [New] at the level of LOG_LEVEL (or, when that is unset,
// AWS_LAMBDA_LOG_LEVEL), and an error for an unknown level.
func FromEnv(w io.Writer, getenv func(string) string) (*slog.Logger, error) {
	v := getenv("LOG_LEVEL")
	if v == "" {
		v = getenv("AWS_LAMBDA_LOG_LEVEL")
	}
	level, err := Level(v)
	return New(w, level), err
}

// requestIDHandler adds the invocation's request ID to each record.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		r.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
