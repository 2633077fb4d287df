package slackbot

import (
	"errors"

	"github.com/streambot/streambot/internal/reply"
)

// refused reports whether a Dispatcher's error proves the Job did not reach
// the worker: it (or an error it wraps) has a Refused method that returns
// true, as dispatch.RefusedError does. Any other error, a time-out above
// all, leaves the outcome unknown: Lambda may have queued the Job before
// its answer was lost.
func refused(err error) bool {
	var r interface{ Refused() bool }
	return errors.As(err, &r) && r.Refused()
}

// noTimeLeft is a hand-off not attempted because the ack budget was spent
// before it: the Job certainly did not reach the worker.
type noTimeLeft struct{ err error }

func (e noTimeLeft) Error() string { return "no time left to hand the job over: " + e.err.Error() }
func (e noTimeLeft) Unwrap() error { return e.err }

// Refused is true: nothing was sent.
func (noTimeLeft) Refused() bool { return true }

// handoffAck is the ack after a failed dispatch: "nothing was done" only
// when that is certain, otherwise that the outcome is unknown and the
// answer will appear if the worker got the Job.
func handoffAck(jobID string, err error) reply.Ack {
	if refused(err) {
		return reply.AckHandoffFailed(jobID)
	}
	return reply.AckHandoffUnknown(jobID)
}

// handoffText picks the plain-text notice for a failed dispatch: refusedText
// when the Job certainly did not reach the worker, unknownText otherwise.
func handoffText(err error, refusedText, unknownText string) string {
	if refused(err) {
		return refusedText
	}
	return unknownText
}
