package slackbot

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/button"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/provision"
)

// The processor and connection commands are checked against the policy
// with their resource: GROUP_READ_ONLY may list prod's workspaces but not
// its processors or connections; the stream processing owner may list and
// operate in dev, and gets Start/Stop offered.
func TestProcessorCommands_policy(t *testing.T) {
	tests := []struct {
		name, user, text string
		wantIn           string
		wantAction       provision.Action
		wantOffers       []string
	}{
		{"reader lists workspaces", "U0READER", "list --project prod", "listing", provision.ActionList, []string{"describe"}},
		{"reader may not list processors", "U0READER", "processors orders-ws --project prod", "Not allowed", "", nil},
		{"reader may not list connections", "U0READER", "connections orders-ws --project prod", "Not allowed", "", nil},
		{"reader may not read a processor", "U0READER", "processor orders-ws p1 --project prod", "Not allowed", "", nil},
		{"reader may not start", "U0READER", "start orders-ws p1 --project prod", "Not allowed", "", nil},
		{"owner lists processors", "U0CREATOR", "processors orders-ws", "stream processors of `orders-ws`", provision.ActionProcessors, []string{"start", "stop"}},
		{"owner reads a processor", "U0CREATOR", "processor orders-ws p1", "stream processor `p1` in `orders-ws`", provision.ActionProcessor, []string{"start", "stop"}},
		{"owner lists connections", "U0CREATOR", "connections orders-ws", "connections of `orders-ws`", provision.ActionConnections, nil},
		{"owner starts", "U0CREATOR", "start orders-ws p1 --tier SP10", "starting stream processor `p1`", provision.ActionStart, nil},
		{"owner stops", "U0CREATOR", "stop orders-ws p1", "nothing stops before you confirm", provision.ActionStop, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, "", nil)
			ack := decodeAck(t, env.serve(signedRequest(slashForm(tc.text, "user_id", tc.user), testSecret, time.Now())))
			if !strings.Contains(ack.Text, tc.wantIn) {
				t.Errorf("ack %q lacks %q", ack.Text, tc.wantIn)
			}
			jobs := env.dispatch.Jobs()
			if tc.wantAction == "" {
				if len(jobs) != 0 {
					t.Errorf("a denied command dispatched %+v", jobs)
				}
				return
			}
			if len(jobs) != 1 || jobs[0].Action != tc.wantAction {
				t.Fatalf("Jobs = %+v, want one %s", jobs, tc.wantAction)
			}
			if diff := cmp.Diff(tc.wantOffers, jobs[0].Offers); diff != "" {
				t.Errorf("offers (-want +got):\n%s", diff)
			}
		})
	}
}

// The dry runs show the exact POST and dispatch nothing.
func TestProcessorCommands_dryRun(t *testing.T) {
	for text, want := range map[string]string{
		"start orders-ws p1 --dry-run":             "POST /api/atlas/v2/groups/" + devGroupID + "/streams/orders-ws/processor/p1:start",
		"start orders-ws p1 --tier SP10 --dry-run": `processor/p1:startWith` + "\n" + `{"tier":"SP10"}`,
		"stop orders-ws p1 --dry-run":              "POST /api/atlas/v2/groups/" + devGroupID + "/streams/orders-ws/processor/p1:stop",
	} {
		env := newTestEnv(t, "", nil)
		ack := decodeAck(t, env.serve(signedRequest(slashForm(text), testSecret, time.Now())))
		if !strings.Contains(ack.Text, "Dry run") || !strings.Contains(ack.Text, want) {
			t.Errorf("%s: ack %q lacks %q", text, ack.Text, want)
		}
		if n := len(env.dispatch.Jobs()); n != 0 {
			t.Errorf("%s: dispatched %d Jobs", text, n)
		}
	}
}

// A Stop… click on a processors list is authorized as operate on a
// processor, then becomes the stop Job of that processor (which asks for
// the confirmation); the reader's click is refused.
func TestInteraction_processorButtons(t *testing.T) {
	stop := button.Value{Op: command.Stop, Step: button.StepAsk, GroupID: devGroupID, Workspace: "orders-ws", Processor: "solarDemo",
		Requester: "U0CREATOR", OpID: "op-9", IssuedAt: fixedNow.Add(-time.Minute)}

	env := newTestEnv(t, "", nil)
	env.post(t, "/slack/interactions", ClickBody(clickOn(stop, "U0CREATOR")), time.Now())
	jobs := env.dispatch.Jobs()
	if len(jobs) != 1 || jobs[0].Action != provision.ActionStop || jobs[0].Processor != "solarDemo" || jobs[0].Name != "orders-ws" || jobs[0].Click != nil {
		t.Fatalf("jobs = %+v, want the stop of solarDemo (asking first)", jobs)
	}

	// A reader of dev (read-only there) may list workspaces, not stop.
	const devReader = "  - subjects: [user:U0DEVREAD]\n    projects: [dev]\n    role: GROUP_READ_ONLY\n"
	env = newTestEnv(t, devReader, nil)
	env.post(t, "/slack/interactions", ClickBody(clickOn(stop, "U0DEVREAD")), time.Now())
	jobs = env.dispatch.Jobs()
	if len(jobs) != 1 || jobs[0].Action != provision.ActionNotice ||
		!strings.Contains(jobs[0].Denial, "you have GROUP_READ_ONLY on project dev, but operate needs") {
		t.Fatalf("jobs = %+v, want only a private refusal", jobs)
	}
}
