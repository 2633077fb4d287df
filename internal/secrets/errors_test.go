package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/streambot/streambot/internal/secrets"
)

// Redacted keeps what a channel may see (the key and the problem) and
// drops where the secret lives and what AWS said.
func TestErrorRedacted(t *testing.T) {
	const (
		arn  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:streambot/atlas-AbCdEf"
		role = "arn:aws:sts::123456789012:assumed-role/streambot-create/fn"
	)
	denied := errors.New("AccessDeniedException: User: " + role + " is not authorized to perform: secretsmanager:GetSecretValue on resource: " + arn)
	tests := []struct {
		err  *secrets.Error
		want string
	}{
		{&secrets.Error{Source: arn, Key: "client_secret", Problem: secrets.ProblemMissingKey}, `"client_secret": missing or empty`},
		{&secrets.Error{Source: arn, Problem: secrets.ProblemUnreadable, Err: denied}, "could not be read"},
		{&secrets.Error{Source: arn, Problem: secrets.ProblemUnreadable, Err: fmt.Errorf("get: %w", context.DeadlineExceeded)}, "could not be read (timed out)"},
		{&secrets.Error{Source: arn, Problem: secrets.ProblemNotFound, Err: errors.New("ResourceNotFoundException: " + arn)}, "secret not found"},
	}
	for _, tc := range tests {
		got := tc.err.Redacted()
		if got != tc.want {
			t.Errorf("Redacted() of %v = %q, want %q", tc.err, got, tc.want)
		}
		if strings.Contains(got, "arn:") || strings.Contains(got, "123456789012") {
			t.Errorf("Redacted() = %q shows AWS details", got)
		}
	}
}
