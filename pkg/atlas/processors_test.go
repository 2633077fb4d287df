package atlas

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	testWorkspace = "orders-ws"
	procV         = "application/vnd.atlas.2024-05-30+json"
	startWithV    = "application/vnd.atlas.2025-03-12+json"
	connV         = "application/vnd.atlas.2023-02-01+json"
	wsPath        = "/api/atlas/v2/groups/" + testGroupID + "/streams/" + testWorkspace
)

// solarProcessor is a processor as Atlas answers it, stats included.
const solarProcessor = `{"_id":"65f9fea5c5154385174af71e","name":"solarDemo","state":"STARTED","tier":"SP10",` +
	`"pipeline":[{"$source":{"connectionName":"sample_stream_solar"}},{"$match":{"obs.watts":{"$gt":5}}},` +
	`{"$merge":{"into":{"connectionName":"cluster0","db":"solar","coll":"readings"}}}],` +
	`"options":{"dlq":{"connectionName":"cluster0","db":"solar","coll":"dlq"}},` +
	`"stats":{"name":"solarDemo","status":"running","scaleFactor":1,"inputMessageCount":926,"inputMessageSize":410310,` +
	`"outputMessageCount":383,"dlqMessageCount":2,"lastStateChange":"2026-03-12T08:59:00Z","operatorStats":[{"name":"SourceOperator"}]}}`

// processorList answers n processors named p0… on one page.
func processorList(n int, next bool) string {
	var b strings.Builder
	b.WriteString(`{"results":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"_id":"65f9fea5c5154385174af71e","name":"p%d","state":"CREATED","pipeline":[]}`, i)
	}
	b.WriteString(`]`)
	if next {
		b.WriteString(`,"links":[{"rel":"self","href":"x"},{"rel":"next","href":"y"}]`)
	}
	return b.String() + "}"
}

// The processor and connection calls send their operation's own version,
// whatever the client-wide version says.
func TestProcessorCalls_versions(t *testing.T) {
	for _, clientVersion := range []string{"", "2023-02-01", "2026-01-01"} {
		t.Run("client version "+clientVersion, func(t *testing.T) {
			var opts []Option
			if clientVersion != "" {
				opts = append(opts, WithAPIVersion(clientVersion))
			}
			c, mux, _ := setup(t, opts...)
			seen := map[string]string{} // "METHOD path" -> Accept (+ Content-Type)
			record := func(w http.ResponseWriter, r *http.Request, body string) {
				seen[r.Method+" "+r.URL.EscapedPath()] = r.Header.Get("Accept") + " " + r.Header.Get("Content-Type")
				writeJSON(w, r, http.StatusOK, body)
			}
			mux.HandleFunc("GET "+wsPath+"/processors", func(w http.ResponseWriter, r *http.Request) { record(w, r, processorList(1, false)) })
			mux.HandleFunc("GET "+wsPath+"/processor/{name}", func(w http.ResponseWriter, r *http.Request) { record(w, r, solarProcessor) })
			mux.HandleFunc("POST "+wsPath+"/processor/{verb}", func(w http.ResponseWriter, r *http.Request) { record(w, r, "") })
			mux.HandleFunc("GET "+wsPath+"/connections", func(w http.ResponseWriter, r *http.Request) { record(w, r, `{"results":[]}`) })

			ctx := context.Background()
			if _, err := c.ListStreamProcessors(ctx, testGroupID, testWorkspace, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := c.GetStreamProcessor(ctx, testGroupID, testWorkspace, "solarDemo"); err != nil {
				t.Fatal(err)
			}
			if err := c.StartStreamProcessor(ctx, testGroupID, testWorkspace, "solarDemo"); err != nil {
				t.Fatal(err)
			}
			if err := c.StartStreamProcessorWith(ctx, testGroupID, testWorkspace, "solarDemo", &StartOptions{Tier: TierSP30}); err != nil {
				t.Fatal(err)
			}
			if err := c.StopStreamProcessor(ctx, testGroupID, testWorkspace, "solarDemo"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.ListStreamConnections(ctx, testGroupID, testWorkspace, nil); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{
				"GET " + wsPath + "/processors":                     procV + " ",
				"GET " + wsPath + "/processor/solarDemo":            procV + " ",
				"POST " + wsPath + "/processor/solarDemo:start":     procV + " ",
				"POST " + wsPath + "/processor/solarDemo:startWith": startWithV + " " + startWithV,
				"POST " + wsPath + "/processor/solarDemo:stop":      procV + " ",
				"GET " + wsPath + "/connections":                    connV + " ",
			}
			if diff := cmp.Diff(want, seen); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGetStreamProcessor(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("GET "+wsPath+"/processor/{name}", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, url.Values{"pretty": {"true"}})
		writeJSON(w, r, http.StatusOK, solarProcessor)
	})
	got, err := c.GetStreamProcessor(context.Background(), testGroupID, testWorkspace, "solarDemo", WithPretty())
	if err != nil {
		t.Fatalf("GetStreamProcessor: %v", err)
	}
	if got.Name != "solarDemo" || got.State != ProcessorStarted || got.Tier != TierSP10 || got.ID != "65f9fea5c5154385174af71e" {
		t.Errorf("GetStreamProcessor = %+v, want solarDemo STARTED on SP10", got)
	}
	if diff := cmp.Diff([]string{"$source", "$match", "$merge"}, got.Stages()); diff != "" {
		t.Errorf("Stages() (-want +got):\n%s", diff)
	}
	if want := (&DLQ{ConnectionName: "cluster0", DB: "solar", Coll: "dlq"}); got.Options == nil || !cmp.Equal(want, got.Options.DLQ) {
		t.Errorf("Options = %+v, want DLQ %+v", got.Options, want)
	}
	for _, tc := range []struct {
		name string
		get  func() (int64, bool)
		want int64
	}{
		{"input", got.Stats.InputMessageCount, 926},
		{"output", got.Stats.OutputMessageCount, 383},
		{"dlq", got.Stats.DLQMessageCount, 2},
	} {
		if n, ok := tc.get(); !ok || n != tc.want {
			t.Errorf("%s count = %d, %v, want %d", tc.name, n, ok, tc.want)
		}
	}
	if at, ok := got.Stats.LastStateChange(); !ok || !at.Equal(time.Date(2026, 3, 12, 8, 59, 0, 0, time.UTC)) {
		t.Errorf("LastStateChange() = %v, %v, want 2026-03-12T08:59:00Z", at, ok)
	}
	// The processor encodes back with its stats as they came.
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"operatorStats":[{"name":"SourceOperator"}]`) {
		t.Errorf("json.Marshal = %s, want the stats kept verbatim", b)
	}
}

func TestStartStopProcessor_paths(t *testing.T) {
	c, mux, _ := setup(t)
	var got []string
	mux.HandleFunc("POST "+wsPath+"/processor/{verb}", func(w http.ResponseWriter, r *http.Request) {
		body := ""
		if r.Header.Get("Content-Type") != "" {
			body = string(testJSONBody(t, r, `{"tier":"SP50","resumeFromCheckpoint":false}`))
		}
		got = append(got, r.URL.EscapedPath()+" "+body)
		writeJSON(w, r, http.StatusOK, "")
	})
	ctx := context.Background()
	for _, err := range []error{
		c.StartStreamProcessor(ctx, testGroupID, testWorkspace, "a.b_c-1"),
		c.StopStreamProcessor(ctx, testGroupID, testWorkspace, "a.b_c-1"),
		c.StartStreamProcessorWith(ctx, testGroupID, testWorkspace, "a.b_c-1", &StartOptions{Tier: TierSP50, ResumeFromCheckpoint: Ptr(false)}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		wsPath + "/processor/a.b_c-1:start ",
		wsPath + "/processor/a.b_c-1:stop ",
		wsPath + `/processor/a.b_c-1:startWith {"tier":"SP50","resumeFromCheckpoint":false}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// Bad input is refused before any request: nothing reaches the server.
func TestProcessorCalls_validation(t *testing.T) {
	c, _, ts := setup(t)
	ctx := context.Background()
	tests := []struct {
		name      string
		call      func() error
		wantField string
	}{
		{"space in processor", func() error { return c.StartStreamProcessor(ctx, testGroupID, testWorkspace, "my proc") }, "processorName"},
		{"unicode processor", func() error {
			_, err := c.GetStreamProcessor(ctx, testGroupID, testWorkspace, "프로세서")
			return err
		}, "processorName"},
		{"colon in processor", func() error { return c.StopStreamProcessor(ctx, testGroupID, testWorkspace, "p:stop") }, "processorName"},
		{"slash in processor", func() error { return c.StopStreamProcessor(ctx, testGroupID, testWorkspace, "a/b") }, "processorName"},
		{"dot-dot processor", func() error { _, err := c.GetStreamProcessor(ctx, testGroupID, testWorkspace, ".."); return err }, "processorName"},
		{"empty processor", func() error { return c.StartStreamProcessor(ctx, testGroupID, testWorkspace, "") }, "processorName"},
		{"long processor", func() error {
			return c.StartStreamProcessor(ctx, testGroupID, testWorkspace, strings.Repeat("p", MaxProcessorNameLen+1))
		}, "processorName"},
		{"bad workspace", func() error { _, err := c.ListStreamProcessors(ctx, testGroupID, "my ws", nil); return err }, "name"},
		{"bad group", func() error { _, err := c.ListStreamConnections(ctx, "XYZ", testWorkspace, nil); return err }, "groupId"},
		{"bad page", func() error {
			_, err := c.ListStreamProcessors(ctx, testGroupID, testWorkspace, &ListOptions{ItemsPerPage: 501})
			return err
		}, "itemsPerPage"},
		{"unknown tier", func() error {
			return c.StartStreamProcessorWith(ctx, testGroupID, testWorkspace, "p1", &StartOptions{Tier: "SP7"})
		}, "tier"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) || ve.Field != tc.wantField {
				t.Errorf("error = %v, want a ValidationError for %s", err, tc.wantField)
			}
		})
	}
	if n := ts.apiCalls.Load(); n != 0 {
		t.Errorf("%d requests reached the server, want 0", n)
	}
	if err := ValidateProcessorName("solar.Demo_2-b"); err != nil {
		t.Errorf("ValidateProcessorName(solar.Demo_2-b) = %v, want nil", err)
	}
}

func TestProcessorCalls_errors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		body       string
		check      func(error) bool
	}{
		{"404 processor", 404, "", `{"error":404,"errorCode":"STREAM_PROCESSOR_NOT_FOUND","reason":"Not Found","detail":"no processor"}`,
			func(err error) bool {
				return errors.Is(err, ErrNotFound) && IsErrorCode(err, "STREAM_PROCESSOR_NOT_FOUND")
			}},
		{"409 conflict", 409, "", `{"error":409,"errorCode":"STREAM_PROCESSOR_ALREADY_STARTED","reason":"Conflict","detail":"started"}`,
			func(err error) bool { return IsStatus(err, 409) && !errors.Is(err, ErrNotFound) }},
		{"429 with Retry-After", 429, "7", `{"error":429,"errorCode":"RATE_LIMITED","reason":"Too Many Requests"}`,
			func(err error) bool {
				var ae *APIError
				return errors.As(err, &ae) && ae.StatusCode == 429 && ae.RetryAfter == 7*time.Second
			}},
		{"500", 500, "", `{"error":500,"errorCode":"UNEXPECTED_ERROR","reason":"Internal Server Error"}`,
			func(err error) bool { return IsErrorCode(err, "UNEXPECTED_ERROR") }},
		{"non-JSON 502", 502, "", `<html>Bad Gateway</html>`,
			func(err error) bool {
				var ae *APIError
				return errors.As(err, &ae) && ae.StatusCode == 502 && ae.Body == "<html>Bad Gateway</html>"
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, mux, ts := setup(t, WithMaxAttempts(1))
			ts.offSpec.Store(tc.status == 502) // a proxy's HTML is off-spec by nature
			mux.HandleFunc(wsPath+"/", func(w http.ResponseWriter, r *http.Request) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				writeError(w, tc.status, tc.body)
			})
			ctx := context.Background()
			for _, call := range []struct {
				name string
				err  error
			}{
				{"start", c.StartStreamProcessor(ctx, testGroupID, testWorkspace, "p1")},
				{"stop", c.StopStreamProcessor(ctx, testGroupID, testWorkspace, "p1")},
				{"startWith", c.StartStreamProcessorWith(ctx, testGroupID, testWorkspace, "p1", nil)},
				{"get", func() error { _, err := c.GetStreamProcessor(ctx, testGroupID, testWorkspace, "p1"); return err }()},
				{"all processors", func() error { _, err := c.AllStreamProcessors(ctx, testGroupID, testWorkspace); return err }()},
				{"all connections", func() error { _, err := c.AllStreamConnections(ctx, testGroupID, testWorkspace); return err }()},
			} {
				if !tc.check(call.err) {
					t.Errorf("%s: error = %v (%T), want %s", call.name, call.err, call.err, tc.name)
				}
			}
		})
	}
}

func TestAllStreamProcessors_pages(t *testing.T) {
	c, mux, _ := setup(t)
	var pages []string
	mux.HandleFunc("GET "+wsPath+"/processors", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		pages = append(pages, q.Get("pageNum")+"/"+q.Get("itemsPerPage"))
		n := MaxItemsPerPage
		if q.Get("pageNum") == "3" {
			n = 7
		}
		writeJSON(w, r, http.StatusOK, processorList(n, true))
	})
	all, err := c.AllStreamProcessors(context.Background(), testGroupID, testWorkspace)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2*MaxItemsPerPage+7 {
		t.Errorf("AllStreamProcessors returned %d, want %d", len(all), 2*MaxItemsPerPage+7)
	}
	if diff := cmp.Diff([]string{"1/500", "2/500", "3/500"}, pages); diff != "" {
		t.Errorf("pages asked (-want +got):\n%s", diff)
	}
}

func TestAllStreamConnections_stopsWithoutNext(t *testing.T) {
	c, mux, _ := setup(t)
	calls := 0
	mux.HandleFunc("GET "+wsPath+"/connections", func(w http.ResponseWriter, r *http.Request) {
		calls++
		testQuery(t, r, url.Values{"pageNum": {strconv.Itoa(calls)}, "itemsPerPage": {"500"}})
		var b strings.Builder
		b.WriteString(`{"links":[{"rel":"self","href":"x"}],"results":[`)
		for i := range MaxItemsPerPage {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"name":"c%d","type":"Sample"}`, i)
		}
		writeJSON(w, r, http.StatusOK, b.String()+`]}`)
	})
	all, err := c.AllStreamConnections(context.Background(), testGroupID, testWorkspace)
	if err != nil || len(all) != MaxItemsPerPage || calls != 1 {
		t.Errorf("AllStreamConnections = %d connections, %v after %d calls, want %d after 1 (a full page without next is the last)",
			len(all), err, calls, MaxItemsPerPage)
	}
}

func TestAllStreamProcessors_bounded(t *testing.T) {
	defer func(n int) { maxStreamPages = n }(maxStreamPages)
	maxStreamPages = 3
	c, mux, _ := setup(t)
	calls := 0
	mux.HandleFunc("GET "+wsPath+"/processors", func(w http.ResponseWriter, r *http.Request) {
		calls++
		writeJSON(w, r, http.StatusOK, processorList(MaxItemsPerPage, true))
	})
	if _, err := c.AllStreamProcessors(context.Background(), testGroupID, testWorkspace); err == nil || calls != 3 {
		t.Errorf("AllStreamProcessors on an endless list = %v after %d calls, want an error after 3", err, calls)
	}
}

func TestListStreamConnections_types(t *testing.T) {
	c, mux, _ := setup(t)
	const secret = "kafka-user-Sup3rS3cret"
	mux.HandleFunc("GET "+wsPath+"/connections", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, url.Values{"pageNum": {"2"}, "itemsPerPage": {"3"}}) // includeCount is not declared here
		writeJSON(w, r, http.StatusOK, `{"totalCount":6,"results":[`+
			`{"name":"sample_stream_solar","type":"Sample","state":"READY"},`+
			`{"name":"cluster0","type":"Cluster","clusterName":"Cluster0","clusterGroupId":"5f1a2b3c4d5e6f7a8b9c0d1e","dbRoleToExecute":{"role":"atlasAdmin","type":"BUILT_IN"}},`+
			`{"name":"events","type":"Kafka","bootstrapServers":"b1:9092,b2:9092","security":{"protocol":"SASL_SSL","brokerPublicCertificate":"CERT"},`+
			`"authentication":{"mechanism":"PLAIN","username":"`+secret+`"},"config":{"sasl.jaas.config":"`+secret+`"}}]}`)
	})
	page, err := c.ListStreamConnections(context.Background(), testGroupID, testWorkspace, &ListOptions{PageNum: 2, ItemsPerPage: 3, IncludeCount: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []StreamConnection{
		{Name: "sample_stream_solar", Type: ConnectionSample, State: "READY"},
		{Name: "cluster0", Type: ConnectionCluster, ClusterName: "Cluster0", ClusterGroupID: "5f1a2b3c4d5e6f7a8b9c0d1e"},
		{Name: "events", Type: ConnectionKafka, BootstrapServers: "b1:9092,b2:9092", Security: &KafkaSecurity{Protocol: "SASL_SSL"}},
	}
	if diff := cmp.Diff(want, page.Results); diff != "" || page.TotalCount != 6 {
		t.Errorf("ListStreamConnections (-want +got):\n%s (totalCount %d)", diff, page.TotalCount)
	}
	b, _ := json.Marshal(page)
	if s := string(b); strings.Contains(s, secret) || strings.Contains(s, "authentication") || strings.Contains(s, "CERT") {
		t.Errorf("a decoded connection kept authentication or config: %s", s)
	}
}

func TestProcessorStats(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		wantIn    int64
		wantInOK  bool
		wantAt    time.Time
		wantAtOK  bool
		wantScals []StatField
	}{
		{name: "numbers", raw: `{"inputMessageCount":926,"lastStateChange":"2026-03-12T09:00:00.5Z","status":"running","ok":true,"watermark":null}`,
			wantIn: 926, wantInOK: true, wantAt: time.Date(2026, 3, 12, 9, 0, 0, 5e8, time.UTC), wantAtOK: true,
			wantScals: []StatField{{"inputMessageCount", "926"}, {"lastStateChange", "2026-03-12T09:00:00.5Z"}, {"ok", "true"}, {"status", "running"}}},
		{name: "extended JSON", raw: `{"inputMessageCount":{"$numberLong":"9007199254740993"},"stateChangedAt":{"$date":{"$numberLong":"1773306000000"}}}`,
			wantIn: 9007199254740993, wantInOK: true, wantAt: time.UnixMilli(1773306000000).UTC(), wantAtOK: true, wantScals: []StatField{}},
		{name: "numeric string and millis", raw: `{"inputMessageCount":" 12 ","lastStateChange":1773306000000}`,
			wantIn: 12, wantInOK: true, wantAt: time.UnixMilli(1773306000000).UTC(), wantAtOK: true,
			wantScals: []StatField{{"inputMessageCount", " 12 "}, {"lastStateChange", "1773306000000"}}},
		{name: "float truncated", raw: `{"inputMessageCount":1.9e3}`, wantIn: 1900, wantInOK: true, wantScals: []StatField{{"inputMessageCount", "1.9e3"}}},
		{name: "too big", raw: `{"inputMessageCount":1e300,"lastStateChange":"yesterday"}`,
			wantScals: []StatField{{"inputMessageCount", "1e300"}, {"lastStateChange", "yesterday"}}},
		{name: "wrong shapes", raw: `{"inputMessageCount":[1],"lastStateChange":{"at":1}}`, wantScals: []StatField{}},
		{name: "array", raw: `[1,2]`, wantScals: []StatField{}},
		{name: "string", raw: `"n/a"`, wantScals: []StatField{}},
		{name: "not JSON", raw: `{"inputMessageCount":`, wantScals: []StatField{}},
		{name: "empty", raw: ``, wantScals: []StatField{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewProcessorStats([]byte(tc.raw))
			if n, ok := s.InputMessageCount(); n != tc.wantIn || ok != tc.wantInOK {
				t.Errorf("InputMessageCount() = %d, %v, want %d, %v", n, ok, tc.wantIn, tc.wantInOK)
			}
			if at, ok := s.LastStateChange(); !at.Equal(tc.wantAt) || ok != tc.wantAtOK {
				t.Errorf("LastStateChange() = %v, %v, want %v, %v", at, ok, tc.wantAt, tc.wantAtOK)
			}
			if diff := cmp.Diff(tc.wantScals, s.Scalars()); diff != "" {
				t.Errorf("Scalars() (-want +got):\n%s", diff)
			}
			// A processor with these stats decodes, whatever their shape.
			if tc.raw != "" && json.Valid([]byte(tc.raw)) {
				var p StreamProcessor
				if err := json.Unmarshal([]byte(`{"name":"p","stats":`+tc.raw+`}`), &p); err != nil {
					t.Errorf("decode a processor with stats %s: %v", tc.raw, err)
				}
			}
		})
	}
}

// Processors compare with cmp.Diff, stats included, although the stats
// hold unexported state.
func TestProcessorStats_cmp(t *testing.T) {
	a := StreamProcessor{Name: "p", Stats: NewProcessorStats([]byte(`{"inputMessageCount":1}`))}
	b := StreamProcessor{Name: "p", Stats: NewProcessorStats([]byte(`{"inputMessageCount":1}`))}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("equal processors differ:\n%s", diff)
	}
	b.Stats = NewProcessorStats([]byte(`{"inputMessageCount":2}`))
	if cmp.Equal(a, b) {
		t.Error("processors with other stats compare equal")
	}
}

func TestStages_oddShapes(t *testing.T) {
	p := StreamProcessor{Pipeline: []json.RawMessage{
		json.RawMessage(`{"$source":{}}`), json.RawMessage(`[]`), json.RawMessage(`{}`), json.RawMessage(`"$match"`),
	}}
	if diff := cmp.Diff([]string{"$source", "?", "?", "?"}, p.Stages()); diff != "" {
		t.Errorf("Stages() (-want +got):\n%s", diff)
	}
}

func FuzzProcessorStats(f *testing.F) {
	f.Add([]byte(`{"inputMessageCount":926,"lastStateChange":"2026-03-12T09:00:00Z"}`))
	f.Add([]byte(`{"inputMessageCount":{"$numberLong":"1"},"stateChangedAt":{"$date":"x"}}`))
	f.Add([]byte(`[{"a":1}]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s := NewProcessorStats(raw)
		s.InputMessageCount()
		s.LastStateChange()
		sc := s.Scalars()
		for i := 1; i < len(sc); i++ {
			if sc[i-1].Key >= sc[i].Key {
				t.Fatalf("Scalars() keys not sorted and unique: %q, %q", sc[i-1].Key, sc[i].Key)
			}
		}
		b, err := json.Marshal(StreamProcessor{Name: "p", Stats: s})
		if err != nil || !json.Valid(b) {
			t.Fatalf("json.Marshal with stats %q = %s, %v; want valid JSON", raw, b, err)
		}
	})
}

// PreviewStart and PreviewStop show exactly the request the calls send:
// method, path and body, compared with what the server received.
func TestPreviewStartStop(t *testing.T) {
	c, mux, _ := setup(t)
	var got []string
	mux.HandleFunc("POST "+wsPath+"/processor/{verb}", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got = append(got, r.Method+" "+r.URL.EscapedPath()+" "+string(body))
		writeJSON(w, r, http.StatusOK, "")
	})
	ctx := context.Background()
	tier := &StartOptions{Tier: TierSP10}
	if err := errors.Join(
		c.StartStreamProcessor(ctx, testGroupID, testWorkspace, "solar.Demo-1"),
		c.StartStreamProcessorWith(ctx, testGroupID, testWorkspace, "solar.Demo-1", tier),
		c.StopStreamProcessor(ctx, testGroupID, testWorkspace, "solar.Demo-1"),
	); err != nil {
		t.Fatal(err)
	}
	var want []string
	m, p, b, err := PreviewStart(testGroupID, testWorkspace, "solar.Demo-1", nil)
	want = append(want, m+" "+p+" "+string(b))
	m, p, b, err2 := PreviewStart(testGroupID, testWorkspace, "solar.Demo-1", tier)
	want = append(want, m+" "+p+" "+string(b))
	m, p, err3 := PreviewStop(testGroupID, testWorkspace, "solar.Demo-1")
	want = append(want, m+" "+p+" ")
	if err := errors.Join(err, err2, err3); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("previews differ from the requests sent (-preview +sent):\n%s", diff)
	}
	if !strings.HasSuffix(want[1], `:startWith {"tier":"SP10"}`) {
		t.Errorf("PreviewStart with a tier = %q, want :startWith with the tier", want[1])
	}
	for _, bad := range []func() error{
		func() error { _, _, _, err := PreviewStart(testGroupID, testWorkspace, "has space", nil); return err },
		func() error {
			_, _, _, err := PreviewStart(testGroupID, testWorkspace, "p", &StartOptions{Tier: "SP7"})
			return err
		},
		func() error { _, _, err := PreviewStop("nothex", testWorkspace, "p"); return err },
		func() error { _, _, err := PreviewStop(testGroupID, testWorkspace, "프로세서"); return err },
	} {
		if err := bad(); !errors.Is(err, ErrInvalid) {
			t.Errorf("preview of a bad request = %v, want ErrInvalid", err)
		}
	}
}
