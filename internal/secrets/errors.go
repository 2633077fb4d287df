package secrets

import (
	"context"
	"errors"
	"strconv"
	"strings"
)

// ErrNotConfigured is wrapped by the [*Error] returned when neither the
// secret's ARN variable nor any of its plain variables is set, so local tools
// can fall back (e.g. to an in-memory Atlas) with errors.Is.
var ErrNotConfigured = errors.New("not configured")

// Problem says what is wrong with a secret. The constants are the complete
// list; compare [Error.Problem] with them.
type Problem string

// The problems a [Store] reports.
const (
	ProblemNotConfigured Problem = "none set"                 // no ARN variable and no plain variable
	ProblemBadID         Problem = "not a secret ARN or name" // the ARN variable's value is malformed
	ProblemNotFound      Problem = "secret not found"         // ResourceNotFoundException
	ProblemUnreadable    Problem = "could not be read"        // any other fetch error; see Error.Err
	ProblemBinary        Problem = "binary secret; want a JSON SecretString"
	ProblemEmpty         Problem = "empty SecretString"
	ProblemNotJSON       Problem = "not a JSON object"
	ProblemMissingKey    Problem = "missing or empty"
	ProblemNotString     Problem = "not a JSON string"
	ProblemBothPairs     Problem = "both credential pairs set; keep one"
	ProblemNoPair        Problem = "no credential pair set"
)

// Error is the error every [Store] method returns. Its text names where the
// secret comes from and which key is at fault, never a value.
type Error struct {
	// Source is the secret's ARN (or name) as configured, or the names of
	// the environment variables consulted.
	Source string
	// Key is the JSON key or environment variable at fault; empty when the
	// problem concerns the whole secret.
	Key string
	// Problem says what is wrong.
	Problem Problem
	// Err is the underlying error (an AWS SDK error for ProblemNotFound and
	// ProblemUnreadable, ErrNotConfigured for ProblemNotConfigured), or nil.
	Err error
}

// Error formats e as `secrets: SOURCE: "KEY": PROBLEM: ERR`, leaving out
// the parts that are empty, e.g.
//
//	secrets: arn:aws:secretsmanager:us-east-1:123456789012:secret:streambot/slack-Ab12Cd: "bot_token": missing or empty
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("secrets: ")
	b.WriteString(e.Source)
	if e.Key != "" {
		b.WriteString(": ")
		b.WriteString(strconv.Quote(e.Key))
	}
	b.WriteString(": ")
	b.WriteString(string(e.Problem))
	if e.Err != nil && e.Err != ErrNotConfigured {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Redacted is e's text for people outside operations, such as a Slack
// channel: the key at fault and the problem, and "timed out" when the
// fetch ran out of time, but neither the source (an ARN holds the AWS
// account ID) nor the underlying error (an AWS error can quote the
// caller's role ARN and the resource's ARN), e.g.
//
//	"client_secret": missing or empty
//
// Log [Error.Error] for the operator.
func (e *Error) Redacted() string {
	var b strings.Builder
	if e.Key != "" {
		b.WriteString(strconv.Quote(e.Key))
		b.WriteString(": ")
	}
	b.WriteString(string(e.Problem))
	if errors.Is(e.Err, context.DeadlineExceeded) {
		b.WriteString(" (timed out)")
	}
	return b.String()
}
