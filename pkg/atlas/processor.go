package atlas

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ProcessorState is the state of a stream processor as Atlas reports it.
// The spec leaves it an open string; the common states are constants.
type ProcessorState string

// The states the spec names as common. Atlas may report others (streambot
// shows them as they are).
const (
	ProcessorCreated ProcessorState = "CREATED"
	ProcessorStarted ProcessorState = "STARTED"
	ProcessorStopped ProcessorState = "STOPPED"
	ProcessorFailed  ProcessorState = "FAILED"
)

// StreamProcessor is a stream processor with its stats (the API's
// StreamsProcessorWithStats). Every field is read-only: streambot reads
// processors, it does not create them.
//
// See https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-getgroupstreamprocessor
type StreamProcessor struct {
	ID    string         `json:"_id,omitempty"`
	Name  string         `json:"name"`
	State ProcessorState `json:"state,omitempty"`
	// Tier is the tier the processor runs on, when Atlas reports one.
	Tier Tier `json:"tier,omitempty"`
	// Pipeline holds the stages in order, each a one-key document such as
	// {"$source": {...}}, kept as Atlas sent them.
	Pipeline []json.RawMessage `json:"pipeline,omitempty"`
	Options  *ProcessorOptions `json:"options,omitempty"`
	// Stats are free-form in the spec; see [ProcessorStats].
	Stats ProcessorStats `json:"stats,omitzero"`
	Links []Link         `json:"links,omitempty"`
}

// ProcessorOptions are a processor's optional settings (the API's
// StreamsOptions).
type ProcessorOptions struct {
	DLQ   *DLQ   `json:"dlq,omitempty"`
	Links []Link `json:"links,omitempty"`
}

// DLQ is where a processor writes the documents it cannot process (the
// API's StreamsDLQ): a collection reached through an Atlas connection.
type DLQ struct {
	ConnectionName string `json:"connectionName,omitempty"`
	DB             string `json:"db,omitempty"`
	Coll           string `json:"coll,omitempty"`
	Links          []Link `json:"links,omitempty"`
}

// Stages returns the names of the pipeline's stages in order, such as
// ["$source", "$match", "$merge"]. A stage that is not a one-key object is
// named "?" rather than dropped, so the count stays true.
func (p *StreamProcessor) Stages() []string {
	out := make([]string, 0, len(p.Pipeline))
	for _, raw := range p.Pipeline {
		out = append(out, stageName(raw))
	}
	return out
}

// stageName returns the only key of a stage document, or "?".
func stageName(raw json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "?"
	}
	t, err := dec.Token()
	if err != nil {
		return "?"
	}
	key, ok := t.(string)
	if !ok || key == "" {
		return "?"
	}
	return key
}

// ProcessorStats are a processor's statistics. The spec declares them a
// free-form object; Atlas fills them like sp.processor.stats() in mongosh
// (inputMessageCount, outputMessageCount, dlqMessageCount, stateSize,
// watermark, operatorStats…). ProcessorStats keeps the JSON as sent and
// never fails to decode: a value of any shape (an array, a string, null)
// is kept in Raw, and the accessors report false for what they cannot
// read.
type ProcessorStats struct {
	// Raw is the stats value exactly as Atlas sent it, or nil.
	Raw json.RawMessage
	// fields are Raw's members when Raw is an object.
	fields map[string]json.RawMessage
}

// NewProcessorStats returns stats for the JSON raw (which need not be valid
// or an object), as decoding a processor would.
func NewProcessorStats(raw []byte) ProcessorStats {
	var s ProcessorStats
	_ = s.UnmarshalJSON(raw) // never fails
	return s
}

// UnmarshalJSON keeps b whatever its shape; it never returns an error.
func (s *ProcessorStats) UnmarshalJSON(b []byte) error {
	s.Raw = append(json.RawMessage(nil), b...)
	s.fields = nil
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) == nil {
		s.fields = m
	}
	return nil
}

// MarshalJSON writes Raw back as it came (null when empty or not JSON).
func (s ProcessorStats) MarshalJSON() ([]byte, error) {
	if len(s.Raw) == 0 || !json.Valid(s.Raw) {
		return []byte("null"), nil
	}
	return s.Raw, nil
}

// Equal reports whether s and o hold the same JSON text. go-cmp uses it,
// so tests can compare processors with cmp.Diff.
func (s ProcessorStats) Equal(o ProcessorStats) bool { return bytes.Equal(s.Raw, o.Raw) }

// IsZero reports whether there are no stats, for omitzero.
func (s ProcessorStats) IsZero() bool { return len(s.Raw) == 0 }

// Stat keys streambot reads. Atlas documents the counts (see
// sp.processor.stats()); it documents no key for the time of the last
// state change, so [ProcessorStats.LastStateChange] tries these in order.
const (
	StatInputMessageCount  = "inputMessageCount"
	StatOutputMessageCount = "outputMessageCount"
	StatDLQMessageCount    = "dlqMessageCount"
)

var lastStateChangeKeys = []string{"lastStateChange", "lastStateChangedAt", "stateChangedAt"}

// InputMessageCount returns inputMessageCount, the messages read.
func (s ProcessorStats) InputMessageCount() (int64, bool) { return s.Count(StatInputMessageCount) }

// OutputMessageCount returns outputMessageCount, the messages written.
func (s ProcessorStats) OutputMessageCount() (int64, bool) { return s.Count(StatOutputMessageCount) }

// DLQMessageCount returns dlqMessageCount, the messages sent to the dead
// letter queue.
func (s ProcessorStats) DLQMessageCount() (int64, bool) { return s.Count(StatDLQMessageCount) }

// Count returns the member key as a whole number. It reads a JSON number
// (a fraction is truncated), a numeric string, and MongoDB Extended JSON
// such as {"$numberLong": "926"}; anything else, or a number beyond int64,
// reports false.
func (s ProcessorStats) Count(key string) (int64, bool) {
	raw, ok := s.fields[key]
	if !ok {
		return 0, false
	}
	return wholeNumber(raw)
}

func wholeNumber(raw json.RawMessage) (int64, bool) {
	// Fast path: a plain JSON integer, which is what Atlas sends.
	if t := bytes.TrimSpace(raw); len(t) > 0 && (t[0] == '-' || '0' <= t[0] && t[0] <= '9') {
		if n, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return n, true
		}
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return 0, false
	}
	var text string
	switch x := v.(type) {
	case json.Number:
		text = x.String()
	case string:
		text = strings.TrimSpace(x)
	case map[string]any:
		for _, k := range []string{"$numberLong", "$numberInt", "$numberDouble"} {
			if s, ok := x[k].(string); ok && len(x) == 1 {
				text = s
			}
		}
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || f >= math.MaxInt64 || f <= math.MinInt64 {
		return 0, false
	}
	return int64(f), true
}

// LastStateChange returns when the processor last changed state, read
// from the first of lastStateChange, lastStateChangedAt and stateChangedAt
// that holds an RFC 3339 time, MongoDB Extended JSON {"$date": …} (a
// string or milliseconds) or milliseconds since the epoch.
func (s ProcessorStats) LastStateChange() (time.Time, bool) {
	for _, k := range lastStateChangeKeys {
		if raw, ok := s.fields[k]; ok {
			if t, ok := timeValue(raw); ok {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

func timeValue(raw json.RawMessage) (time.Time, bool) {
	// Fast path: an RFC 3339 string without escapes.
	if t := bytes.TrimSpace(raw); len(t) > 2 && t[0] == '"' && t[len(t)-1] == '"' && bytes.IndexByte(t, '\\') < 0 {
		if at, err := time.Parse(time.RFC3339Nano, string(t[1:len(t)-1])); err == nil {
			return at.UTC(), true
		}
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return time.Time{}, false
	}
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		v = m["$date"]
		if inner, ok := v.(map[string]any); ok { // {"$date": {"$numberLong": "…"}}
			v = inner["$numberLong"]
		}
	}
	switch x := v.(type) {
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.UTC(), true
		}
		if ms, err := strconv.ParseInt(x, 10, 64); err == nil {
			return time.UnixMilli(ms).UTC(), true
		}
	case json.Number:
		if ms, err := x.Int64(); err == nil {
			return time.UnixMilli(ms).UTC(), true
		}
	}
	return time.Time{}, false
}

// StatField is one top-level stat whose value is a scalar, as text.
type StatField struct {
	Key, Value string
}

// Scalars returns the top-level stats whose values are strings, numbers or
// booleans, sorted by key, with values as text (strings unquoted). Objects,
// arrays and nulls (operatorStats, kafkaPartitions…) are left out.
func (s ProcessorStats) Scalars() []StatField {
	out := make([]StatField, 0, len(s.fields))
	for k, raw := range s.fields {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		switch raw[0] {
		case '{', '[', 'n':
			continue
		case '"':
			var str string
			if json.Unmarshal(raw, &str) != nil {
				continue
			}
			out = append(out, StatField{Key: k, Value: str})
		default:
			out = append(out, StatField{Key: k, Value: string(raw)})
		}
	}
	slices.SortFunc(out, func(a, b StatField) int { return strings.Compare(a.Key, b.Key) })
	return out
}
