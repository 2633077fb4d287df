package provision

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/button"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/reply"
	"github.com/streambot/streambot/internal/slackid"
	"github.com/streambot/streambot/pkg/atlas"
)

// operation is the worker's half of an operation's declaration: the
// command.Op with the same name says what the operation is (words, policy
// action, confirmation); this entry says what the worker does for it. The
// Slack edge reads preview and check through [Preview] and [Check], so an
// operation's Atlas request is built in one place for both the dry run and
// the real call.
type operation struct {
	// run answers a Slack Job of this action, after the credentials and
	// the Atlas role check (unless local).
	run func(r *run, ctx context.Context, s *session) (*Result, error)
	// preview returns the exact Atlas request the operation sends, for
	// --dry-run; nil when the operation only reads.
	preview func(j Job) (method, path string, body []byte, err error)
	// check is the validation the Atlas client would run before sending,
	// so the edge refuses at once what Atlas would refuse; nil for none.
	check func(j Job) error
	// local marks an action that needs no Atlas client (notice).
	local bool
}

// operations is the worker's registry, one entry per declared operation
// that dispatches a Job (TestOperationsCoverDeclarations checks that every
// command.Op with a policy action has one) plus the internal notice.
//
// Adding an operation: add its command.Op, then an entry here whose run
// method does the Atlas call and renders the answer with internal/reply.
var operations = map[Action]operation{
	ActionCreate: {
		run: (*run).createInSlack,
		preview: func(j Job) (string, string, []byte, error) {
			return atlas.PreviewCreate(j.GroupID, j.Workspace())
		},
		check: func(j Job) error { return atlas.ValidateCreate(j.GroupID, j.Workspace()) },
	},
	ActionList:     {run: (*run).list},
	ActionDescribe: {run: (*run).describe},
	ActionUpdate: {
		run: (*run).update,
		preview: func(j Job) (string, string, []byte, error) {
			return atlas.PreviewUpdate(j.GroupID, j.Name, j.Update())
		},
		check: func(j Job) error { return atlas.ValidateUpdate(j.GroupID, j.Name, j.Update()) },
	},
	ActionDelete: {
		run: (*run).delete,
		preview: func(j Job) (string, string, []byte, error) {
			m, p, err := atlas.PreviewDelete(j.GroupID, j.Name)
			return m, p, nil, err
		},
	},
	ActionProcessors:  {run: (*run).processors},
	ActionProcessor:   {run: (*run).processor},
	ActionConnections: {run: (*run).connections},
	ActionStart: {
		run: (*run).start,
		preview: func(j Job) (string, string, []byte, error) {
			return atlas.PreviewStart(j.GroupID, j.Name, j.Processor, j.startOptions())
		},
		check: func(j Job) error {
			_, _, _, err := atlas.PreviewStart(j.GroupID, j.Name, j.Processor, j.startOptions())
			return err
		},
	},
	ActionStop: {
		run: (*run).stop,
		preview: func(j Job) (string, string, []byte, error) {
			m, p, err := atlas.PreviewStop(j.GroupID, j.Name, j.Processor)
			return m, p, nil, err
		},
		check: func(j Job) error { _, _, err := atlas.PreviewStop(j.GroupID, j.Name, j.Processor); return err },
	},
	ActionNotice:  {run: (*run).notice, local: true},
	ActionHistory: {run: (*run).history, local: true}, // the state table, not Atlas
}

// Handles reports whether the worker has a handler for action a.
func Handles(a Action) bool { _, ok := operations[a]; return ok }

// ErrNoPreview is returned by [Preview] for an operation that sends no
// request worth previewing (a read).
var ErrNoPreview = errors.New("provision: the operation has no dry run")

// Preview returns the exact Atlas request j would send (method, absolute
// path, JSON body or nil), sending nothing: what --dry-run shows.
func Preview(j Job) (method, path string, body []byte, err error) {
	op := operations[j.action()]
	if op.preview == nil {
		return "", "", nil, ErrNoPreview
	}
	return op.preview(j)
}

// Check runs the validation the Atlas client runs before sending j's
// request; nil when there is nothing to check.
func Check(j Job) error {
	if op := operations[j.action()]; op.check != nil {
		return op.check(j)
	}
	return nil
}

// opID is the ID buttons of this Job carry: the Job's ID when it fits the
// codec (Slack's trigger_id does), a random one otherwise.
func (r *run) opID() string {
	if r.opid == "" {
		r.opid = r.job.ID
		if !slackid.OpID(r.opid) {
			r.opid = rand.Text()
		}
	}
	return r.opid
}

// button renders one button for step of op on workspace name, issued now.
// The requester is the Job's caller. The n-th block of the message gets it.
func (r *run) button(op command.Name, step button.Step, name string, n int, label string) (reply.Button, bool) {
	return r.buttonOn(op, step, name, r.job.Processor, n, label)
}

// buttonOn is [run.button] for an operation on processor proc of
// workspace name (a row of a processors list names its own).
func (r *run) buttonOn(op command.Name, step button.Step, name, proc string, n int, label string) (reply.Button, bool) {
	v := button.Value{Op: op, Step: step, GroupID: r.job.GroupID, Workspace: name,
		Requester: r.job.Slack.UserID, OpID: r.opID(), IssuedAt: r.w.d.Now()}
	if command.Lookup(op).Args == command.ArgsProcessor {
		v.Processor = proc
	}
	if op == command.Update && step == button.StepConfirm {
		v.Tier, v.MaxTier = atlas.Tier(r.job.Tier), atlas.Tier(r.job.MaxTier)
		v.Provider, v.Region = atlas.Provider(r.job.Provider), r.job.Region
	}
	enc, err := v.Encode()
	if err != nil {
		r.w.log.Warn("button not rendered", "job_id", r.job.ID, "error", err.Error())
		return reply.Button{}, false
	}
	return reply.Button{Label: label, ActionID: v.ActionID(), Value: enc, BlockID: v.BlockID(n)}, true
}

// offered returns the buttons the answer about workspace name carries, in
// the n-th actions block: the operations this Job's operation offers
// (command.Op.Offers) that the edge found the caller may use (Job.Offers).
// On a list, each button names its row's workspace.
func (r *run) offered(name string, n int) []reply.Button {
	op := command.Lookup(command.Name(r.job.action()))
	if op == nil || r.job.Slack == nil {
		return nil
	}
	var out []reply.Button
	block := n
	for _, n := range op.Offers {
		if !slices.Contains(r.job.Offers, string(n)) {
			continue
		}
		label := command.Lookup(n).Button
		if op.Args == command.ArgsNone {
			label = fmt.Sprintf("%s %s", label, name)
		}
		if b, ok := r.button(n, button.StepAsk, name, block, label); ok {
			out = append(out, b)
		}
	}
	return out
}

// notice posts the edge's private answer to a refused click: a denial
// with whom to ask as mentions, or a plain notice.
func (r *run) notice(ctx context.Context, s *session) (*Result, error) {
	m := reply.Notice(r.job.Notice)
	if r.job.Denial != "" {
		m = reply.DeniedNotice(access.Decision{Reason: r.job.Denial}.Mrkdwn())
	}
	return r.answer(ctx, s, OutcomeNotified, m)
}
