package atlastest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/streambot/streambot/pkg/atlas"
)

// Stream processors and connections.
//
// Choices where Atlas documents nothing, all visible on the wire:
//   - State machine: CREATED → STARTED (:start, :startWith) → STOPPED
//     (:stop) → STARTED …; a FAILED processor (see [Atlas.FailProcessor])
//     can be started again or stopped. Starting a STARTED processor answers
//     409 [CodeProcessorAlreadyStarted]; stopping one that is not STARTED
//     answers 409 [CodeProcessorNotStarted]. The spec lists no 409 for
//     these operations; DESIGN.md notes that Atlas sends undocumented 409s.
//   - :startWith with a tier above the workspace's maxTierSize answers 400
//     [CodeValidationError] on field "tier".
//   - Unknown processor: 404 [CodeProcessorNotFound].
//   - Stats move: while STARTED, every read adds the messages of the time
//     passed on the Atlas clock (Processor.Rate a second) plus one second's
//     worth, so they move under a frozen clock too. A tenth of the input is
//     filtered out, one message in fifty goes to the dead letter queue.
//     Stats carry lastStateChange (RFC 3339), a key Atlas does not document.
//   - Connections: a workspace created with sampleConnections.solar lists
//     sample_stream_solar; [Atlas.AddConnection] adds others. A Kafka
//     connection's authentication is answered with its mechanism and user
//     name only: password, sslKey and the other write-only fields never
//     leave the simulator (the spec forbids them in answers).
//   - Deleting a workspace while one of its processors is STARTED answers
//     409 [CodeProcessorsRunning] and deletes nothing.
//   - Processors and connections belong to a workspace by name; they stay
//     while a deleted workspace is still visible (WithDeleteDelay) and are
//     dropped once it is gone or replaced by a new one of that name (see
//     also [Atlas.DropProcessors]). Seeding for a
//     workspace that does not exist yet is allowed: the processors appear
//     when it is created.
//   - Not served (404 RESOURCE_NOT_FOUND): creating or deleting processors
//     and connections, and reading one connection.

// Error codes of the processor operations.
const (
	CodeProcessorNotFound       = "STREAM_PROCESSOR_NOT_FOUND"
	CodeProcessorAlreadyStarted = "STREAM_PROCESSOR_ALREADY_STARTED"
	CodeProcessorNotStarted     = "STREAM_PROCESSOR_NOT_STARTED"
	// CodeProcessorsRunning answers the delete of a workspace whose
	// processors run (409). Atlas refuses such a delete; the spec names no
	// code for it, so this one is the simulator's.
	CodeProcessorsRunning = "STREAM_PROCESSORS_RUNNING"
)

// The processor and connection operations.
const (
	OpListProcessors     Op = "getGroupStreamProcessors"
	OpGetProcessor       Op = "getGroupStreamProcessor"
	OpStartProcessor     Op = "startGroupStreamProcessor"
	OpStartProcessorWith Op = "startGroupStreamProcessorWith"
	OpStopProcessor      Op = "stopGroupStreamProcessor"
	OpListConnections    Op = "listGroupStreamConnections"
)

// DefaultRate is how many messages a second a started processor reads when
// Processor.Rate is zero.
const DefaultRate = 50

// Processor is a stream processor to seed with [Atlas.AddProcessor].
type Processor struct {
	Name string
	// State defaults to CREATED. A STARTED processor starts counting at
	// once; FAILED takes FailReason into its stats.
	State atlas.ProcessorState
	// Tier is reported while the processor runs; empty means the
	// workspace's tier.
	Tier atlas.Tier
	// Pipeline holds the stages, each a one-key document whose value is an
	// object (as the spec requires); nil means [DefaultPipeline].
	Pipeline []json.RawMessage
	DLQ      *atlas.DLQ
	// Rate is the messages read per second while started (default
	// [DefaultRate]); InputMessages is the count to start from.
	Rate          int64
	InputMessages int64
	FailReason    string
}

// DefaultPipeline reads the solar sample, keeps readings above 5 watts and
// merges them into a collection: $source → $match → $merge.
func DefaultPipeline() []json.RawMessage {
	return []json.RawMessage{
		json.RawMessage(`{"$source":{"connectionName":"sample_stream_solar"}}`),
		json.RawMessage(`{"$match":{"obs.watts":{"$gt":5}}}`),
		json.RawMessage(`{"$merge":{"into":{"connectionName":"cluster0","db":"solar","coll":"readings"}}}`),
	}
}

// Connection is a connection to seed with [Atlas.AddConnection]. Type is
// one of the spec's types (Kafka, Cluster, Sample, Https, …).
type Connection struct {
	Name, Type string
	State      string // PENDING, READY (default), DELETING or FAILED
	// Kafka.
	BootstrapServers string
	SecurityProtocol string
	Authentication   *KafkaAuthentication
	// Cluster; ClusterGroupID only when the cluster is in another project.
	ClusterName    string
	ClusterGroupID string
}

// KafkaAuthentication is a Kafka connection's credentials. The simulator
// keeps Password but never answers it.
type KafkaAuthentication struct {
	Mechanism, Username, Password string
}

// SeedConnections adds the three connections the demo and tests use: the
// solar sample, a Cluster connection "cluster0" to Cluster0, and a Kafka
// connection "events" with SASL credentials that must never be shown.
func (a *Atlas) SeedConnections(groupID, workspace string) error {
	return errors.Join(
		a.AddConnection(groupID, workspace, Connection{Name: "sample_stream_solar", Type: atlas.ConnectionSample}),
		a.AddConnection(groupID, workspace, Connection{Name: "cluster0", Type: atlas.ConnectionCluster, ClusterName: "Cluster0"}),
		a.AddConnection(groupID, workspace, Connection{Name: "events", Type: atlas.ConnectionKafka,
			BootstrapServers: "broker-1.example.com:9092,broker-2.example.com:9092", SecurityProtocol: "SASL_SSL",
			Authentication: &KafkaAuthentication{Mechanism: "SCRAM-512", Username: "streambot-demo", Password: "kafka-Pa55-never-shown"}}),
	)
}

// processor is a stored processor.
type processor struct {
	id, name   string
	state      atlas.ProcessorState
	tier       atlas.Tier
	pipeline   []json.RawMessage
	dlq        *atlas.DLQ
	rate       int64
	in         int64
	failReason string
	changed    time.Time // last state change
	tick       time.Time // when in was last advanced
}

// streamSet holds one workspace's processors and connections.
type streamSet struct {
	workspaceID string // of the workspace they were seen with; "" until then
	processors  []*processor
	connections []Connection
}

type setKey struct{ groupID, workspace string }

// setLocked returns the processors and connections of a workspace, creating
// the set when create is true. With a live workspace ws, a set seen with
// another workspace of the same name is replaced by an empty one.
func (a *Atlas) setLocked(groupID, workspace string, ws *workspace, create bool) *streamSet {
	if a.streams == nil {
		a.streams = map[setKey]*streamSet{}
	}
	k := setKey{groupID, workspace}
	s := a.streams[k]
	if s != nil && ws == nil && s.workspaceID != "" {
		s = nil // the workspace they were seen with is gone
		delete(a.streams, k)
	}
	if s != nil && ws != nil {
		switch s.workspaceID {
		case "":
			s.workspaceID = ws.ws.ID
		case ws.ws.ID:
		default:
			s = nil // a new workspace of that name: the old one's are gone
			delete(a.streams, k)
		}
	}
	if s == nil && create {
		s = &streamSet{}
		if ws != nil {
			s.workspaceID = ws.ws.ID
		}
		a.streams[k] = s
	}
	return s
}

// AddProcessor adds a processor to a workspace of a project (the project is
// created if needed). The workspace need not exist yet; see the notes at
// the top of this file. A duplicate or empty name, or a pipeline stage the
// spec would not let Atlas answer, is an error.
func (a *Atlas) AddProcessor(groupID, workspace string, p Processor) error {
	if p.Name == "" {
		return errors.New("atlastest: AddProcessor: a name is required")
	}
	for i, st := range p.Pipeline {
		var stage map[string]map[string]any
		if err := json.Unmarshal(st, &stage); err != nil || len(stage) != 1 {
			return fmt.Errorf("atlastest: AddProcessor: stage %d is not a one-key document whose value is an object, as the spec requires: %s", i, st)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.projectLocked(groupID)
	s := a.setLocked(groupID, workspace, a.findLocked(groupID, workspace), true)
	if slices.ContainsFunc(s.processors, func(q *processor) bool { return q.name == p.Name }) {
		return fmt.Errorf("atlastest: AddProcessor: %s already has a processor %q", workspace, p.Name)
	}
	s.processors = append(s.processors, a.newProcessor(p))
	return nil
}

// newProcessor is the stored form of a seeded processor.
func (a *Atlas) newProcessor(p Processor) *processor {
	now := a.now().UTC()
	st := &processor{id: newID(), name: p.Name, state: p.State, tier: p.Tier, pipeline: p.Pipeline, dlq: p.DLQ,
		rate: p.Rate, in: p.InputMessages, failReason: p.FailReason, changed: now, tick: now}
	if st.state == "" {
		st.state = atlas.ProcessorCreated
	}
	if st.pipeline == nil {
		st.pipeline = DefaultPipeline()
	}
	if st.rate <= 0 {
		st.rate = DefaultRate
	}
	return st
}

// addSampleProcessorsLocked adds WithSampleProcessors' two processors to a
// new workspace, unless it already has processors of those names.
func (a *Atlas) addSampleProcessorsLocked(groupID string, ws *workspace) {
	s := a.setLocked(groupID, ws.ws.Name, ws, true)
	for _, p := range []Processor{
		{Name: "solarDemo", State: atlas.ProcessorStarted},
		{Name: "solarAlerts", State: atlas.ProcessorStopped,
			DLQ: &atlas.DLQ{ConnectionName: "sample_stream_solar", DB: "solar", Coll: "dlq"}},
	} {
		if !slices.ContainsFunc(s.processors, func(q *processor) bool { return q.name == p.Name }) {
			s.processors = append(s.processors, a.newProcessor(p))
		}
	}
}

// AddConnection adds a connection to a workspace's registry (see
// AddProcessor for workspaces that do not exist yet). A duplicate or empty
// name is an error.
func (a *Atlas) AddConnection(groupID, workspace string, c Connection) error {
	if c.Name == "" || c.Type == "" {
		return errors.New("atlastest: AddConnection: a name and a type are required")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.projectLocked(groupID)
	s := a.setLocked(groupID, workspace, a.findLocked(groupID, workspace), true)
	if slices.ContainsFunc(s.connections, func(x Connection) bool { return x.Name == c.Name }) {
		return fmt.Errorf("atlastest: AddConnection: %s already has a connection %q", workspace, c.Name)
	}
	if c.Authentication != nil {
		auth := *c.Authentication
		c.Authentication = &auth
	}
	s.connections = append(s.connections, c)
	return nil
}

// FailProcessor is the fault hook for a processor failure: it puts the
// processor in FAILED with reason in its stats (errorMsg), as a pipeline
// error would. It reports false for an unknown processor.
func (a *Atlas) FailProcessor(groupID, workspace, name, reason string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.processorLocked(groupID, workspace, name)
	if p == nil {
		return false
	}
	a.advanceLocked(p)
	p.state, p.failReason, p.changed = atlas.ProcessorFailed, reason, a.now().UTC()
	return true
}

// ProcessorState returns a processor's state as stored, and false for an
// unknown processor.
func (a *Atlas) ProcessorState(groupID, workspace, name string) (atlas.ProcessorState, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p := a.processorLocked(groupID, workspace, name); p != nil {
		return p.state, true
	}
	return "", false
}

// DropProcessors forgets the processors and connections of a workspace, as
// Atlas does when the workspace is deleted. Deleting a workspace through
// the API makes them unreachable already (and a new workspace of that name
// starts empty); programs that remove workspaces otherwise call this.
func (a *Atlas) DropProcessors(groupID, workspace string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.streams, setKey{groupID, workspace})
}

// processorLocked finds a seeded processor, whether or not its workspace
// exists yet.
func (a *Atlas) processorLocked(groupID, workspace, name string) *processor {
	s := a.setLocked(groupID, workspace, a.findLocked(groupID, workspace), false)
	if s == nil {
		return nil
	}
	for _, p := range s.processors {
		if p.name == name {
			return p
		}
	}
	return nil
}

// advanceLocked counts the messages a started processor read since its
// last tick, plus one second's worth per read.
func (a *Atlas) advanceLocked(p *processor) {
	now := a.now().UTC()
	if p.state == atlas.ProcessorStarted {
		if d := now.Sub(p.tick); d > 0 {
			p.in += int64(d.Seconds() * float64(p.rate))
		}
		p.in += p.rate
	}
	p.tick = now
}

// wire is how Atlas shows a stored processor (StreamsProcessorWithStats).
func (a *Atlas) wire(r *http.Request, groupID, workspace string, ws *workspace, p *processor) map[string]any {
	a.advanceLocked(p)
	in := p.in
	out, dlq := in-in/10-in/50, in/50
	status := map[atlas.ProcessorState]string{atlas.ProcessorStarted: "running", atlas.ProcessorStopped: "stopped",
		atlas.ProcessorFailed: "error", atlas.ProcessorCreated: "created"}[p.state]
	stats := map[string]any{
		"name": p.name, "processorId": p.id, "status": status, "scaleFactor": 1,
		"inputMessageCount": in, "inputMessageSize": in * 212,
		"outputMessageCount": out, "outputMessageSize": out * 180,
		"dlqMessageCount": dlq, "dlqMessageSize": dlq * 212,
		"stateSize": 4504, "lastStateChange": p.changed.Format(time.RFC3339),
		"operatorStats": []map[string]any{
			{"name": "SourceOperator", "inputMessageCount": in, "timeSpentMillis": in / 4},
			{"name": "MergeOperator", "outputMessageCount": out, "timeSpentMillis": in / 3},
		},
	}
	if p.state == atlas.ProcessorStarted {
		stats["watermark"] = a.now().UTC().Add(-2 * time.Second).Format(time.RFC3339)
	}
	if p.state == atlas.ProcessorFailed && p.failReason != "" {
		stats["errorMsg"] = p.failReason
	}
	self := origin(r) + "/api/atlas/v2/groups/" + groupID + "/streams/" + url.PathEscape(workspace) + "/processor/" + url.PathEscape(p.name)
	links := []atlas.Link{{Href: self, Rel: "self"}}
	out2 := map[string]any{
		"_id": p.id, "name": p.name, "state": p.state, "pipeline": p.pipeline, "stats": stats,
		"links": links, "failoverEnabled": false, "eligibleForFailover": false,
	}
	tier := p.tier
	if tier == "" && ws.ws.StreamConfig != nil {
		tier = ws.ws.StreamConfig.Tier
	}
	if tier != "" {
		out2["tier"] = tier
	}
	if p.dlq != nil {
		d := *p.dlq
		d.Links = links
		out2["options"] = atlas.ProcessorOptions{DLQ: &d, Links: links}
	}
	return out2
}

// withSet runs f on a workspace's processors and connections under the
// lock, with withWorkspace's answers for an unknown project or workspace.
func (a *Atlas) withSet(w http.ResponseWriter, c *call, f func(ws *workspace, s *streamSet) (int, any)) {
	a.withWorkspace(w, c, func(ws *workspace) (int, any) {
		return f(ws, a.setLocked(c.params["groupId"], c.params["tenantName"], ws, true))
	})
}

// serveStreamsOp serves the processor and connection operations, and
// reports false for any other operation.
func (a *Atlas) serveStreamsOp(w http.ResponseWriter, c *call) bool {
	switch c.op {
	case OpListProcessors:
		a.listProcessors(w, c)
	case OpGetProcessor:
		a.withProcessor(w, c, func(ws *workspace, p *processor) (int, any) {
			return http.StatusOK, a.wire(c.r, c.params["groupId"], c.params["tenantName"], ws, p)
		})
	case OpStartProcessor, OpStartProcessorWith:
		a.startProcessor(w, c)
	case OpStopProcessor:
		a.stopProcessor(w, c)
	case OpListConnections:
		a.listConnections(w, c)
	default:
		return false
	}
	return true
}

func (a *Atlas) listProcessors(w http.ResponseWriter, c *call) {
	a.withSet(w, c, func(ws *workspace, s *streamSet) (int, any) {
		all := make([]map[string]any, 0, len(s.processors))
		for _, p := range s.processors {
			all = append(all, a.wire(c.r, c.params["groupId"], c.params["tenantName"], ws, p))
		}
		return http.StatusOK, paginate(c.r, all)
	})
}

// withProcessor is withSet for one processor, answering 404 for an unknown
// one.
func (a *Atlas) withProcessor(w http.ResponseWriter, c *call, f func(*workspace, *processor) (int, any)) {
	name := c.params["processorName"]
	missing := false
	a.withSet(w, c, func(ws *workspace, s *streamSet) (int, any) {
		for _, p := range s.processors {
			if p.name == name {
				return f(ws, p)
			}
		}
		missing = true
		return 0, nil
	})
	if missing {
		a.fail(w, c.r, http.StatusNotFound, CodeProcessorNotFound,
			fmt.Sprintf("Stream processor %s not found in workspace %s.", name, c.params["tenantName"]), nil)
	}
}

// startProcessor is :start and :startWith.
func (a *Atlas) startProcessor(w http.ResponseWriter, c *call) {
	var opts struct {
		Tier atlas.Tier `json:"tier"`
	}
	if len(c.body) > 0 {
		if err := json.Unmarshal(c.body, &opts); err != nil {
			a.badRequest(w, c.r, err)
			return
		}
	}
	var conflict, invalid string
	a.withProcessor(w, c, func(ws *workspace, p *processor) (int, any) {
		if p.state == atlas.ProcessorStarted {
			conflict = fmt.Sprintf("Stream processor %s is already started.", p.name)
			return 0, nil
		}
		if opts.Tier != "" && ws.ws.StreamConfig != nil && ws.ws.StreamConfig.MaxTierSize != "" &&
			opts.Tier.Rank() > ws.ws.StreamConfig.MaxTierSize.Rank() {
			invalid = fmt.Sprintf("the tier %s is above the workspace's max tier %s", opts.Tier, ws.ws.StreamConfig.MaxTierSize)
			return 0, nil
		}
		a.advanceLocked(p)
		p.state, p.tier, p.failReason, p.changed = atlas.ProcessorStarted, opts.Tier, "", a.now().UTC()
		return http.StatusOK, map[string]any{}
	})
	switch {
	case conflict != "":
		a.fail(w, c.r, http.StatusConflict, CodeProcessorAlreadyStarted, conflict, nil)
	case invalid != "":
		a.fail(w, c.r, http.StatusBadRequest, CodeValidationError, "Invalid request: tier: "+invalid+".",
			[]fieldViolation{{Field: "tier", Description: invalid}})
	}
}

// stopProcessor is :stop.
func (a *Atlas) stopProcessor(w http.ResponseWriter, c *call) {
	var conflict string
	a.withProcessor(w, c, func(_ *workspace, p *processor) (int, any) {
		if p.state != atlas.ProcessorStarted && p.state != atlas.ProcessorFailed {
			conflict = fmt.Sprintf("Stream processor %s is not started (state %s).", p.name, p.state)
			return 0, nil
		}
		a.advanceLocked(p)
		p.state, p.tier, p.changed = atlas.ProcessorStopped, "", a.now().UTC()
		return http.StatusOK, map[string]any{}
	})
	if conflict != "" {
		a.fail(w, c.r, http.StatusConflict, CodeProcessorNotStarted, conflict, nil)
	}
}

// listConnections is GET …/connections: the workspace's sample connections,
// then the added ones.
func (a *Atlas) listConnections(w http.ResponseWriter, c *call) {
	a.withSet(w, c, func(ws *workspace, s *streamSet) (int, any) {
		self := origin(c.r) + "/api/atlas/v2/groups/" + c.params["groupId"] + "/streams/" + url.PathEscape(c.params["tenantName"]) + "/connections/"
		all := make([]map[string]any, 0, len(ws.ws.Connections)+len(s.connections))
		seen := map[string]bool{}
		for _, wc := range ws.ws.Connections {
			seen[wc.Name] = true
			all = append(all, wireConnection(Connection{Name: wc.Name, Type: wc.Type}, self))
		}
		for _, sc := range s.connections {
			if !seen[sc.Name] {
				all = append(all, wireConnection(sc, self))
			}
		}
		return http.StatusOK, paginate(c.r, all)
	})
}

// wireConnection is how Atlas shows a connection: write-only fields left
// out.
func wireConnection(c Connection, self string) map[string]any {
	links := []atlas.Link{{Href: self + url.PathEscape(c.Name), Rel: "self"}}
	state := c.State
	if state == "" {
		state = "READY"
	}
	out := map[string]any{"name": c.Name, "type": c.Type, "state": state, "links": links}
	switch c.Type {
	case atlas.ConnectionKafka:
		if c.BootstrapServers != "" {
			out["bootstrapServers"] = c.BootstrapServers
		}
		if c.SecurityProtocol != "" {
			out["security"] = map[string]any{"protocol": c.SecurityProtocol, "links": links}
		}
		if c.Authentication != nil {
			// Never the password: it is write-only.
			out["authentication"] = map[string]any{"mechanism": c.Authentication.Mechanism,
				"username": c.Authentication.Username, "links": links}
		}
		out["networking"] = map[string]any{"access": map[string]any{"type": "PUBLIC", "links": links}, "links": links}
	case atlas.ConnectionCluster:
		out["clusterName"] = c.ClusterName
		if c.ClusterGroupID != "" {
			out["clusterGroupId"] = c.ClusterGroupID
		}
		out["dbRoleToExecute"] = map[string]any{"role": "atlasAdmin", "type": "BUILT_IN", "links": links}
	}
	return out
}
