package provision_test

import (
	"strings"
	"testing"

	"github.com/streambot/streambot/internal/provision"
)

// A refused click's denial reaches the clicker with whom to ask as
// mentions, and anything else in it escaped: the Job carries the policy's
// plain-text reason, never mrkdwn.
func TestNoticeDenial(t *testing.T) {
	e := newEnv(t)
	res, err := e.handle(e.job(func(j *provision.Job) {
		j.Action, j.GroupID, j.Name = provision.ActionNotice, "", ""
		j.Denial = "you have GROUP_READ_ONLY (through group:S0READERS) on project dev, but delete needs one of GROUP_OWNER; ask user:U0LEAD <!channel>"
	}))
	if err != nil || res.Outcome != provision.OutcomeNotified {
		t.Fatalf("Handle = %+v, %v; want notified", res, err)
	}
	f := e.final()
	contains(t, f, "Not allowed: you have GROUP_READ_ONLY (through <!subteam^S0READERS>) on project dev", "ask <@U0LEAD> &lt;!channel&gt;")
	if strings.Contains(f.Text+string(f.Blocks), "<!channel>") {
		t.Errorf("answer lets <!channel> through: %s", f.Text)
	}

	// A plain notice stays plain text: a subject in it is not a mention.
	e = newEnv(t)
	if _, err := e.handle(e.job(func(j *provision.Job) {
		j.Action, j.GroupID, j.Name, j.Notice = provision.ActionNotice, "", "", "only user:U0LEAD may do this"
	})); err != nil {
		t.Fatal(err)
	}
	contains(t, e.final(), "only user:U0LEAD may do this")
}
