package slackbot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/provision"
)

// refusal is a dispatch error that proves the Job was not queued (as
// dispatch.RefusedError does).
type refusal struct{}

func (refusal) Error() string { return "invoke streambot-create: ResourceNotFoundException" }
func (refusal) Refused() bool { return true }

// After a failed hand-off the ack says "nothing was done" only when the
// dispatcher is sure; after a time-out or any other unknown outcome it says
// the outcome is unknown and that the answer will come if the worker got it.
func TestHandoffAckTellsRefusalFromUnknown(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		wantRefused bool
	}{
		{"refused", fmt.Errorf("dispatch: %w", refusal{}), true},
		{"timed out", fmt.Errorf("invoke streambot-create: %w", context.DeadlineExceeded), false},
		{"unknown", errors.New("invoke streambot-create: ServiceException: internal error"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, "", nil)
			env.dispatch.dispatchFn = func(context.Context, provision.Job) error { return tc.err }
			a := decodeAck(t, env.serve(signedRequest(slashForm("create orders-ws --region VIRGINIA_USA"), testSecret, time.Now())))
			if !strings.Contains(a.Text, testTrigger) {
				t.Errorf("ack %q lacks the request ID %s", a.Text, testTrigger)
			}
			if got := strings.Contains(a.Text, "nothing was done"); got != tc.wantRefused {
				t.Errorf("ack %q: says nothing was done = %v, want %v", a.Text, got, tc.wantRefused)
			}
			if !tc.wantRefused && (!strings.Contains(a.Text, "unknown") || !strings.Contains(a.Text, "will appear")) {
				t.Errorf("ack %q: want it to say the outcome is unknown and where the answer will appear", a.Text)
			}
		})
	}
}
