package provision_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/button"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/pkg/atlas"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// seed creates orders-ws (AWS / VIRGINIA_USA, SP10) in the simulator.
func (e *env) seed() {
	e.t.Helper()
	c, err := atlas.NewClient(atlas.WithBaseURL(e.atlas.URL), atlas.WithServiceAccount(clientID, clientSecret))
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = c.CreateStreamWorkspace(context.Background(), groupID, &atlas.StreamWorkspace{Name: "orders-ws",
		DataProcessRegion: &atlas.DataProcessRegion{CloudProvider: atlas.ProviderAWS, Region: "VIRGINIA_USA"},
		StreamConfig:      &atlas.StreamConfig{Tier: atlas.TierSP10}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.atlas.ResetCalls()
}

type buttonJSON struct {
	Type     string `json:"type"`
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
	Style    string `json:"style"`
	Confirm  *struct {
		Style string `json:"style"`
	} `json:"confirm"`
	Text struct {
		Text string `json:"text"`
	} `json:"text"`
}

// buttons returns the buttons of a message and their blocks' IDs.
func buttons(t testing.TB, c slackrec.Call) (bs []buttonJSON, blockIDs []string) {
	t.Helper()
	var blocks []struct {
		Type     string          `json:"type"`
		BlockID  string          `json:"block_id"`
		Elements json.RawMessage `json:"elements"`
	}
	if err := json.Unmarshal(c.Blocks, &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	for _, b := range blocks {
		if b.Type != "actions" {
			continue
		}
		var els []buttonJSON
		if err := json.Unmarshal(b.Elements, &els); err != nil {
			t.Fatalf("actions block: %v", err)
		}
		for _, el := range els {
			bs = append(bs, el)
			blockIDs = append(blockIDs, b.BlockID)
		}
	}
	return bs, blockIDs
}

// ask runs a typed update or delete and returns the confirmation posted in
// the channel.
func (e *env) ask(mods ...func(*provision.Job)) slackrec.Call {
	e.t.Helper()
	res, err := e.handle(e.job(mods...))
	if err != nil || res.Outcome != provision.OutcomeAsked {
		e.t.Fatalf("Handle = %+v, %v; want the confirmation asked", res, err)
	}
	posts, _ := e.parents()
	if len(posts) != 1 {
		e.t.Fatalf("channel posts = %d, want the one confirmation", len(posts))
	}
	return posts[0]
}

// click returns the Job the edge dispatches for a click on the button with
// the given action_id of message m, by user.
func (e *env) click(m slackrec.Call, actionID, user string) provision.Job {
	e.t.Helper()
	bs, blockIDs := buttons(e.t, m)
	for i, b := range bs {
		if b.ActionID != actionID {
			continue
		}
		v, err := button.Parse(b.Value, e.clock.Now())
		if err != nil {
			e.t.Fatalf("button value %q: %v", b.Value, err)
		}
		if err := v.CheckBlock(blockIDs[i]); err != nil {
			e.t.Fatalf("block ID: %v", err)
		}
		return provision.Job{ID: "click-" + user, Action: provision.Action(v.Op), GroupID: v.GroupID, ProjectAlias: "dev",
			Name: v.Workspace, Processor: v.Processor, Tier: string(v.Tier), MaxTier: string(v.MaxTier), Provider: string(v.Provider), Region: v.Region,
			Slack: &provision.SlackTarget{TeamID: "T0001", ChannelID: m.Channel, UserID: user, ResponseURL: e.slack.ResponseURL("click-" + user)},
			Click: &provision.Click{Step: string(v.Step), OpID: v.OpID, Requester: v.Requester, MessageTS: m.TS, IssuedAt: v.IssuedAt}}
	}
	e.t.Fatalf("no button %q in %s", actionID, m.Blocks)
	return provision.Job{}
}

func deleteJob(j *provision.Job) {
	j.Action, j.Provider, j.Region, j.Tier, j.MaxTier = provision.ActionDelete, "", "", "", ""
}

func TestDelete_confirmDeletesOnce(t *testing.T) {
	e := newEnv(t, func(s *setting) { s.atlasOpts = append(s.atlasOpts, atlastest.WithDeleteDelay(0)) })
	e.seed()
	ask := e.ask(deleteJob)
	contains(t, ask, "asks to *delete* stream workspace `orders-ws` in project dev", "AWS / VIRGINIA_USA", "SP10",
		`Processors*\nunknown`, `Connections*\nunknown`, ".a.query.mongodb.net")
	bs, _ := buttons(t, ask)
	if len(bs) != 2 || bs[0].Style != "danger" || bs[0].Confirm == nil || bs[0].Text.Text != "Delete" || bs[1].Text.Text != "Cancel" {
		t.Fatalf("buttons = %+v, want a danger Delete with a confirm dialog, and Cancel", bs)
	}
	if n := e.atlas.Calls(atlastest.OpDeleteStream); n != 0 {
		t.Fatalf("DELETE calls before the click = %d, want 0", n)
	}

	click := e.click(ask, "streambot.confirm.delete", "U012ABCDEF")
	res, err := e.handle(click)
	if err != nil || res.Outcome != provision.OutcomeDeleted {
		t.Fatalf("click: Handle = %+v, %v; want deleted", res, err)
	}
	if _, ok := e.atlas.Workspace(groupID, "orders-ws"); ok {
		t.Error("the workspace still exists after the confirmed delete")
	}
	final := e.final()
	if final.ThreadTS != ask.TS {
		t.Errorf("the answer went to thread %q, want the confirmation's %q", final.ThreadTS, ask.TS)
	}
	contains(t, final, "Deleted stream workspace `orders-ws` in project dev (AWS / VIRGINIA_USA, SP10)")
	_, updates := e.parents()
	if len(updates) == 0 {
		t.Fatal("the confirmation message was not updated")
	}
	last := updates[len(updates)-1]
	contains(t, last, "confirmed by <@U012ABCDEF>", "✅")
	if bs, _ := buttons(t, last); len(bs) != 0 || last.TS != ask.TS {
		t.Errorf("updated message %s has buttons %v (want none) or is another message", last.TS, bs)
	}

	// A second click, a double click, a replay: nothing more is deleted.
	for range 2 {
		res, err := e.handle(click)
		if err != nil || res.Outcome != provision.OutcomeAlreadyDecided {
			t.Errorf("repeated click: Handle = %+v, %v; want already decided", res, err)
		}
	}
	if n := e.atlas.Calls(atlastest.OpDeleteStream); n != 1 {
		t.Errorf("DELETE calls = %d, want exactly 1", n)
	}
	notices := e.slack.Delivered(slackrec.ResponseURL)
	if len(notices) != 2 || notices[0].ResponseType != "ephemeral" || !strings.Contains(notices[0].Text, "already decided") {
		t.Errorf("repeated clicks answered %+v, want two private 'already decided' notices", notices)
	}
}

func TestDelete_concurrentClicksDeleteOnce(t *testing.T) {
	e := newEnv(t)
	e.seed()
	click := e.click(e.ask(deleteJob), "streambot.confirm.delete", "U012ABCDEF")
	var wg sync.WaitGroup
	outcomes := make(chan provision.Outcome, 8)
	for range 8 {
		wg.Go(func() {
			res, err := e.handle(click)
			if err != nil {
				t.Errorf("Handle: %v", err)
				return
			}
			outcomes <- res.Outcome
		})
	}
	wg.Wait()
	close(outcomes)
	deleted := 0
	for o := range outcomes {
		if o == provision.OutcomeDeleted {
			deleted++
		}
	}
	if n := e.atlas.Calls(atlastest.OpDeleteStream); n != 1 || deleted != 1 {
		t.Errorf("DELETE calls = %d, deleted outcomes = %d; want exactly 1 each", n, deleted)
	}
}

func TestDelete_cancel(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ask := e.ask(deleteJob)
	res, err := e.handle(e.click(ask, "streambot.cancel.delete", "U012ABCDEF"))
	if err != nil || res.Outcome != provision.OutcomeCancelled {
		t.Fatalf("cancel: Handle = %+v, %v", res, err)
	}
	// the Delete button of the same message, clicked after Cancel
	res, _ = e.handle(e.click(ask, "streambot.confirm.delete", "U012ABCDEF"))
	if res.Outcome != provision.OutcomeAlreadyDecided {
		t.Errorf("Delete after Cancel: outcome %s, want already decided", res.Outcome)
	}
	if n := e.atlas.Calls(atlastest.OpDeleteStream); n != 0 {
		t.Errorf("DELETE calls = %d, want 0", n)
	}
	if _, ok := e.atlas.Workspace(groupID, "orders-ws"); !ok {
		t.Error("the workspace is gone after a cancel")
	}
	_, updates := e.parents()
	if len(updates) != 1 {
		t.Fatalf("updates = %d, want 1", len(updates))
	}
	contains(t, updates[0], "cancelled by <@U012ABCDEF>")
}

// A confirmation clicked too late (the edge marks it ClickExpired) acts on
// nothing, redraws its message without buttons saying it expired, tells
// the clicker privately, and closes the operation: a later click does
// nothing. One clicked too late after it was confirmed leaves it alone.
func TestConfirmation_expired(t *testing.T) {
	atlasCalls := func(e *env) (n int) {
		for _, op := range []atlastest.Op{atlastest.OpGetStream, atlastest.OpUpdateStream, atlastest.OpDeleteStream,
			atlastest.OpGetProcessor, atlastest.OpStopProcessor, atlastest.OpStartProcessor, atlastest.OpStartProcessorWith} {
			n += e.atlas.Calls(op)
		}
		return n
	}
	for _, tc := range []struct {
		name, actionID string
		ask            func(*provision.Job)
		seed           func(*env)
	}{
		{"delete", "streambot.confirm.delete", deleteJob, (*env).seed},
		{"update", "streambot.confirm.update", updateJob("SP30", ""), (*env).seed},
		{"stop", "streambot.confirm.stop", procJob(provision.ActionStop, "solarDemo"), (*env).seedProcessors},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tc.seed(e)
			ask := e.ask(tc.ask)
			e.atlas.ResetCalls() // the question read the workspace or processor
			late := e.click(ask, tc.actionID, "U012ABCDEF")
			late.Click.Step = provision.ClickExpired
			res, err := e.handle(late)
			if err != nil || res.Outcome != provision.OutcomeExpired {
				t.Fatalf("expired click: Handle = %+v, %v; want expired", res, err)
			}
			if n := atlasCalls(e); n != 0 {
				t.Errorf("Atlas calls after the expired click = %d, want none", n)
			}
			contains(t, e.final(), "This confirmation expired (after 15 minutes), so nothing was done. Run /stream "+tc.name+" orders-ws")
			_, updates := e.parents()
			if len(updates) != 1 {
				t.Fatalf("message updates = %d, want 1", len(updates))
			}
			contains(t, updates[0], "expired: not confirmed in time, so nothing was done")
			if bs, _ := buttons(t, updates[0]); len(bs) != 0 {
				t.Errorf("the expired confirmation keeps buttons %+v", bs)
			}
			if res, _ := e.handle(e.click(ask, tc.actionID, "U012ABCDEF")); res.Outcome != provision.OutcomeAlreadyDecided {
				t.Errorf("a click after the expiry: %s, want already decided", res.Outcome)
			}
			if n := atlasCalls(e); n != 0 {
				t.Errorf("Atlas calls after it all = %d, want none", n)
			}
		})
	}

	e := newEnv(t)
	e.seed()
	ask := e.ask(deleteJob)
	if res, _ := e.handle(e.click(ask, "streambot.confirm.delete", "U012ABCDEF")); res.Outcome != provision.OutcomeDeleted {
		t.Fatalf("confirm: %s, want deleted", res.Outcome)
	}
	_, before := e.parents()
	late := e.click(ask, "streambot.confirm.delete", "U012ABCDEF")
	late.Click.Step = provision.ClickExpired
	if res, _ := e.handle(late); res.Outcome != provision.OutcomeAlreadyDecided {
		t.Errorf("an expired click after the confirmation: %s, want already decided", res.Outcome)
	}
	if _, after := e.parents(); len(after) != len(before) {
		t.Errorf("the decided confirmation was redrawn by a late click: %d updates, want %d", len(after), len(before))
	}
}

func TestDelete_waitsUntilGone(t *testing.T) {
	// The simulator keeps the workspace for 3 s after the 202; the worker's
	// clock moves only when it sleeps, so it polls until the GET is 404.
	var e *env
	e = newEnv(t, func(s *setting) {
		s.atlasOpts = append(s.atlasOpts, atlastest.WithDeleteDelay(3*time.Second),
			atlastest.WithClock(func() time.Time { return e.clock.Now() }))
	})
	e.seed()
	res, err := e.handle(e.click(e.ask(deleteJob), "streambot.confirm.delete", "U012ABCDEF"))
	if err != nil || res.Outcome != provision.OutcomeDeleted {
		t.Fatalf("Handle = %+v, %v", res, err)
	}
	if n := e.atlas.Calls(atlastest.OpGetStream); n < 2 {
		t.Errorf("GET calls = %d, want the worker to poll until the workspace is gone", n)
	}
}

func TestDelete_alreadyGoneAndVanished(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ask := e.ask(deleteJob)
	e.atlas.Inject(atlastest.OpGetStream, atlastest.Fault{Status: http.StatusNotFound,
		Body: `{"error":404,"errorCode":"STREAM_TENANT_NOT_FOUND_FOR_NAME","reason":"Not Found","detail":"gone"}`})
	res, err := e.handle(e.click(ask, "streambot.confirm.delete", "U012ABCDEF"))
	if err != nil || res.Outcome != provision.OutcomeAlreadyDeleted {
		t.Fatalf("Handle = %+v, %v; want already deleted", res, err)
	}
	contains(t, e.final(), "was already deleted")
	if n := e.atlas.Calls(atlastest.OpDeleteStream); n != 0 {
		t.Errorf("DELETE calls = %d, want 0", n)
	}

	// A delete asked for a workspace that does not exist shows no buttons.
	e2 := newEnv(t)
	res, err = e2.handle(e2.job(deleteJob))
	if err != nil || res.Outcome != provision.OutcomeNotFound {
		t.Fatalf("Handle = %+v, %v; want not found", res, err)
	}
	if bs, _ := buttons(t, e2.final()); len(bs) != 0 {
		t.Errorf("not-found answer has buttons %v", bs)
	}
}

// Atlas refusing a change (issue 10: 409 while processors run, 402, 403,
// 404, 429, 5xx; issue 11: start on a FAILED processor) is answered in the
// thread with Atlas's reason and code, its detail and advice fit for the
// operation; the confirmation shows ❌ and Atlas's state is as before.
func TestChanges_atlasRefuses(t *testing.T) {
	type refusal struct {
		status int
		code   string
		want   string // the advice, where it differs between operations: see conflict
	}
	refusals := []refusal{
		{409, "X_CODE", ""}, // the operation's conflict advice
		{400, "STREAM_PROCESSOR_FAILED", "Fix the values"},
		{402, "NO_PAYMENT_INFORMATION_FOUND", "billing"},
		{403, "X_CODE", "lacks a project role"},
		{404, "GROUP_NOT_FOUND", "check the project"},
		{429, "RATE_LIMITED", "rate limited"},
		{500, "UNEXPECTED_ERROR", "trouble on its side"},
		{503, "SERVICE_UNAVAILABLE", "trouble on its side"},
	}
	workspaceKept := func(e *env) string {
		if ws, ok := e.atlas.Workspace(groupID, "orders-ws"); !ok || ws.StreamConfig.Tier != atlas.TierSP10 {
			return fmt.Sprintf("workspace %+v (exists: %v), want it unchanged at SP10", ws, ok)
		}
		return ""
	}
	processorKept := func(name string, want atlas.ProcessorState) func(e *env) string {
		return func(e *env) string {
			if st, _ := e.atlas.ProcessorState(groupID, "orders-ws", name); st != want {
				return fmt.Sprintf("processor %s is %s, want %s", name, st, want)
			}
			return ""
		}
	}
	for _, op := range []struct {
		name     string
		fails    atlastest.Op
		send     func(e *env) provision.Job // seeds Atlas; the Job that sends the change
		head     string
		conflict string
		kept     func(e *env) string
	}{
		{"delete", atlastest.OpDeleteStream, func(e *env) provision.Job {
			e.seed()
			return e.click(e.ask(deleteJob), "streambot.confirm.delete", "U012ABCDEF")
		}, "Could not delete stream workspace `orders-ws`", "processors run", workspaceKept},
		{"update", atlastest.OpUpdateStream, func(e *env) provision.Job {
			e.seed()
			return e.click(e.ask(updateJob("SP30", "")), "streambot.confirm.update", "U012ABCDEF")
		}, "Could not update stream workspace `orders-ws`", "processors run", workspaceKept},
		{"stop", atlastest.OpStopProcessor, func(e *env) provision.Job {
			e.seedProcessors()
			return e.click(e.ask(procJob(provision.ActionStop, "solarDemo")), "streambot.confirm.stop", "U012ABCDEF")
		}, "Could not stop stream processor `solarDemo` in workspace `orders-ws`", "current state",
			processorKept("solarDemo", atlas.ProcessorStarted)},
		{"start a failed processor", atlastest.OpStartProcessor, func(e *env) provision.Job {
			e.seedProcessors()
			return e.job(procJob(provision.ActionStart, "orders-enrich"))
		}, "Could not start stream processor `orders-enrich` in workspace `orders-ws`", "current state",
			processorKept("orders-enrich", atlas.ProcessorFailed)},
	} {
		for _, tc := range refusals {
			t.Run(op.name+"/"+itoa(tc.status), func(t *testing.T) {
				e := newEnv(t)
				job := op.send(e)
				e.refuse(op.fails, tc.status, tc.code)
				res, err := e.handle(job)
				if err != nil || res.Outcome != provision.OutcomeFailed {
					t.Fatalf("Handle = %+v, %v; want failed", res, err)
				}
				want := tc.want
				switch {
				case tc.status == 409:
					want = op.conflict
				case tc.status == 403 && strings.Contains(op.head, "processor"):
					want = "Project Owner or Project Stream Processing Owner"
				}
				contains(t, e.final(), op.head, "Refused", tc.code, "atlas says no", "HTTP "+itoa(tc.status), want)
				_, updates := e.parents()
				contains(t, updates[len(updates)-1], "❌")
				if why := op.kept(e); why != "" {
					t.Errorf("although Atlas refused: %s", why)
				}
				if n := e.atlas.Calls(op.fails); n != 1 {
					t.Errorf("%s calls = %d, want 1", op.fails, n)
				}
			})
		}
	}
}

// refuse makes the next call of op answer an ApiError with status and
// errorCode code, reason "Refused", detail "atlas says no" (and
// Retry-After: 1, which a 429 or 503 may carry).
func (e *env) refuse(op atlastest.Op, status int, code string) {
	e.atlas.Inject(op, atlastest.Fault{Status: status, RetryAfter: "1",
		Body: `{"error":` + itoa(status) + `,"errorCode":"` + code + `","reason":"Refused","detail":"atlas says no"}`})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

type countsFn func(ctx context.Context, groupID, ws string) (provision.WorkspaceCounts, error)

func (f countsFn) CountWorkspace(ctx context.Context, groupID, ws string) (provision.WorkspaceCounts, error) {
	return f(ctx, groupID, ws)
}

func TestDelete_counts(t *testing.T) {
	e := newEnv(t, func(s *setting) {
		s.deps = func(d *provision.Deps) {
			d.Counts = countsFn(func(_ context.Context, g, ws string) (provision.WorkspaceCounts, error) {
				if g != groupID || ws != "orders-ws" {
					return provision.WorkspaceCounts{}, errors.New("wrong workspace")
				}
				return provision.WorkspaceCounts{Processors: 3, Running: 1, Connections: 2}, nil
			})
		}
	})
	e.seed()
	contains(t, e.ask(deleteJob), `Processors*\n3 (1 running)`, `Connections*\n2`)
}

func updateJob(tier, maxTier string) func(*provision.Job) {
	return func(j *provision.Job) {
		j.Action, j.Provider, j.Region, j.Tier, j.MaxTier = provision.ActionUpdate, "", "", tier, maxTier
	}
}

func TestUpdate_applyOnce(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ask := e.ask(updateJob("SP30", "SP50"))
	contains(t, ask, "asks to update stream workspace `orders-ws` in project dev", "tier: SP10 → *SP30*", "max tier: – → *SP50*")
	if n := e.atlas.Calls(atlastest.OpUpdateStream); n != 0 {
		t.Fatalf("PATCH before Apply = %d", n)
	}
	click := e.click(ask, "streambot.confirm.update", "U012ABCDEF")
	res, err := e.handle(click)
	if err != nil || res.Outcome != provision.OutcomeUpdated {
		t.Fatalf("Apply: Handle = %+v, %v", res, err)
	}
	got, _ := e.atlas.Workspace(groupID, "orders-ws")
	if got.StreamConfig.Tier != atlas.TierSP30 || got.StreamConfig.MaxTierSize != atlas.TierSP50 {
		t.Errorf("workspace after Apply = %+v, want SP30 (max SP50)", got.StreamConfig)
	}
	contains(t, e.final(), "Updated stream workspace `orders-ws`", "tier: SP10 → *SP30*")
	if res, _ := e.handle(click); res.Outcome != provision.OutcomeAlreadyDecided {
		t.Errorf("second Apply: outcome %s, want already decided", res.Outcome)
	}
	if n := e.atlas.Calls(atlastest.OpUpdateStream); n != 1 {
		t.Errorf("PATCH calls = %d, want 1", n)
	}
}

func TestUpdate_noChangeSendsNothing(t *testing.T) {
	e := newEnv(t)
	e.seed()
	res, err := e.handle(e.job(updateJob("SP10", "")))
	if err != nil || res.Outcome != provision.OutcomeNoChange {
		t.Fatalf("Handle = %+v, %v; want no change", res, err)
	}
	contains(t, e.final(), "already has these values", "nothing to change")
	if posts, _ := e.parents(); len(posts) != 0 || e.atlas.Calls(atlastest.OpUpdateStream) != 0 {
		t.Errorf("posts = %d, PATCH calls = %d; want none", len(posts), e.atlas.Calls(atlastest.OpUpdateStream))
	}
}

func TestUpdate_maxTierBelowCurrentTier(t *testing.T) {
	e := newEnv(t)
	e.seed()
	res, err := e.handle(e.job(updateJob("", "SP5")))
	if err != nil || res.Outcome != provision.OutcomeFailed {
		t.Fatalf("Handle = %+v, %v; want failed", res, err)
	}
	contains(t, e.final(), "must not be below the tier SP10")
}

// Buttons on results: only the operations the edge listed as allowed.
func TestOffers(t *testing.T) {
	e := newEnv(t)
	e.seed()
	describe := func(j *provision.Job) { j.Action = provision.ActionDescribe }
	if _, err := e.handle(e.job(describe)); err != nil {
		t.Fatal(err)
	}
	if bs, _ := buttons(t, e.final()); len(bs) != 0 {
		t.Errorf("describe without offers has buttons %v", bs)
	}
	e2 := newEnv(t)
	e2.seed()
	if _, err := e2.handle(e2.job(describe, func(j *provision.Job) { j.Offers = []string{"delete"} })); err != nil {
		t.Fatal(err)
	}
	bs, _ := buttons(t, e2.final())
	if len(bs) != 1 || bs[0].ActionID != button.ActionID(command.Delete, button.StepAsk) || bs[0].Text.Text != "Delete…" {
		t.Fatalf("describe buttons = %+v, want Delete…", bs)
	}
	e3 := newEnv(t)
	e3.seed()
	if _, err := e3.handle(e3.job(func(j *provision.Job) {
		j.Action, j.Name, j.Offers = provision.ActionList, "", []string{"describe", "delete"}
	})); err != nil {
		t.Fatal(err)
	}
	bs, _ = buttons(t, e3.final())
	if len(bs) != 1 || bs[0].Text.Text != "Describe orders-ws" {
		t.Fatalf("list buttons = %+v, want one Describe per row (list offers no delete)", bs)
	}
}

// Every declared operation that reaches the worker has a handler there.
func TestOperationsCoverDeclarations(t *testing.T) {
	for _, op := range command.Ops() {
		if op.Action != "" && !provision.Handles(provision.Action(op.Name())) {
			t.Errorf("command %s is declared but the worker has no handler for it", op.Name())
		}
	}
}

// An update that Atlas refuses changes nothing and says why.
// A workspace that vanished between the question and Apply: nothing is
// sent, and the thread says so.
func TestUpdate_vanishedBeforeApply(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ask := e.ask(updateJob("SP30", ""))
	e.atlas.Inject(atlastest.OpGetStream, atlastest.Fault{Status: http.StatusNotFound,
		Body: `{"error":404,"errorCode":"STREAM_TENANT_NOT_FOUND_FOR_NAME","reason":"Not Found","detail":"gone"}`})
	res, err := e.handle(e.click(ask, "streambot.confirm.update", "U012ABCDEF"))
	if err != nil || res.Outcome != provision.OutcomeNotFound {
		t.Fatalf("Handle = %+v, %v; want not found", res, err)
	}
	contains(t, e.final(), "No workspace named `orders-ws`")
	_, updates := e.parents()
	contains(t, updates[len(updates)-1], "❌")
	if n := e.atlas.Calls(atlastest.OpUpdateStream); n != 0 {
		t.Errorf("PATCH calls = %d, want 0", n)
	}
}
