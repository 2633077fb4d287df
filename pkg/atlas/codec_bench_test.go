package atlas

import (
	"context"
	"encoding/json"
	"os"
	"testing"
)

// The request encoding and response decoding the client does per call,
// without the network: see BENCHMARKS.md (issue 7).

const benchGroupID = "6a1b2c3d4e5f6a7b8c9d0e1f"

func benchWorkspace() *StreamWorkspace {
	return &StreamWorkspace{
		Name:              "orders-ws",
		DataProcessRegion: &DataProcessRegion{CloudProvider: ProviderAWS, Region: "VIRGINIA_USA"},
		SampleConnections: &SampleConnections{Solar: Ptr(true)},
		StreamConfig:      &StreamConfig{Tier: TierSP30, MaxTierSize: TierSP50},
	}
}

func readSeed(b *testing.B, name string) []byte {
	b.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkPreviewCreate: validation and the create body's encoding, the
// same the client runs before sending (and the Slack edge for --dry-run).
func BenchmarkPreviewCreate(b *testing.B) {
	w := benchWorkspace()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, body, err := PreviewCreate(benchGroupID, w); err != nil || len(body) == 0 {
			b.Fatalf("PreviewCreate: %q, %v", body, err)
		}
	}
}

// BenchmarkNewCreateRequest: the whole outgoing request of a create (URL,
// body, versioned headers), as CreateStreamWorkspace builds it.
func BenchmarkNewCreateRequest(b *testing.B) {
	c, err := NewClient(WithServiceAccount("mdb_sa_id_bench", "mdb_sa_sk_bench"))
	if err != nil {
		b.Fatal(err)
	}
	w := benchWorkspace()
	ctx := context.Background()
	path := withQuery(streamsPath(benchGroupID), nil, nil)
	b.ReportAllocs()
	for b.Loop() {
		if err := ValidateCreate(benchGroupID, w); err != nil {
			b.Fatal(err)
		}
		req, err := c.NewRequest(ctx, "POST", path, createBody(w))
		if err != nil || req.ContentLength == 0 {
			b.Fatalf("NewRequest: %v", err)
		}
	}
}

// BenchmarkDecodeWorkspace: a 200 answer (MongoDB's example body, with
// links on every object) decoded into a StreamWorkspace, as Do does.
func BenchmarkDecodeWorkspace(b *testing.B) {
	body := readSeed(b, "seed_create_response_200.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var w StreamWorkspace
		if err := json.Unmarshal(body, &w); err != nil || w.StreamConfig == nil {
			b.Fatalf("decode: %v", err)
		}
	}
}

// BenchmarkDecodeEnvelope: the same answer with envelope=true, unwrapped
// then decoded.
func BenchmarkDecodeEnvelope(b *testing.B) {
	body := append(append([]byte(`{"status":200,"content":`), readSeed(b, "seed_create_response_200.json")...), '}')
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		status, payload := unwrapEnvelope(200, body)
		var w StreamWorkspace
		if err := json.Unmarshal(payload, &w); err != nil || status != 200 || w.StreamConfig == nil {
			b.Fatalf("decode: %d %v", status, err)
		}
	}
}

// BenchmarkDecodeError: a 400 answer turned into an *APIError.
func BenchmarkDecodeError(b *testing.B) {
	body := readSeed(b, "seed_error_400.json")
	b.ReportAllocs()
	for b.Loop() {
		if e := parseErrorBody(400, body); e.ErrorCode != "VALIDATION_ERROR" {
			b.Fatalf("parseErrorBody = %+v", e)
		}
	}
}
