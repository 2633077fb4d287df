package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    slog.Level
		wantErr bool
	}{
		{"default", nil, slog.LevelInfo, false},
		{"LOG_LEVEL", map[string]string{"LOG_LEVEL": "debug"}, slog.LevelDebug, false},
		{"upper case", map[string]string{"LOG_LEVEL": "WARN"}, slog.LevelWarn, false},
		{"warning", map[string]string{"LOG_LEVEL": "warning"}, slog.LevelWarn, false},
		{"Lambda's own", map[string]string{"AWS_LAMBDA_LOG_LEVEL": "ERROR"}, slog.LevelError, false},
		{"LOG_LEVEL wins", map[string]string{"LOG_LEVEL": "debug", "AWS_LAMBDA_LOG_LEVEL": "ERROR"}, slog.LevelDebug, false},
		{"unknown", map[string]string{"LOG_LEVEL": "verbose"}, slog.LevelInfo, true},
		{"offset syntax refused", map[string]string{"LOG_LEVEL": "info+2"}, slog.LevelInfo, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := FromEnv(&bytes.Buffer{}, func(k string) string { return tc.env[k] })
			if (err != nil) != tc.wantErr {
				t.Fatalf("FromEnv() error = %v, wantErr %v", err, tc.wantErr)
			}
			ctx := context.Background()
			if !l.Enabled(ctx, tc.want) || l.Enabled(ctx, tc.want-1) {
				t.Errorf("FromEnv() logger is not at level %v", tc.want)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, slog.LevelInfo).With("fn", "slack")
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-123"})
	l.InfoContext(ctx, "with")
	l.WithGroup("g").InfoContext(context.Background(), "without", "k", "v")

	dec := json.NewDecoder(&buf)
	var first, second map[string]any
	if err := dec.Decode(&first); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&second); err != nil {
		t.Fatal(err)
	}
	if first["requestId"] != "req-123" || first["fn"] != "slack" {
		t.Errorf("record with a Lambda context = %v, want requestId req-123 and fn slack", first)
	}
	if _, ok := second["requestId"]; ok {
		t.Errorf("record without a Lambda context has a requestId: %v", second)
	}
}
