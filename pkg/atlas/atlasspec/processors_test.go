package atlasspec

import (
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

const (
	wsURL     = streamsURL + "/orders-ws"
	v20240530 = "application/vnd.atlas.2024-05-30+json"
)

// TestProcessorOperations routes every processor and connection operation,
// custom methods (":start") included, and refuses look-alikes.
func TestProcessorOperations(t *testing.T) {
	s := mustLoad(t)
	tests := []struct {
		method, url string
		wantID      string // "" means no documented operation
		wantName    string // processorName, when the operation has one
	}{
		{"GET", wsURL + "/processors", "getGroupStreamProcessors", ""},
		{"GET", wsURL + "/processor/solar-1", "getGroupStreamProcessor", "solar-1"},
		{"POST", wsURL + "/processor/solar-1:start", "startGroupStreamProcessor", "solar-1"},
		{"POST", wsURL + "/processor/solar-1:startWith", "startGroupStreamProcessorWith", "solar-1"},
		{"POST", wsURL + "/processor/solar-1:stop", "stopGroupStreamProcessor", "solar-1"},
		{"POST", wsURL + "/processor/a%3Ab:stop", "stopGroupStreamProcessor", "a:b"}, // an escaped colon is part of the name
		{"GET", wsURL + "/connections", "listGroupStreamConnections", ""},
		{"GET", wsURL + "/connections/sample_stream_solar", "getGroupStreamConnection", ""},
		{"PATCH", wsURL, "updateGroupStreamWorkspace", ""},
		{"POST", wsURL + "/processor/solar-1:pause", "", ""},
		{"POST", wsURL + "/processor/solar-1/:start", "", ""}, // the routing form spelled out is not the verb
		{"POST", wsURL + "/processor/solar-1:", "", ""},
		{"GET", wsURL + "/processor/solar-1:start", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.url, func(t *testing.T) {
			op, err := s.Operation(newRequest(tc.method, tc.url, "", ""))
			if tc.wantID == "" {
				if err == nil {
					t.Fatalf("Operation() = %+v, want no documented operation", op)
				}
				return
			}
			if err != nil || op.ID != tc.wantID {
				t.Fatalf("Operation() = %+v, %v, want %s", op, err, tc.wantID)
			}
			if tc.wantName != "" && op.PathParams["processorName"] != tc.wantName {
				t.Errorf("processorName = %q, want %q", op.PathParams["processorName"], tc.wantName)
			}
		})
	}
}

// TestProcessorVersions: each operation answers only in its own resource
// version, and a date before it resolves to nothing.
func TestProcessorVersions(t *testing.T) {
	s := mustLoad(t)
	tests := []struct {
		name, method, url, accept, body string
		wantErr                         bool
	}{
		{name: "list processors", method: "GET", url: wsURL + "/processors?itemsPerPage=10&pageNum=2&includeCount=true", accept: v20240530},
		{name: "list processors with a later date", method: "GET", url: wsURL + "/processors", accept: v20250312},
		{name: "list processors with the workspace version", method: "GET", url: wsURL + "/processors", accept: v20230201, wantErr: true},
		{name: "get processor", method: "GET", url: wsURL + "/processor/p1", accept: v20240530},
		{name: "start", method: "POST", url: wsURL + "/processor/p1:start", accept: v20240530},
		{name: "stop", method: "POST", url: wsURL + "/processor/p1:stop", accept: v20240530},
		{name: "start with tier", method: "POST", url: wsURL + "/processor/p1:startWith", accept: v20250312, body: `{"tier":"SP10"}`},
		{name: "start with unknown tier", method: "POST", url: wsURL + "/processor/p1:startWith", accept: v20250312, body: `{"tier":"SP7"}`, wantErr: true},
		{name: "start with in the processor version", method: "POST", url: wsURL + "/processor/p1:startWith", accept: v20240530, body: `{"tier":"SP10"}`, wantErr: true},
		{name: "connections", method: "GET", url: wsURL + "/connections?itemsPerPage=500", accept: v20230201},
		{name: "connections 501 per page", method: "GET", url: wsURL + "/connections?itemsPerPage=501", accept: v20230201, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ct := ""
			if tc.body != "" {
				ct = tc.accept
			}
			err := s.ValidateRequest(newRequest(tc.method, tc.url, tc.accept, ct), []byte(tc.body))
			if (err != nil) != tc.wantErr {
				t.Errorf("ValidateRequest() = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestProcessorResponses(t *testing.T) {
	s := mustLoad(t)
	const proc = `{"_id":"65f9fea5c5154385174af71e","name":"solarDemo","state":"STARTED","tier":"SP10",` +
		`"pipeline":[{"$source":{"connectionName":"sample_stream_solar"}},{"$merge":{"into":{"connectionName":"c","db":"d","coll":"e"}}}],` +
		`"options":{"dlq":{"connectionName":"c","db":"d","coll":"dlq"}},` +
		`"stats":{"inputMessageCount":926,"outputMessageCount":383,"dlqMessageCount":0,"status":"running","watermark":"2024-03-19T22:20:59Z","operatorStats":[{"name":"SourceOperator"}]}}`
	tests := []struct {
		name, url, accept, ct, body string
		status                      int
		wantErr                     bool
	}{
		{name: "processor with numeric stats", url: wsURL + "/processor/solarDemo", accept: v20240530, ct: v20240530, body: proc, status: 200},
		{name: "processor list", url: wsURL + "/processors", accept: v20240530, ct: v20240530, body: `{"results":[` + proc + `],"totalCount":1}`, status: 200},
		{name: "processor without state", url: wsURL + "/processor/x", accept: v20240530, ct: v20240530, status: 200,
			body: `{"_id":"65f9fea5c5154385174af71e","name":"x","pipeline":[]}`, wantErr: true},
		{name: "stats not an object", url: wsURL + "/processor/x", accept: v20240530, ct: v20240530, status: 200,
			body: `{"_id":"65f9fea5c5154385174af71e","name":"x","pipeline":[],"state":"CREATED","stats":[1]}`, wantErr: true},
		{name: "kafka connection", url: wsURL + "/connections", accept: v20230201, ct: v20230201, status: 200,
			body: `{"results":[{"name":"k","type":"Kafka","bootstrapServers":"b:9092","security":{"protocol":"SASL_SSL"},` +
				`"authentication":{"mechanism":"PLAIN","username":"u"}},{"name":"sample_stream_solar","type":"Sample"}]}`},
		{name: "connection with a write-only password", url: wsURL + "/connections", accept: v20230201, ct: v20230201, status: 200,
			body: `{"results":[{"name":"k","type":"Kafka","authentication":{"mechanism":"PLAIN","username":"u","password":"p"}}]}`, wantErr: true},
		{name: "connection of an unknown type", url: wsURL + "/connections", accept: v20230201, ct: v20230201, status: 200,
			body: `{"results":[{"name":"k","type":"Carrier pigeon"}]}`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("Content-Type", tc.ct)
			err := s.ValidateResponse(newRequest("GET", tc.url, tc.accept, ""), tc.status, h, []byte(tc.body))
			if (err != nil) != tc.wantErr {
				t.Errorf("ValidateResponse() = %v, want error %v", err, tc.wantErr)
			}
		})
	}
	for _, verb := range []string{"start", "stop"} {
		h := http.Header{}
		h.Set("Content-Type", v20240530)
		if err := s.ValidateResponse(newRequest("POST", wsURL+"/processor/p:"+verb, v20240530, ""), 200, h, nil); err != nil {
			t.Errorf("ValidateResponse(%s 200, empty) = %v, want nil", verb, err)
		}
	}
}

// TestStatsQuirk shows why the stats correction exists: as published, a
// numeric stat such as inputMessageCount violates the schema.
func TestStatsQuirk(t *testing.T) {
	raw, err := openapi3.NewLoader().LoadFromData(processorsYAML)
	if err != nil {
		t.Fatal(err)
	}
	stats := map[string]any{"inputMessageCount": 926.0}
	published := raw.Components.Schemas["StreamsProcessorWithStats"].Value.Properties["stats"].Value
	if err := published.VisitJSON(stats, openapi3.VisitAsResponse()); err == nil {
		t.Error("published stats schema accepted a number; the correction may be obsolete")
	}
	corrected := mustLoad(t).docs[2].Components.Schemas["StreamsProcessorWithStats"].Value.Properties["stats"].Value
	if err := corrected.VisitJSON(stats, openapi3.VisitAsResponse()); err != nil {
		t.Errorf("corrected stats schema rejected %v: %v", stats, err)
	}
}
