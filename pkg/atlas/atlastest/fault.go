package atlastest

import "time"

// Fault is what the next calls of an operation answer instead of the
// normal result. Zero fields keep the normal behaviour:
//   - Delay alone postpones the normal answer (the wait ends early when the
//     client gives up);
//   - Status answers that status with Body, or by default a proper ApiError
//     for the status (an empty object for a 2xx);
//   - Malformed answers a body cut short (status 200 unless Status is set);
//   - DropConnection closes the connection without an answer;
//   - AfterApply performs the operation first, then answers the fault: a
//     workspace created although the client never saw the answer;
//   - RetryAfter is sent verbatim as the Retry-After header.
type Fault struct {
	Times          int           // how many calls the fault answers; 0 means 1
	Status         int           // HTTP status to answer
	Body           string        // the body to answer, verbatim
	Delay          time.Duration // wait before answering
	RetryAfter     string        // Retry-After header value, e.g. "2" or an HTTP date
	Malformed      bool          // answer a truncated JSON body
	DropConnection bool          // close the connection without answering
	AfterApply     bool          // perform the operation, then answer the fault
}

// Inject makes the next f.Times calls of op answer with f. Faults queue up:
// a second Inject takes effect when the first is used up.
func (a *Atlas) Inject(op Op, f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.faults[op] = append(a.faults[op], &f)
}

// nextFault takes one use of op's current fault, or returns nil.
func (a *Atlas) nextFault(op Op) *Fault {
	a.mu.Lock()
	defer a.mu.Unlock()
	q := a.faults[op]
	if len(q) == 0 {
		return nil
	}
	f := *q[0]
	if q[0].Times--; q[0].Times == 0 {
		a.faults[op] = q[1:]
	}
	return &f
}
