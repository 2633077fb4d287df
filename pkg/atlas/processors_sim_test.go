package atlas_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/streambot/streambot/pkg/atlas"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// The processor lifecycle against the simulator, requests and answers both
// checked against the spec, with the workspace version pinned to another
// date: each call still sends its own.
func TestSimulator_processors(t *testing.T) {
	sim := newSim(t)
	c, _ := simClient(t, sim, atlas.WithServiceAccount(simID, simSecret), atlas.WithAPIVersion("2023-02-01"))
	ctx := context.Background()
	if _, err := c.CreateStreamWorkspace(ctx, simGroup, workspace("solar-ws")); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := sim.AddProcessor(simGroup, "solar-ws", atlastest.Processor{Name: fmt.Sprintf("proc-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sim.SeedConnections(simGroup, "solar-ws"); err != nil {
		t.Fatal(err)
	}

	all, err := c.AllStreamProcessors(ctx, simGroup, "solar-ws")
	if err != nil || len(all) != 3 || all[0].State != atlas.ProcessorCreated {
		t.Fatalf("AllStreamProcessors = %+v, %v, want 3 CREATED", all, err)
	}
	if err := c.StartStreamProcessor(ctx, simGroup, "solar-ws", "proc-0"); err != nil {
		t.Fatalf("StartStreamProcessor: %v", err)
	}
	err = c.StartStreamProcessor(ctx, simGroup, "solar-ws", "proc-0")
	if !atlas.IsStatus(err, http.StatusConflict) || !atlas.IsErrorCode(err, atlastest.CodeProcessorAlreadyStarted) {
		t.Errorf("starting a started processor: %v, want 409 %s", err, atlastest.CodeProcessorAlreadyStarted)
	}
	if err := c.StartStreamProcessorWith(ctx, simGroup, "solar-ws", "proc-1", &atlas.StartOptions{Tier: atlas.TierSP30}); err != nil {
		t.Fatalf("StartStreamProcessorWith: %v", err)
	}
	p, err := c.GetStreamProcessor(ctx, simGroup, "solar-ws", "proc-1")
	if err != nil || p.State != atlas.ProcessorStarted || p.Tier != atlas.TierSP30 {
		t.Fatalf("GetStreamProcessor = %+v, %v, want STARTED on SP30", p, err)
	}
	if n, ok := p.Stats.InputMessageCount(); !ok || n <= 0 {
		t.Errorf("a started processor's input count = %d, %v, want > 0", n, ok)
	}
	if err := c.StopStreamProcessor(ctx, simGroup, "solar-ws", "proc-1"); err != nil {
		t.Fatalf("StopStreamProcessor: %v", err)
	}
	err = c.StopStreamProcessor(ctx, simGroup, "solar-ws", "proc-1")
	if !atlas.IsErrorCode(err, atlastest.CodeProcessorNotStarted) {
		t.Errorf("stopping a stopped processor: %v, want %s", err, atlastest.CodeProcessorNotStarted)
	}
	if _, err := c.GetStreamProcessor(ctx, simGroup, "solar-ws", "nope"); !errors.Is(err, atlas.ErrNotFound) {
		t.Errorf("unknown processor: %v, want ErrNotFound", err)
	}
	if _, err := c.AllStreamProcessors(ctx, simGroup, "no-such-ws"); !atlas.IsErrorCode(err, atlastest.CodeWorkspaceNotFound) {
		t.Errorf("unknown workspace: %v, want %s", err, atlastest.CodeWorkspaceNotFound)
	}

	conns, err := c.AllStreamConnections(ctx, simGroup, "solar-ws")
	if err != nil || len(conns) != 3 {
		t.Fatalf("AllStreamConnections = %+v, %v, want 3", conns, err)
	}
	b, _ := json.Marshal(conns)
	if strings.Contains(string(b), "streambot-demo") || strings.Contains(string(b), "SCRAM") {
		t.Errorf("decoded connections kept authentication: %s", b)
	}
	for _, op := range []atlastest.Op{atlastest.OpListProcessors, atlastest.OpStartProcessor, atlastest.OpStartProcessorWith,
		atlastest.OpStopProcessor, atlastest.OpGetProcessor, atlastest.OpListConnections} {
		if sim.Calls(op) == 0 {
			t.Errorf("Calls(%s) = 0: the operation was not reached", op)
		}
	}
}

// envelope=true and pretty=true change nothing for the caller.
func TestSimulator_processorsEnveloped(t *testing.T) {
	sim := newSim(t)
	c, _ := simClient(t, sim, atlas.WithServiceAccount(simID, simSecret))
	ctx := context.Background()
	if _, err := c.CreateStreamWorkspace(ctx, simGroup, workspace("ws")); err != nil {
		t.Fatal(err)
	}
	if err := sim.AddProcessor(simGroup, "ws", atlastest.Processor{Name: "p"}); err != nil {
		t.Fatal(err)
	}
	env := []atlas.CallOption{atlas.WithEnvelope(), atlas.WithPretty()}
	if err := c.StartStreamProcessor(ctx, simGroup, "ws", "p", env...); err != nil {
		t.Fatalf("enveloped start: %v", err)
	}
	page, err := c.ListStreamProcessors(ctx, simGroup, "ws", nil, env...)
	if err != nil || len(page.Results) != 1 || page.Results[0].State != atlas.ProcessorStarted {
		t.Fatalf("enveloped list = %+v, %v, want p STARTED", page, err)
	}
	if err := c.StopStreamProcessor(ctx, simGroup, "ws", "p", env...); err != nil {
		t.Fatalf("enveloped stop: %v", err)
	}
	err = c.StopStreamProcessor(ctx, simGroup, "ws", "p", env...)
	if !atlas.IsErrorCode(err, atlastest.CodeProcessorNotStarted) {
		t.Errorf("enveloped stop of a stopped processor: %v, want %s", err, atlastest.CodeProcessorNotStarted)
	}
	conns, err := c.ListStreamConnections(ctx, simGroup, "ws", &atlas.ListOptions{ItemsPerPage: 1}, env...)
	if err != nil || len(conns.Results) != 1 || conns.Results[0].Name != "sample_stream_solar" {
		t.Errorf("enveloped connections = %+v, %v, want the solar sample", conns, err)
	}
}

// A 429 on :start is retried after Retry-After (a POST is repeated only
// after a 429); a 503 is not.
func TestSimulator_processorRetries(t *testing.T) {
	sim := newSim(t)
	c, waits := simClient(t, sim, atlas.WithAPIKey(simPub, simPriv))
	ctx := context.Background()
	if _, err := c.CreateStreamWorkspace(ctx, simGroup, workspace("ws")); err != nil {
		t.Fatal(err)
	}
	if err := sim.AddProcessor(simGroup, "ws", atlastest.Processor{Name: "p"}); err != nil {
		t.Fatal(err)
	}
	sim.Inject(atlastest.OpStartProcessor, atlastest.Fault{Status: 429, RetryAfter: "2"})
	if err := c.StartStreamProcessor(ctx, simGroup, "ws", "p"); err != nil {
		t.Fatalf("StartStreamProcessor after a 429: %v", err)
	}
	if w := waits(); len(w) != 1 || w[0].Seconds() != 2 {
		t.Errorf("waits = %v, want one of 2s", w)
	}
	sim.Inject(atlastest.OpStopProcessor, atlastest.Fault{Status: 503})
	if err := c.StopStreamProcessor(ctx, simGroup, "ws", "p"); !atlas.IsStatus(err, 503) {
		t.Errorf("StopStreamProcessor on a 503: %v, want the 503, unretried", err)
	}
	if st, _ := sim.ProcessorState(simGroup, "ws", "p"); st != atlas.ProcessorStarted {
		t.Errorf("state = %s, want STARTED (the stop never happened)", st)
	}
}
