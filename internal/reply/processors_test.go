package reply

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/button"
	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/pkg/atlas"
)

var scope = Scope{Project: "dev", GroupID: "6a1b2c3d4e5f6a7b8c9d0e1f", Workspace: "orders-ws"}

// testButtons stands in for the button codec: Stop for a running
// processor, Start for a stopped or created one, none for a failed one
// (as if the caller could only look). Each processor's block has its own
// block_id.
func testButtons(p atlas.StreamProcessor) []Button {
	switch p.State {
	case atlas.ProcessorStarted:
		return []Button{{Label: "Stop…", ActionID: "processor_stop", Value: "v1:stop:" + p.Name, BlockID: blockID(p), Style: slack.StyleDanger}}
	case atlas.ProcessorStopped, atlas.ProcessorCreated:
		return []Button{{Label: "Start", ActionID: "processor_start", Value: "v1:start:" + p.Name, BlockID: blockID(p), Style: slack.StylePrimary}}
	}
	return nil
}

// blockID is a block_id per processor name, in the codec's alphabet as
// real ones are.
func blockID(p atlas.StreamProcessor) string {
	return fmt.Sprintf("b.%08x", crc32.ChecksumIEEE([]byte(p.Name)))
}

// twoButtons returns two buttons per processor, which need an actions
// block of their own.
func twoButtons(p atlas.StreamProcessor) []Button {
	mk := func(id string) Button {
		return Button{Label: id, ActionID: id, Value: id + ":" + p.Name, BlockID: blockID(p)}
	}
	return []Button{mk("start"), mk("details")}
}

const solarStats = `{"name":"solarDemo","status":"running","scaleFactor":1,"inputMessageCount":926,"inputMessageSize":410310,` +
	`"outputMessageCount":383,"outputMessageSize":425513,"dlqMessageCount":2,"dlqMessageSize":424,"stateSize":4504,` +
	`"watermark":"2026-03-12T08:59:58Z","lastStateChange":"2026-03-12T08:00:00Z","operatorStats":[{"name":"SourceOperator"}]}`

func solarProcessor() atlas.StreamProcessor {
	return atlas.StreamProcessor{
		ID: "65f9fea5c5154385174af71e", Name: "solarDemo", State: atlas.ProcessorStarted, Tier: atlas.TierSP10,
		Pipeline: []json.RawMessage{
			json.RawMessage(`{"$source":{"connectionName":"sample_stream_solar"}}`),
			json.RawMessage(`{"$match":{"obs.watts":{"$gt":5}}}`),
			json.RawMessage(`{"$merge":{"into":{"connectionName":"cluster0","db":"solar","coll":"readings"}}}`),
		},
		Options: &atlas.ProcessorOptions{DLQ: &atlas.DLQ{ConnectionName: "cluster0", DB: "solar", Coll: "dlq"}},
		Stats:   atlas.NewProcessorStats([]byte(solarStats)),
	}
}

// manyProcessors returns n processors in every state, with figures.
func manyProcessors(n int) []atlas.StreamProcessor {
	states := []atlas.ProcessorState{atlas.ProcessorStarted, atlas.ProcessorStopped, atlas.ProcessorCreated, atlas.ProcessorFailed, "PROVISIONING"}
	ps := make([]atlas.StreamProcessor, n)
	for i := range ps {
		stats := fmt.Sprintf(`{"inputMessageCount":%d,"outputMessageCount":%d,"dlqMessageCount":%d,"lastStateChange":"2026-03-%02dT09:00:00Z"}`,
			i*123457, i*100000, i%7, 1+i%28)
		ps[i] = atlas.StreamProcessor{Name: fmt.Sprintf("orders-enrich-%03d", i), State: states[i%len(states)],
			Stats: atlas.NewProcessorStats([]byte(stats))}
		if i%3 == 0 {
			ps[i].Tier = atlas.TierSP30
		}
	}
	return ps
}

func TestProcessorsGolden(t *testing.T) {
	failed := solarProcessor()
	failed.State = atlas.ProcessorFailed
	failed.Stats = atlas.NewProcessorStats([]byte(`{"errorMsg":"$merge: connection cluster0 refused <!channel>"}`))
	failed.Options = nil
	failed.Pipeline = nil
	connections := []atlas.StreamConnection{
		{Name: "sample_stream_solar", Type: "Sample", State: "READY"},
		{Name: "cluster0", Type: "Cluster", State: "READY", ClusterName: "Cluster0"},
		{Name: "analytics", Type: "Cluster", ClusterName: "Analytics", ClusterGroupID: "5f1a2b3c4d5e6f7a8b9c0d1e"},
		{Name: "events", Type: "Kafka", State: "READY", BootstrapServers: "broker-1.example.com:9092,broker-2.example.com:9092",
			Security: &atlas.KafkaSecurity{Protocol: "SASL_SSL"}},
		{Name: "hook", Type: "Https", State: "PENDING"},
	}
	tests := []struct {
		name string
		msg  Message
	}{
		{"processors_0", ProcessorsList(scope, nil, testButtons)},
		{"processors_1", ProcessorsList(scope, []atlas.StreamProcessor{solarProcessor()}, testButtons)},
		{"processors_120", ProcessorsList(scope, manyProcessors(120), testButtons)},
		{"processor_detail", ProcessorDetail(scope, solarProcessor(), testButtons)},
		{"processor_detail_failed", ProcessorDetail(scope, failed, nil)},
		{"connections", Connections(scope, connections)},
		{"connections_0", Connections(scope, nil)},
		{"processor_not_found", ProcessorNotFound(scope, "solarDem", "solarDemo")},
		{"processor_changed", ProcessorChanged(scope, "started", solarProcessor())},
		{"processor_unchanged", ProcessorUnchanged(scope, solarProcessor(), "already running")},
		{"ask_stop", AskStop(StopAsk{UserID: "U2CERLKJA", Scope: scope, Processor: solarProcessor(),
			Stop:   Button{Label: "Stop", ActionID: "streambot.confirm.stop", Value: "v", BlockID: "streambot.x.0", Style: slack.StyleDanger},
			Cancel: Button{Label: "Cancel", ActionID: "streambot.cancel.stop", Value: "v", BlockID: "streambot.x.0"}})},
		{"decided_stop", Decided(Decision{Op: "stop", UserID: "U2CERLKJA", Name: "orders-ws", Processor: "solarDemo", Project: "dev",
			By: "U2CERLKJA", At: time.Date(2026, 3, 12, 9, 31, 0, 0, time.UTC), Confirmed: true, Status: StatusDone})},
		{"workspace_not_found_suggest", WorkspaceNotFound("ordres-ws", "dev", "orders-ws")},
		{"processor_request", ProcessorRequest(scope, "U2CERLKJA", "start", "solarDemo", "on tier SP10", StatusPending)},
		{"failed_start", Failed(Failure{Action: "start", Name: "orders-ws", Processor: "orders-enrich", Project: "dev",
			Err: &atlas.APIError{StatusCode: 409, ErrorCode: "STREAM_PROCESSOR_INVALID_STATE", Reason: "Conflict",
				Detail: "cannot start: $merge target unreachable"},
			Advice: "Atlas refuses this in the processor's current state."})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkLimits(t, tc.msg)
			checkGolden(t, "msg_"+tc.name, goldenJSON(t, tc.msg))
		})
	}
}

func TestProcessorsList_summarises(t *testing.T) {
	for _, n := range []int{19, 20, 21, 45, 120, 2000} {
		for name, buttons := range map[string]ProcessorButtons{"none": nil, "one": testButtons, "two": twoButtons} {
			t.Run(fmt.Sprintf("%d/%s", n, name), func(t *testing.T) {
				ps := manyProcessors(n)
				m := ProcessorsList(scope, ps, buttons)
				checkLimits(t, m)
				all := string(goldenJSON(t, m))
				// Every processor is shown, listed by name or counted.
				shownFull := strings.Count(all, " · out ")
				if n <= maxProcessorRows && shownFull != n {
					t.Errorf("%d processors shown in full, want all %d", shownFull, n)
				}
				if n > maxProcessorRows {
					if shownFull == 0 || shownFull > maxProcessorRows {
						t.Errorf("%d processors shown in full, want 1 to %d", shownFull, maxProcessorRows)
					}
					if !strings.Contains(m.Text, "/stream processor orders-ws") {
						t.Errorf("text %q does not say how to see the rest", m.Text)
					}
				}
				if !strings.Contains(all, "orders-enrich-003") { // a failed one comes first
					t.Errorf("the first failed processor is not shown")
				}
				if hidden := n - maxProcessorRows - maxNamedRest; hidden > 0 && !strings.Contains(m.Text, fmt.Sprintf("%d more are not shown", hidden)) {
					t.Errorf("%d processors: text %q does not count the %d not shown", n, m.Text, hidden)
				}
			})
		}
	}
}

func TestProcessorsEscape(t *testing.T) {
	evil := atlas.StreamProcessor{Name: "<!channel>", State: "<@U123>",
		Tier:     "<http://x|y>",
		Pipeline: []json.RawMessage{json.RawMessage(`{"<!here>":{"a":"` + "```" + `<b>"}}`)},
		Stats:    atlas.NewProcessorStats([]byte(`{"<!everyone>":"<!channel> & co","lastStateChange":"<!date^1^x|y>"}`)),
		Options:  &atlas.ProcessorOptions{DLQ: &atlas.DLQ{ConnectionName: "<!subteam^S1>", DB: "d", Coll: "c"}},
	}
	evilScope := Scope{Project: "<!channel>", Workspace: "<@U999>"}
	conns := []atlas.StreamConnection{{Name: "<!channel>", Type: "Kafka", BootstrapServers: "<@U1>", Security: &atlas.KafkaSecurity{Protocol: "<!here>"}},
		{Name: "c", Type: "Cluster", ClusterName: "<!here>", ClusterGroupID: "<@U2>"}}
	for name, m := range map[string]Message{
		"list":        ProcessorsList(evilScope, []atlas.StreamProcessor{evil}, nil),
		"detail":      ProcessorDetail(evilScope, evil, nil),
		"connections": Connections(evilScope, conns),
		"not found":   ProcessorNotFound(evilScope, "<!channel>", "<!here>"),
		"changed":     ProcessorChanged(evilScope, "<!channel>", evil),
		"unchanged":   ProcessorUnchanged(evilScope, evil, "<!here>"),
	} {
		checkLimits(t, m)
		checkEscaped(t, name, m)
	}
}

// A connection decoded from Atlas's answer, authentication included,
// renders nothing of it.
func TestConnectionsNeverRenderAuthentication(t *testing.T) {
	const body = `[{"name":"events","type":"Kafka","bootstrapServers":"b:9092","security":{"protocol":"SSL"},` +
		`"authentication":{"mechanism":"PLAIN","username":"kafka-user-42","sslCertificate":"CERT-xyz"},"config":{"sasl.jaas.config":"jaas-secret"}}]`
	var cs []atlas.StreamConnection
	if err := json.Unmarshal([]byte(body), &cs); err != nil {
		t.Fatal(err)
	}
	all := string(goldenJSON(t, Connections(scope, cs)))
	for _, secret := range []string{"kafka-user-42", "CERT-xyz", "jaas-secret", "PLAIN"} {
		if strings.Contains(all, secret) {
			t.Errorf("the message shows %q from the connection's authentication or config", secret)
		}
	}
	if !strings.Contains(all, "b:9092") || !strings.Contains(all, "SSL") {
		t.Errorf("the message does not identify the Kafka connection: %s", all)
	}
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		ok   bool
		want string
	}{{0, true, "0"}, {999, true, "999"}, {1000, true, "1,000"}, {1234567, true, "1,234,567"}, {-1234, true, "-1,234"}, {5, false, "–"}} {
		if got := count(tc.n, tc.ok); got != tc.want {
			t.Errorf("count(%d, %v) = %q, want %q", tc.n, tc.ok, got, tc.want)
		}
	}
}

// checkLimits fails t when m breaks one of Slack's Block Kit limits.
func checkLimits(t testing.TB, m Message) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("encode message: %v", err)
	}
	if !utf8.Valid(b) {
		t.Errorf("message is not valid UTF-8")
	}
	var msg struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(b, &msg); err != nil {
		t.Fatal(err)
	}
	if len(msg.Blocks) > maxBlocks {
		t.Errorf("%d blocks, Slack allows %d", len(msg.Blocks), maxBlocks)
	}
	if n := utf8.RuneCountInString(msg.Text); n > maxTextFallback || n == 0 {
		t.Errorf("text has %d characters, want 1 to %d", n, maxTextFallback)
	}
	textLen := func(o any) int {
		m, _ := o.(map[string]any)
		s, _ := m["text"].(string)
		return utf8.RuneCountInString(s)
	}
	for i, blk := range msg.Blocks {
		switch blk["type"] {
		case "section":
			if blk["text"] == nil && blk["fields"] == nil {
				t.Errorf("block %d: a section needs text or fields", i)
			}
			if n := textLen(blk["text"]); n > 3000 {
				t.Errorf("block %d: section text of %d characters, Slack allows 3000", i, n)
			}
			fs, _ := blk["fields"].([]any)
			if len(fs) > 10 {
				t.Errorf("block %d: %d fields, Slack allows 10", i, len(fs))
			}
			for _, f := range fs {
				if n := textLen(f); n > 2000 {
					t.Errorf("block %d: a field of %d characters, Slack allows 2000", i, n)
				}
			}
			if acc, ok := blk["accessory"].(map[string]any); ok {
				if n := textLen(acc["text"]); n > 75 {
					t.Errorf("block %d: button text of %d characters, Slack allows 75", i, n)
				}
			}
		case "context":
			els, _ := blk["elements"].([]any)
			if len(els) == 0 || len(els) > 10 {
				t.Errorf("block %d: context with %d elements, Slack allows 1 to 10", i, len(els))
			}
			for _, e := range els {
				if n := textLen(e); n > 3000 {
					t.Errorf("block %d: context text of %d characters", i, n)
				}
			}
		case "actions":
			els, _ := blk["elements"].([]any)
			if len(els) == 0 || len(els) > MaxButtonsPerBlock {
				t.Errorf("block %d: actions with %d elements, Slack allows 1 to 25", i, len(els))
			}
		default:
			t.Errorf("block %d: unexpected type %v", i, blk["type"])
		}
	}
}

// checkEscaped fails t when m holds a "<" that the renderer did not write
// itself (its only one is Slack's <!date^…> formatting).
func checkEscaped(t *testing.T, name string, m Message) {
	t.Helper()
	all := string(goldenJSON(t, m))
	if strings.Count(all, "<") != strings.Count(all, "<!date^") {
		t.Errorf("%s: unescaped < in %s", name, all)
	}
}

func FuzzRenderProcessors(f *testing.F) {
	f.Add([]byte(solarStats), "solarDemo", "STARTED", []byte(`{"$source":{}}`), 3)
	f.Add([]byte(`{"inputMessageCount":{"$numberLong":"99999999999999999999"},"lastStateChange":{"$date":-1e30}}`), "<!channel>", "", []byte(`[`), 60)
	f.Add([]byte(`[1,"x",{"y":null}]`), "", "FAILED", []byte(`"$match"`), 1)
	f.Add([]byte(`{"`+strings.Repeat("k", 5000)+`":"`+strings.Repeat("&", 5000)+`"}`), strings.Repeat("é", 3000), strings.Repeat("<", 100), []byte(`{}`), 200)
	f.Fuzz(func(t *testing.T, stats []byte, name, state string, stage []byte, n int) {
		n = max(0, min(n, 130))
		p := atlas.StreamProcessor{Name: name, State: atlas.ProcessorState(state), Tier: atlas.Tier(state),
			Pipeline: []json.RawMessage{stage, stage}, Stats: atlas.NewProcessorStats(stats)}
		ps := make([]atlas.StreamProcessor, n)
		for i := range ps {
			ps[i] = p
		}
		for what, m := range map[string]Message{
			"list":    ProcessorsList(scope, ps, twoButtons),
			"detail":  ProcessorDetail(scope, p, testButtons),
			"changed": ProcessorChanged(scope, "started", p),
			"connections": Connections(scope, []atlas.StreamConnection{{Name: name, Type: state, State: state,
				BootstrapServers: string(stats), ClusterName: name}}),
		} {
			checkLimits(t, m)
			checkEscaped(t, what, m)
		}
	})
}

// realisticProcessors returns n processors of a workspace as one mostly
// runs: 70 % running, 20 % stopped, the rest created, failed (one in 40)
// and provisioning, with figures, a third on SP30.
func realisticProcessors(n int) []atlas.StreamProcessor {
	ps := manyProcessors(n)
	for i := range ps {
		switch k := i % 20; {
		case k < 14:
			ps[i].State = atlas.ProcessorStarted
		case k < 18:
			ps[i].State = atlas.ProcessorStopped
		case k == 18:
			ps[i].State = atlas.ProcessorCreated
		case i%40 == 19:
			ps[i].State = atlas.ProcessorFailed
		default:
			ps[i].State = "PROVISIONING"
		}
	}
	return ps
}

// codecButtons are the buttons the worker puts on a list
// (provision's processorButtons): Stop on a running processor, Start on
// any other but one still provisioning, their values from the button
// codec, one block per row.
func codecButtons() ProcessorButtons {
	issued := time.Date(2026, 3, 12, 9, 0, 0, 0, time.UTC)
	row := 0
	return func(p atlas.StreamProcessor) []Button {
		n := row
		row++
		op, label, style := command.Start, "Start", slack.StylePrimary
		switch p.State {
		case atlas.ProcessorStarted:
			op, label, style = command.Stop, "Stop…", slack.StyleDanger
		case "PROVISIONING":
			return nil
		}
		v := button.Value{Op: op, Step: button.StepAsk, GroupID: scope.GroupID, Workspace: scope.Workspace, Processor: p.Name,
			Requester: "U0CREATOR", OpID: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c", IssuedAt: issued}
		enc, err := v.Encode()
		if err != nil {
			panic(err)
		}
		return []Button{{Label: label, ActionID: v.ActionID(), Value: enc, BlockID: v.BlockID(n), Style: style}}
	}
}

// BenchmarkRenderProcessors120 renders `/stream processors` for 120
// processors in a realistic mix of states (realisticProcessors) with the
// worker's buttons (codecButtons): the failed ones first, then running,
// stopped and created ones, 20 in full with their figures and a Start or
// Stop button, 100 more by name. Metrics: msg-bytes is the message as
// sent to Slack (JSON), blocks its blocks, buttons its buttons.
func BenchmarkRenderProcessors120(b *testing.B) {
	ps := realisticProcessors(120)
	m := ProcessorsList(scope, ps, codecButtons())
	buf, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	checkLimits(b, m)
	buttons := strings.Count(string(buf), `"type":"button"`)
	if buttons != 20 {
		b.Fatalf("%d buttons on the 20 rows in full, want 20", buttons)
	}
	b.ReportAllocs()
	for b.Loop() {
		ProcessorsList(scope, ps, codecButtons())
	}
	b.ReportMetric(float64(len(buf)), "msg-bytes")
	b.ReportMetric(float64(len(m.Blocks)), "blocks")
	b.ReportMetric(float64(buttons), "buttons")
}

// Every processor's buttons sit in a block whose block_id is theirs, once
// per message: the edge checks a click's value against its block, and
// Slack refuses a message with a block_id twice.
func TestProcessorsList_blockIDs(t *testing.T) {
	for name, buttons := range map[string]ProcessorButtons{"one": testButtons, "two": twoButtons} {
		m := ProcessorsList(scope, manyProcessors(20), buttons)
		var blocks []struct {
			Type      string `json:"type"`
			BlockID   string `json:"block_id"`
			Accessory *struct {
				Value string `json:"value"`
			} `json:"accessory"`
			Elements []struct {
				Value string `json:"value"`
			} `json:"elements"`
		}
		b, err := json.Marshal(m.Blocks)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &blocks); err != nil {
			t.Fatal(err)
		}
		seen, withButtons := map[string]bool{}, 0
		for _, bl := range blocks {
			var values []string
			if bl.Accessory != nil {
				values = append(values, bl.Accessory.Value)
			}
			if bl.Type == "actions" {
				for _, e := range bl.Elements {
					values = append(values, e.Value)
				}
			}
			if len(values) == 0 {
				continue
			}
			withButtons++
			if bl.BlockID == "" || seen[bl.BlockID] {
				t.Errorf("%s: block_id %q is empty or used twice", name, bl.BlockID)
			}
			seen[bl.BlockID] = true
			_, proc, _ := strings.Cut(values[0], ":")
			if proc = strings.TrimPrefix(proc, "stop:"); true {
				proc = strings.TrimPrefix(proc, "start:")
			}
			if want := blockID(atlas.StreamProcessor{Name: proc}); bl.BlockID != want {
				t.Errorf("%s: the button of %s sits in block %q, want %q", name, proc, bl.BlockID, want)
			}
		}
		if withButtons == 0 {
			t.Errorf("%s: no block holds a button", name)
		}
	}
}

// Processor names as long as streambot accepts (atlas.MaxProcessorNameLen)
// keep a list of 120 within Slack's limits, every processor shown or
// counted.
func TestProcessorsList_longNames(t *testing.T) {
	ps := manyProcessors(120)
	for i := range ps {
		ps[i].Name = fmt.Sprintf("%03d-%s", i, strings.Repeat("x", atlas.MaxProcessorNameLen-4))
	}
	for name, buttons := range map[string]ProcessorButtons{"none": nil, "one": testButtons, "two": twoButtons} {
		t.Run(name, func(t *testing.T) {
			m := ProcessorsList(scope, ps, buttons)
			checkLimits(t, m)
			all := string(goldenJSON(t, m))
			named := 0
			for i := range ps {
				if strings.Contains(all, fmt.Sprintf("%03d-x", i)) {
					named++
				}
			}
			if hidden := len(ps) - named; hidden > 0 && !strings.Contains(m.Text, fmt.Sprintf("%d more are not shown", hidden)) {
				t.Errorf("%d of %d processors named; the text %q does not count the %d others", named, len(ps), m.Text, hidden)
			}
		})
	}
}
