package provision_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/streambot/streambot/internal/button"
	"github.com/streambot/streambot/internal/provision"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/pkg/atlas"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// seedProcessors creates orders-ws with the demo's connections and three
// processors: solarDemo running, orders-dedupe stopped, orders-enrich
// failed.
func (e *env) seedProcessors() {
	e.t.Helper()
	e.seed()
	for _, p := range []atlastest.Processor{
		{Name: "solarDemo", State: atlas.ProcessorStarted},
		{Name: "orders-dedupe", State: atlas.ProcessorStopped},
		{Name: "orders-enrich", State: atlas.ProcessorCreated},
	} {
		if err := e.atlas.AddProcessor(groupID, "orders-ws", p); err != nil {
			e.t.Fatal(err)
		}
	}
	if !e.atlas.FailProcessor(groupID, "orders-ws", "orders-enrich", "$merge: connection cluster0 refused") {
		e.t.Fatal("FailProcessor: no such processor")
	}
	if err := e.atlas.SeedConnections(groupID, "orders-ws"); err != nil {
		e.t.Fatal(err)
	}
	e.atlas.ResetCalls()
}

// procJob makes e.job a Job of action on processor proc of orders-ws.
func procJob(action provision.Action, proc string) func(*provision.Job) {
	return func(j *provision.Job) {
		j.Action, j.Processor, j.Provider, j.Region, j.Tier, j.MaxTier = action, proc, "", "", "", ""
	}
}

func offers(ops ...string) func(*provision.Job) {
	return func(j *provision.Job) { j.Offers = ops }
}

// allButtons returns every button of a message, in actions blocks and
// section accessories, with its block's ID.
func allButtons(t testing.TB, c slackrec.Call) (bs []buttonJSON, blockIDs []string) {
	t.Helper()
	var blocks []struct {
		Type      string          `json:"type"`
		BlockID   string          `json:"block_id"`
		Accessory *buttonJSON     `json:"accessory"`
		Elements  json.RawMessage `json:"elements"`
	}
	if err := json.Unmarshal(c.Blocks, &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	for _, b := range blocks {
		if b.Accessory != nil && b.Accessory.Type == "button" {
			bs, blockIDs = append(bs, *b.Accessory), append(blockIDs, b.BlockID)
		}
		if b.Type == "actions" {
			var els []buttonJSON
			if err := json.Unmarshal(b.Elements, &els); err != nil {
				t.Fatalf("actions block: %v", err)
			}
			for _, el := range els {
				bs, blockIDs = append(bs, el), append(blockIDs, b.BlockID)
			}
		}
	}
	return bs, blockIDs
}

func TestProcessors_listWithButtons(t *testing.T) {
	e := newEnv(t)
	e.seedProcessors()
	res, err := e.handle(e.job(procJob(provision.ActionProcessors, ""), offers("start", "stop")))
	if err != nil || res.Outcome != provision.OutcomeListed {
		t.Fatalf("Handle = %+v, %v; want listed", res, err)
	}
	final := e.final()
	if final.ResponseType != "ephemeral" {
		t.Errorf("the list went out as %q, want ephemeral", final.ResponseType)
	}
	contains(t, final, "3 stream processors in workspace `orders-ws`", "🟢 1 STARTED", "🔴 1 FAILED", "⏸️ 1 STOPPED",
		"`solarDemo`", "`orders-dedupe`", "`orders-enrich`")
	// Failed first: it needs attention.
	if i, j := strings.Index(string(final.Blocks), "orders-enrich"), strings.Index(string(final.Blocks), "solarDemo"); i > j {
		t.Error("the failed processor is not listed first")
	}
	bs, blockIDs := allButtons(t, final)
	got := map[string]string{}
	seen := map[string]bool{}
	for i, b := range bs {
		v, err := button.Parse(b.Value, e.clock.Now())
		if err != nil {
			t.Fatalf("button %q: %v", b.Value, err)
		}
		if err := v.CheckBlock(blockIDs[i]); err != nil || seen[blockIDs[i]] {
			t.Errorf("button of %s in block %q: %v (or the block_id is used twice)", v.Processor, blockIDs[i], err)
		}
		seen[blockIDs[i]] = true
		if v.ActionID() != b.ActionID || v.Step != button.StepAsk || v.Workspace != "orders-ws" || v.Requester != "U012ABCDEF" {
			t.Errorf("button value %+v under action_id %s", v, b.ActionID)
		}
		got[v.Processor] = string(v.Op)
	}
	want := map[string]string{"solarDemo": "stop", "orders-dedupe": "start", "orders-enrich": "start"}
	if len(got) != len(want) {
		t.Errorf("buttons per processor = %v, want %v", got, want)
	}
	for p, op := range want {
		if got[p] != op {
			t.Errorf("button of %s = %q, want %q", p, got[p], op)
		}
	}

	// A caller who may not operate (the edge offers nothing) sees no
	// buttons.
	e2 := newEnv(t)
	e2.seedProcessors()
	if _, err := e2.handle(e2.job(procJob(provision.ActionProcessors, ""))); err != nil {
		t.Fatal(err)
	}
	if bs, _ := allButtons(t, e2.final()); len(bs) != 0 {
		t.Errorf("without offers the list has buttons: %+v", bs)
	}
}

func TestProcessor_detailAndNotFound(t *testing.T) {
	e := newEnv(t)
	e.seedProcessors()
	res, err := e.handle(e.job(procJob(provision.ActionProcessor, "solarDemo"), offers("start", "stop")))
	if err != nil || res.Outcome != provision.OutcomeDescribed {
		t.Fatalf("Handle = %+v, %v; want described", res, err)
	}
	contains(t, e.final(), "Stream processor `solarDemo`", "`$source` → `$match` → `$merge`", "Dead letter queue", "Stop…")

	for _, tc := range []struct {
		name, workspace, processor string
		want                       []string
	}{
		{"a mistyped processor", "orders-ws", "solarDem", []string{"No stream processor named `solarDem`", "Did you mean `solarDemo`?"}},
		{"a processor nothing is near", "orders-ws", "inventory", []string{"No stream processor named `inventory`"}},
		{"a mistyped workspace", "ordres-ws", "solarDemo", []string{"No workspace named `ordres-ws`", "Did you mean `orders-ws`?", "/stream list"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.seedProcessors()
			res, err := e.handle(e.job(procJob(provision.ActionProcessor, tc.processor), func(j *provision.Job) { j.Name = tc.workspace }))
			if err != nil || res.Outcome != provision.OutcomeNotFound {
				t.Fatalf("Handle = %+v, %v; want not found", res, err)
			}
			contains(t, e.final(), tc.want...)
		})
	}
}

// Every command that names a workspace suggests the nearest existing one
// for a missing name (issue 14, item 13).
func TestWorkspaceNotFound_suggests(t *testing.T) {
	for _, mod := range []func(*provision.Job){
		func(j *provision.Job) { j.Action = provision.ActionDescribe },
		deleteJob,
		updateJob("SP30", ""),
		procJob(provision.ActionProcessors, ""),
		procJob(provision.ActionConnections, ""),
		procJob(provision.ActionStart, "solarDemo"),
		procJob(provision.ActionStop, "solarDemo"),
	} {
		e := newEnv(t)
		e.seedProcessors()
		j := e.job(mod, func(j *provision.Job) { j.Name = "orders-wss" })
		t.Run(string(j.Action), func(t *testing.T) {
			res, err := e.handle(j)
			if err != nil || res.Outcome != provision.OutcomeNotFound {
				t.Fatalf("Handle = %+v, %v; want not found", res, err)
			}
			contains(t, e.final(), "No workspace named `orders-wss` in project dev", "Did you mean `orders-ws`?", "`/stream list`")
		})
	}
}

func TestStart(t *testing.T) {
	e := newEnv(t)
	e.seedProcessors()
	res, err := e.handle(e.job(procJob(provision.ActionStart, "orders-dedupe")))
	if err != nil || res.Outcome != provision.OutcomeStarted {
		t.Fatalf("Handle = %+v, %v; want started", res, err)
	}
	if n, w := e.atlas.Calls(atlastest.OpStartProcessor), e.atlas.Calls(atlastest.OpStartProcessorWith); n != 1 || w != 0 {
		t.Errorf(":start calls = %d, :startWith = %d; want 1 and 0", n, w)
	}
	if st, _ := e.atlas.ProcessorState(groupID, "orders-ws", "orders-dedupe"); st != atlas.ProcessorStarted {
		t.Errorf("state = %s, want STARTED", st)
	}
	posts, updates := e.parents()
	final := e.final()
	if len(posts) != 1 || final.ThreadTS != posts[0].TS {
		t.Fatalf("the answer is not threaded under the one parent: posts %d, thread %q", len(posts), final.ThreadTS)
	}
	contains(t, posts[0], "asked to start stream processor `orders-dedupe` in workspace `orders-ws`", "⏳")
	contains(t, final, "`orders-dedupe` in workspace `orders-ws` started", "Atlas now reports 🟢 STARTED")
	if len(updates) != 1 {
		t.Fatalf("parent updates = %d, want 1", len(updates))
	}
	contains(t, updates[0], "✅")

	// Already running: said so, nothing sent, no thread.
	e.atlas.ResetCalls()
	before := len(e.slack.Delivered())
	// (a new command: a new trigger_id, so a new operation)
	res, err = e.handle(e.job(procJob(provision.ActionStart, "solarDemo"), func(j *provision.Job) { j.ID += ".2" }))
	if err != nil || res.Outcome != provision.OutcomeNoChange {
		t.Fatalf("start of a running processor: %+v, %v; want no change", res, err)
	}
	if n := e.atlas.Calls(atlastest.OpStartProcessor); n != 0 {
		t.Errorf(":start calls for a running processor = %d, want 0", n)
	}
	after := e.slack.Delivered()[before:]
	if len(after) != 1 || after[0].Method != slackrec.ResponseURL || !strings.Contains(after[0].Text, "already running") {
		t.Errorf("answers = %+v, want one private 'already running'", after)
	}
}

func TestStart_withTier(t *testing.T) {
	e := newEnv(t)
	e.seedProcessors()
	res, err := e.handle(e.job(procJob(provision.ActionStart, "orders-dedupe"), func(j *provision.Job) { j.Tier = "SP5" }))
	if err != nil || res.Outcome != provision.OutcomeStarted {
		t.Fatalf("Handle = %+v, %v; want started", res, err)
	}
	if n := e.atlas.Calls(atlastest.OpStartProcessorWith); n != 1 {
		t.Errorf(":startWith calls = %d, want 1", n)
	}
	contains(t, e.final(), "STARTED", "SP5")

	// The edge's dry run shows exactly that request.
	j := e.job(procJob(provision.ActionStart, "orders-dedupe"), func(j *provision.Job) { j.Tier = "SP5" })
	m, p, body, err := provision.Preview(j)
	if err != nil || m != http.MethodPost || !strings.HasSuffix(p, "/streams/orders-ws/processor/orders-dedupe:startWith") || string(body) != `{"tier":"SP5"}` {
		t.Errorf("Preview = %s %s %s, %v", m, p, body, err)
	}
	j.Tier = "SP7"
	if err := provision.Check(j); err == nil {
		t.Error("Check accepted the tier SP7")
	}
}

// A start that Atlas refuses: the answer says what Atlas said, for a
// failed processor as for any status.
func TestStop_confirmStopsOnce(t *testing.T) {
	e := newEnv(t)
	e.seedProcessors()
	ask := e.ask(procJob(provision.ActionStop, "solarDemo"))
	contains(t, ask, "asks to *stop* stream processor `solarDemo` in workspace `orders-ws`", "🟢 STARTED")
	bs, _ := buttons(t, ask)
	if len(bs) != 2 || bs[0].Style != "danger" || bs[0].Confirm == nil || bs[1].Text.Text != "Cancel" {
		t.Fatalf("buttons = %+v, want a danger Stop with a confirm dialog, and Cancel", bs)
	}
	if n := e.atlas.Calls(atlastest.OpStopProcessor); n != 0 {
		t.Fatalf(":stop calls before the click = %d", n)
	}
	click := e.click(ask, "streambot.confirm.stop", "U012ABCDEF")
	if click.Processor != "solarDemo" {
		t.Fatalf("the click names processor %q", click.Processor)
	}
	res, err := e.handle(click)
	if err != nil || res.Outcome != provision.OutcomeStopped {
		t.Fatalf("click: Handle = %+v, %v; want stopped", res, err)
	}
	for range 2 {
		if res, _ := e.handle(click); res.Outcome != provision.OutcomeAlreadyDecided {
			t.Errorf("repeated click: %s, want already decided", res.Outcome)
		}
	}
	if n := e.atlas.Calls(atlastest.OpStopProcessor); n != 1 {
		t.Errorf(":stop calls = %d, want exactly 1", n)
	}
	if st, _ := e.atlas.ProcessorState(groupID, "orders-ws", "solarDemo"); st != atlas.ProcessorStopped {
		t.Errorf("state = %s, want STOPPED", st)
	}
	var threaded bool
	for _, c := range e.slack.Delivered(slackrec.PostMessage) {
		if c.ThreadTS == ask.TS && strings.Contains(c.Text, "stopped. Atlas now reports STOPPED") {
			threaded = true
		}
	}
	if !threaded {
		t.Errorf("no 'stopped' reply with the new state in the confirmation's thread: %+v", e.slack.Calls())
	}
	_, updates := e.parents()
	last := updates[len(updates)-1]
	contains(t, last, "asked to stop stream processor `solarDemo`", "confirmed by <@U012ABCDEF>", "✅")
}

func TestStop_notRunningAndCancel(t *testing.T) {
	e := newEnv(t)
	e.seedProcessors()
	res, err := e.handle(e.job(procJob(provision.ActionStop, "orders-dedupe")))
	if err != nil || res.Outcome != provision.OutcomeNoChange {
		t.Fatalf("stop of a stopped processor: %+v, %v; want no change", res, err)
	}
	final := e.final()
	contains(t, final, "`orders-dedupe`", "not running", "nothing was sent")
	if bs, _ := allButtons(t, final); len(bs) != 0 {
		t.Errorf("buttons %+v on a stop that asks nothing", bs)
	}

	e2 := newEnv(t)
	e2.seedProcessors()
	ask := e2.ask(procJob(provision.ActionStop, "solarDemo"))
	res, err = e2.handle(e2.click(ask, "streambot.cancel.stop", "U012ABCDEF"))
	if err != nil || res.Outcome != provision.OutcomeCancelled {
		t.Fatalf("cancel: %+v, %v", res, err)
	}
	if n := e2.atlas.Calls(atlastest.OpStopProcessor); n != 0 {
		t.Errorf(":stop calls after Cancel = %d", n)
	}

	// Stopped meanwhile (someone else, or Atlas): the click sends nothing.
	e3 := newEnv(t)
	e3.seedProcessors()
	ask = e3.ask(procJob(provision.ActionStop, "solarDemo"))
	api, _ := atlas.NewClient(atlas.WithBaseURL(e3.atlas.URL), atlas.WithServiceAccount(clientID, clientSecret))
	if err := api.StopStreamProcessor(context.Background(), groupID, "orders-ws", "solarDemo"); err != nil {
		t.Fatal(err)
	}
	e3.atlas.ResetCalls()
	res, err = e3.handle(e3.click(ask, "streambot.confirm.stop", "U012ABCDEF"))
	if err != nil || res.Outcome != provision.OutcomeNoChange || e3.atlas.Calls(atlastest.OpStopProcessor) != 0 {
		t.Errorf("confirm after a stop elsewhere: %+v, %v, %d :stop calls; want no change and none", res, err, e3.atlas.Calls(atlastest.OpStopProcessor))
	}
}

func TestConnections_neverShowCredentials(t *testing.T) {
	e := newEnv(t)
	e.seedProcessors()
	res, err := e.handle(e.job(procJob(provision.ActionConnections, "")))
	if err != nil || res.Outcome != provision.OutcomeListed {
		t.Fatalf("Handle = %+v, %v", res, err)
	}
	final := e.final()
	contains(t, final, "3 connections in workspace `orders-ws`", "sample `sample_stream_solar`", "cluster `Cluster0`",
		"broker-1.example.com:9092", "SASL_SSL")
	for _, secret := range []string{"kafka-Pa55-never-shown", "SCRAM", "streambot-demo", "authentication"} {
		if strings.Contains(final.Text+string(final.Blocks), secret) {
			t.Errorf("the connections answer shows %q", secret)
		}
	}
}

func TestAtlasCounter(t *testing.T) {
	e := newEnv(t, func(s *setting) {
		s.deps = func(d *provision.Deps) { d.Counts = provision.AtlasCounter{Atlas: d.Atlas} }
	})
	e.seedProcessors()
	contains(t, e.ask(deleteJob), `Processors*\n3 (1 running)`, `Connections*\n3`)
}

// The stats Atlas sends are free-form: odd shapes render, never fail.
func TestProcessor_oddStats(t *testing.T) {
	e := newEnv(t)
	e.seed()
	if err := e.atlas.AddProcessor(groupID, "orders-ws", atlastest.Processor{Name: "odd"}); err != nil {
		t.Fatal(err)
	}
	e.atlas.Inject(atlastest.OpGetProcessor, atlastest.Fault{Status: 200,
		Body: `{"name":"odd","state":"PAUSED_BY_ATLAS","stats":{"inputMessageCount":"many","outputMessageCount":-3,"dlqMessageCount":1e400,"lastStateChange":{"$date":"x"},"nested":[[[]]]},"pipeline":[{"$source":{}},[1],"x"]}`})
	res, err := e.handle(e.job(procJob(provision.ActionProcessor, "odd")))
	if err != nil || res.Outcome != provision.OutcomeDescribed {
		t.Fatalf("Handle = %+v, %v; want described", res, err)
	}
	contains(t, e.final(), "PAUSED_BY_ATLAS", "`$source` → `?` → `?`")
}

// Atlas refusing a read of processors or connections (issue 11: 404, 409,
// 429, 5xx, and 403 for a key without the processor roles) is answered
// privately with Atlas's reason and advice; nothing is listed.
func TestReads_atlasRefuses(t *testing.T) {
	for _, op := range []struct {
		action provision.Action
		proc   string
		fails  atlastest.Op
		head   string
	}{
		{provision.ActionProcessors, "", atlastest.OpListProcessors, "Could not list the stream processors of stream workspace `orders-ws`"},
		{provision.ActionProcessor, "solarDemo", atlastest.OpGetProcessor, "Could not read stream processor `solarDemo` in workspace `orders-ws`"},
		{provision.ActionConnections, "", atlastest.OpListConnections, "Could not list the connections of stream workspace `orders-ws`"},
	} {
		for _, tc := range []struct {
			status int
			code   string
			want   string
		}{
			{403, "X_CODE", "Project Owner or Project Stream Processing Owner"},
			{404, "GROUP_NOT_FOUND", "check the project"},
			{409, "X_CODE", "current state"},
			{429, "RATE_LIMITED", "rate limited"},
			{500, "UNEXPECTED_ERROR", "trouble on its side"},
			{503, "SERVICE_UNAVAILABLE", "trouble on its side"},
		} {
			t.Run(string(op.action)+"/"+itoa(tc.status), func(t *testing.T) {
				e := newEnv(t)
				e.seedProcessors()
				e.refuse(op.fails, tc.status, tc.code)
				res, err := e.handle(e.job(procJob(op.action, op.proc)))
				if err != nil || res.Outcome != provision.OutcomeFailed {
					t.Fatalf("Handle = %+v, %v; want failed", res, err)
				}
				contains(t, e.final(), op.head, "Refused", tc.code, "atlas says no", "HTTP "+itoa(tc.status), tc.want)
			})
		}
	}
}
