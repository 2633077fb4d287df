package atlastest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/streambot/streambot/pkg/atlas"
)

const procAccept = "application/vnd.atlas.2024-05-30+json"

var cmpIgnoreLinks = cmpopts.IgnoreFields(atlas.StreamConnection{}, "Links")

// wsPath is the API path of a workspace, relative to /api/atlas/v2/.
func wsPath(name string) string { return "groups/" + groupID + "/streams/" + name }

// proc sends a processor call in the processors' version and checks the
// answer against the spec.
func (e *env) proc(method, path, body string) *response {
	e.t.Helper()
	accept := procAccept
	if strings.HasSuffix(path, ":startWith") {
		accept = "application/vnd.atlas.2025-03-12+json"
	}
	h := map[string]string{"Accept": accept}
	if body != "" {
		h["Content-Type"] = accept
	}
	return e.api(req{method: method, path: path, body: body, header: h})
}

// getProc reads one processor and decodes it with the client's type.
func (e *env) getProc(ws, name string) atlas.StreamProcessor {
	e.t.Helper()
	resp := e.proc("GET", wsPath(ws)+"/processor/"+name, "")
	if resp.status != http.StatusOK {
		e.t.Fatalf("GET processor %s: %d %s", name, resp.status, resp.body)
	}
	var p atlas.StreamProcessor
	resp.decode(e.t, &p)
	return p
}

func (e *env) mustAdd(ws string, p Processor) {
	e.t.Helper()
	if err := e.srv.AddProcessor(groupID, ws, p); err != nil {
		e.t.Fatal(err)
	}
}

func TestProcessorStateMachine(t *testing.T) {
	e := setup(t)
	e.create("orders-ws", "AWS", "VIRGINIA_USA", true)
	e.mustAdd("orders-ws", Processor{Name: "solarDemo", DLQ: &atlas.DLQ{ConnectionName: "cluster0", DB: "solar", Coll: "dlq"}})
	p := "groups/" + groupID + "/streams/orders-ws/processor/solarDemo"
	steps := []struct {
		name       string
		method     string
		path       string
		fail       bool // FailProcessor before the call
		wantStatus int
		wantCode   string
		wantState  atlas.ProcessorState
	}{
		{name: "created", method: "GET", path: p, wantStatus: 200, wantState: atlas.ProcessorCreated},
		{name: "stop a created processor", method: "POST", path: p + ":stop", wantStatus: 409, wantCode: CodeProcessorNotStarted, wantState: atlas.ProcessorCreated},
		{name: "start", method: "POST", path: p + ":start", wantStatus: 200, wantState: atlas.ProcessorStarted},
		{name: "start a started processor", method: "POST", path: p + ":start", wantStatus: 409, wantCode: CodeProcessorAlreadyStarted, wantState: atlas.ProcessorStarted},
		{name: "stop", method: "POST", path: p + ":stop", wantStatus: 200, wantState: atlas.ProcessorStopped},
		{name: "stop a stopped processor", method: "POST", path: p + ":stop", wantStatus: 409, wantCode: CodeProcessorNotStarted, wantState: atlas.ProcessorStopped},
		{name: "start again", method: "POST", path: p + ":start", wantStatus: 200, wantState: atlas.ProcessorStarted},
		{name: "failed, then stopped", method: "POST", path: p + ":stop", fail: true, wantStatus: 200, wantState: atlas.ProcessorStopped},
		{name: "failed, then started", method: "POST", path: p + ":start", fail: true, wantStatus: 200, wantState: atlas.ProcessorStarted},
	}
	for _, s := range steps {
		if s.fail && !e.srv.FailProcessor(groupID, "orders-ws", "solarDemo", "boom") {
			t.Fatalf("%s: FailProcessor = false", s.name)
		}
		resp := e.proc(s.method, s.path, "")
		if resp.status != s.wantStatus {
			t.Fatalf("%s: status %d (%s), want %d", s.name, resp.status, resp.body, s.wantStatus)
		}
		if s.wantCode != "" {
			if got := resp.apiErr(t); got.ErrorCode != s.wantCode {
				t.Errorf("%s: errorCode %q, want %q", s.name, got.ErrorCode, s.wantCode)
			}
		}
		if got := e.getProc("orders-ws", "solarDemo"); got.State != s.wantState {
			t.Errorf("%s: state %s, want %s", s.name, got.State, s.wantState)
		}
	}
	got := e.getProc("orders-ws", "solarDemo")
	if got.Options == nil || got.Options.DLQ == nil || got.Options.DLQ.Coll != "dlq" || got.Tier != atlas.TierSP10 {
		t.Errorf("processor = %+v, want the DLQ settings and the workspace's tier", got)
	}
	if diff := cmp.Diff([]string{"$source", "$match", "$merge"}, got.Stages()); diff != "" {
		t.Errorf("Stages() (-want +got):\n%s", diff)
	}
}

func TestFailProcessor(t *testing.T) {
	e := setup(t)
	e.create("orders-ws", "AWS", "VIRGINIA_USA", false)
	e.mustAdd("orders-ws", Processor{Name: "p1", State: atlas.ProcessorStarted})
	if e.srv.FailProcessor(groupID, "orders-ws", "nope", "x") {
		t.Error("FailProcessor(unknown) = true, want false")
	}
	e.srv.FailProcessor(groupID, "orders-ws", "p1", "$merge: connection cluster0 refused")
	got := e.getProc("orders-ws", "p1")
	var errMsg string
	for _, f := range got.Stats.Scalars() {
		if f.Key == "errorMsg" {
			errMsg = f.Value
		}
	}
	if got.State != atlas.ProcessorFailed || errMsg != "$merge: connection cluster0 refused" {
		t.Errorf("after FailProcessor: state %s, errorMsg %q; want FAILED with the reason", got.State, errMsg)
	}
	if st, ok := e.srv.ProcessorState(groupID, "orders-ws", "p1"); !ok || st != atlas.ProcessorFailed {
		t.Errorf("ProcessorState() = %s, %v, want FAILED", st, ok)
	}
}

func TestProcessorStatsMove(t *testing.T) {
	clock := newFakeClock()
	e := setup(t, WithClock(clock.Now))
	e.create("orders-ws", "AWS", "VIRGINIA_USA", false)
	e.mustAdd("orders-ws", Processor{Name: "p1", State: atlas.ProcessorStarted, Rate: 10, InputMessages: 100})
	e.mustAdd("orders-ws", Processor{Name: "idle", Rate: 10})
	count := func(name string) int64 {
		t.Helper()
		n, ok := e.getProc("orders-ws", name).Stats.InputMessageCount()
		if !ok {
			t.Fatalf("%s: no inputMessageCount", name)
		}
		return n
	}
	first := count("p1")
	second := count("p1") // the clock has not moved: one read's worth
	clock.Advance(3 * time.Second)
	third := count("p1") // three seconds and one read
	if first != 110 || second != 120 || third != 160 {
		t.Errorf("input counts = %d, %d, %d; want 110, 120, 160", first, second, third)
	}
	if n := count("idle"); n != 0 {
		t.Errorf("a created processor counted %d messages, want 0", n)
	}
	p := e.getProc("orders-ws", "p1")
	out, _ := p.Stats.OutputMessageCount()
	dlq, _ := p.Stats.DLQMessageCount()
	at, ok := p.Stats.LastStateChange()
	if out <= 0 || dlq <= 0 || !ok || !at.Equal(clock.Now().Add(-3*time.Second)) {
		t.Errorf("stats = %s, want output and DLQ counts and the seeding time as last state change", p.Stats.Raw)
	}
}

func TestStartWithTier(t *testing.T) {
	e := setup(t)
	// The helper creates SP10 workspaces without a max tier; this one has SP30.
	resp := e.api(req{method: "POST", path: "groups/" + groupID + "/streams",
		body: `{"name":"ws","dataProcessRegion":{"cloudProvider":"AWS","region":"OHIO_USA"},"streamConfig":{"tier":"SP10","maxTierSize":"SP30"}}`})
	if resp.status != 200 {
		t.Fatalf("create: %d %s", resp.status, resp.body)
	}
	e.mustAdd("ws", Processor{Name: "p1"})
	if r := e.proc("POST", wsPath("ws")+"/processor/p1:startWith", `{"tier":"SP50"}`); r.status != 400 || r.apiErr(t).BadRequestDetail == nil {
		t.Errorf("start with SP50 above max SP30: %d %s, want 400 naming the tier", r.status, r.body)
	}
	if r := e.proc("POST", wsPath("ws")+"/processor/p1:startWith", `{"tier":"SP7"}`); r.status != 400 {
		t.Errorf("start with SP7: %d %s, want 400 (the spec's enum)", r.status, r.body)
	}
	if r := e.proc("POST", wsPath("ws")+"/processor/p1:startWith", `{"tier":"SP30"}`); r.status != 200 {
		t.Fatalf("start with SP30: %d %s, want 200", r.status, r.body)
	}
	if got := e.getProc("ws", "p1"); got.State != atlas.ProcessorStarted || got.Tier != atlas.TierSP30 {
		t.Errorf("after :startWith SP30: %s on %s, want STARTED on SP30", got.State, got.Tier)
	}
	if r := e.proc("POST", wsPath("ws")+"/processor/p1:startWith", `{}`); r.status != 409 {
		t.Errorf("startWith on a started processor: %d, want 409", r.status)
	}
}

func TestProcessorNotFound(t *testing.T) {
	e := setup(t)
	e.create("orders-ws", "AWS", "VIRGINIA_USA", false)
	e.mustAdd("orders-ws", Processor{Name: "p1"})
	tests := []struct {
		name, method, path, wantCode string
	}{
		{"unknown processor", "GET", wsPath("orders-ws") + "/processor/p2", CodeProcessorNotFound},
		{"start unknown processor", "POST", wsPath("orders-ws") + "/processor/p2:start", CodeProcessorNotFound},
		{"unknown workspace", "GET", wsPath("nope") + "/processors", CodeWorkspaceNotFound},
		{"connections of unknown workspace", "GET", wsPath("nope") + "/connections", CodeWorkspaceNotFound},
		{"unknown project", "GET", "groups/" + otherGroupID + "/streams/orders-ws/processors", CodeGroupNotFound},
		{"unknown verb", "POST", wsPath("orders-ws") + "/processor/p1:pause", CodeResourceNotFound},
		{"create is not served", "POST", wsPath("orders-ws") + "/processor", CodeResourceNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := ""
			if tc.path == wsPath("orders-ws")+"/processor" {
				body = `{"name":"p3","pipeline":[]}`
			}
			var resp *response
			if tc.wantCode != CodeResourceNotFound {
				resp = e.proc(tc.method, tc.path, body)
			} else { // no operation: nothing to check the answer against
				resp = e.api(req{method: tc.method, path: tc.path, body: body, noCheck: true,
					header: map[string]string{"Accept": procAccept, "Content-Type": procAccept}})
			}
			if resp.status != 404 || resp.apiErr(t).ErrorCode != tc.wantCode {
				t.Errorf("status %d %s, want 404 %s", resp.status, resp.body, tc.wantCode)
			}
		})
	}
}

// Atlas's errors through the fault hook: the processor is untouched.
func TestProcessorFaults(t *testing.T) {
	for _, status := range []int{404, 409, 429, 500, 503} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			e := setup(t)
			e.create("orders-ws", "AWS", "VIRGINIA_USA", false)
			e.mustAdd("orders-ws", Processor{Name: "p1"})
			e.srv.Inject(OpStartProcessor, Fault{Status: status, RetryAfter: "1"})
			resp := e.proc("POST", wsPath("orders-ws")+"/processor/p1:start", "")
			if resp.status != status || resp.apiErr(t).Error != status || resp.header.Get("Retry-After") != "1" {
				t.Errorf("status %d %s, want %d ApiError with Retry-After", resp.status, resp.body, status)
			}
			if st, _ := e.srv.ProcessorState(groupID, "orders-ws", "p1"); st != atlas.ProcessorCreated {
				t.Errorf("state after the fault = %s, want CREATED", st)
			}
			if n := e.srv.Calls(OpStartProcessor); n != 1 {
				t.Errorf("Calls(OpStartProcessor) = %d, want 1", n)
			}
		})
	}
}

func TestProcessorPaging(t *testing.T) {
	e := setup(t)
	e.create("big", "AWS", "VIRGINIA_USA", false)
	for i := range 120 {
		e.mustAdd("big", Processor{Name: fmt.Sprintf("p%03d", i)})
	}
	var page atlas.StreamProcessorPage
	e.proc("GET", wsPath("big")+"/processors?itemsPerPage=50&pageNum=3", "").decode(t, &page)
	if len(page.Results) != 20 || page.TotalCount != 120 || page.Results[0].Name != "p100" {
		t.Errorf("page 3 of 50: %d results from %q, totalCount %d; want 20 from p100 of 120", len(page.Results), page.Results[0].Name, page.TotalCount)
	}
	for _, l := range page.Links {
		if l.Rel == "next" {
			t.Errorf("the last page links to a next one: %+v", page.Links)
		}
	}
}

func TestConnections(t *testing.T) {
	e := setup(t)
	e.create("orders-ws", "AWS", "VIRGINIA_USA", true)
	if err := e.srv.SeedConnections(groupID, "orders-ws"); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.AddConnection(groupID, "orders-ws", Connection{Name: "cluster0", Type: "Cluster"}); err == nil {
		t.Error("AddConnection with a duplicate name succeeded")
	}
	resp := e.api(req{method: "GET", path: wsPath("orders-ws") + "/connections",
		header: map[string]string{"Accept": "application/vnd.atlas.2023-02-01+json"}})
	if resp.status != 200 {
		t.Fatalf("list connections: %d %s", resp.status, resp.body)
	}
	if strings.Contains(string(resp.body), "kafka-Pa55-never-shown") || strings.Contains(string(resp.body), "password") {
		t.Errorf("the Kafka password left the simulator: %s", resp.body)
	}
	var page atlas.StreamConnectionPage
	resp.decode(t, &page)
	want := []atlas.StreamConnection{
		{Name: "sample_stream_solar", Type: "Sample", State: "READY"},
		{Name: "cluster0", Type: "Cluster", State: "READY", ClusterName: "Cluster0"},
		{Name: "events", Type: "Kafka", State: "READY", BootstrapServers: "broker-1.example.com:9092,broker-2.example.com:9092",
			Security: &atlas.KafkaSecurity{Protocol: "SASL_SSL"}},
	}
	if diff := cmp.Diff(want, page.Results, cmpIgnoreLinks); diff != "" {
		t.Errorf("connections (-want +got):\n%s", diff)
	}
	// The answer does carry the user name and mechanism, as Atlas does; the
	// client type drops them.
	var raw struct {
		Results []map[string]json.RawMessage `json:"results"`
	}
	resp.decode(t, &raw)
	if a := string(raw.Results[2]["authentication"]); !strings.Contains(a, `"mechanism":"SCRAM-512"`) {
		t.Errorf("authentication = %s, want the mechanism without secrets", a)
	}
}

// A deleted workspace takes its processors and connections with it; a new
// one of the same name starts empty.
func TestProcessorsGoWithTheirWorkspace(t *testing.T) {
	e := setup(t)
	e.mustAdd("ws", Processor{Name: "early"}) // seeded before the workspace exists
	e.create("ws", "AWS", "VIRGINIA_USA", false)
	var page atlas.StreamProcessorPage
	e.proc("GET", wsPath("ws")+"/processors", "").decode(t, &page)
	if len(page.Results) != 1 || page.Results[0].Name != "early" {
		t.Fatalf("processors = %+v, want the one seeded early", page.Results)
	}
	if r := e.api(req{method: "DELETE", path: wsPath("ws")}); r.status != 202 {
		t.Fatalf("delete: %d", r.status)
	}
	if _, ok := e.srv.ProcessorState(groupID, "ws", "early"); ok {
		t.Error("a deleted workspace's processor is still known")
	}
	if r := e.proc("GET", wsPath("ws")+"/processors", ""); r.status != 404 {
		t.Errorf("processors of a deleted workspace: %d, want 404", r.status)
	}
	e.create("ws", "AWS", "VIRGINIA_USA", false)
	page = atlas.StreamProcessorPage{}
	e.proc("GET", wsPath("ws")+"/processors", "").decode(t, &page)
	if len(page.Results) != 0 {
		t.Errorf("a new workspace of the same name lists %d processors, want 0", len(page.Results))
	}
	e.mustAdd("ws", Processor{Name: "late"})
	e.srv.DropProcessors(groupID, "ws")
	if _, ok := e.srv.ProcessorState(groupID, "ws", "late"); ok {
		t.Error("DropProcessors kept a processor")
	}
}

func TestAddProcessorRefusesBadSeeds(t *testing.T) {
	e := setup(t)
	for _, p := range []Processor{
		{},
		{Name: "p", Pipeline: []json.RawMessage{json.RawMessage(`{"$limit":5}`)}},
		{Name: "p", Pipeline: []json.RawMessage{json.RawMessage(`{"$match":{},"$merge":{}}`)}},
		{Name: "p", Pipeline: []json.RawMessage{json.RawMessage(`[`)}},
	} {
		if err := e.srv.AddProcessor(groupID, "ws", p); err == nil {
			t.Errorf("AddProcessor(%+v) succeeded, want an error", p)
		}
	}
	e.mustAdd("ws", Processor{Name: "p"})
	if err := e.srv.AddProcessor(groupID, "ws", Processor{Name: "p"}); err == nil {
		t.Error("AddProcessor with a duplicate name succeeded")
	}
}

// Atlas refuses to delete a workspace while a processor runs: 409, and
// the workspace and its processors stay. Once stopped, the delete goes
// through.
func TestDeleteRefusedWhileProcessorsRun(t *testing.T) {
	e := setup(t)
	e.create("ws", "AWS", "VIRGINIA_USA", false)
	e.mustAdd("ws", Processor{Name: "runner", State: atlas.ProcessorStarted})
	e.mustAdd("ws", Processor{Name: "idle"})
	r := e.api(req{method: "DELETE", path: wsPath("ws")})
	if r.status != 409 || r.apiErr(t).ErrorCode != CodeProcessorsRunning {
		t.Fatalf("delete with a running processor: %d %s, want 409 %s", r.status, r.body, CodeProcessorsRunning)
	}
	if _, ok := e.srv.Workspace(groupID, "ws"); !ok {
		t.Fatal("the refused delete removed the workspace")
	}
	if st, ok := e.srv.ProcessorState(groupID, "ws", "runner"); !ok || st != atlas.ProcessorStarted {
		t.Fatalf("the running processor after the refused delete: %s, %v", st, ok)
	}
	if r := e.proc("POST", wsPath("ws")+"/processor/runner:stop", ""); r.status != 200 {
		t.Fatalf("stop: %d", r.status)
	}
	if r := e.api(req{method: "DELETE", path: wsPath("ws")}); r.status != 202 {
		t.Fatalf("delete once stopped: %d %s, want 202", r.status, r.body)
	}
	if _, ok := e.srv.ProcessorState(groupID, "ws", "idle"); ok {
		t.Error("the deleted workspace's processors are still known")
	}
}

// WithSampleProcessors gives a workspace created with the solar sample two
// processors; one without the sample gets none.
func TestWithSampleProcessors(t *testing.T) {
	e := setup(t, WithSampleProcessors())
	e.create("solar", "AWS", "VIRGINIA_USA", true)
	e.create("plain", "AWS", "VIRGINIA_USA", false)
	for name, want := range map[string]atlas.ProcessorState{"solarDemo": atlas.ProcessorStarted, "solarAlerts": atlas.ProcessorStopped} {
		if st, ok := e.srv.ProcessorState(groupID, "solar", name); !ok || st != want {
			t.Errorf("%s: %s, %v; want %s", name, st, ok, want)
		}
	}
	var page atlas.StreamProcessorPage
	e.proc("GET", wsPath("plain")+"/processors", "").decode(t, &page)
	if len(page.Results) != 0 {
		t.Errorf("a workspace without the sample has %d processors", len(page.Results))
	}
}
