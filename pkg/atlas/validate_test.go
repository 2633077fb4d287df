package atlas

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateGroupID(t *testing.T) {
	tests := []struct {
		id      string
		wantErr bool
	}{
		{"32b6e34b3d91647abb20e7b8", false},
		{"32B6E34B3D91647ABB20E7B8", true},
		{"32b6e34b3d91647abb20e7b", true},
		{"32b6e34b3d91647abb20e7b80", true},
		{"32b6e34b3d91647abb20e7bg", true},
		{"", true},
		{"../32b6e34b3d91647abb20e7", true},
	}
	for _, tc := range tests {
		err := ValidateGroupID(tc.id)
		if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("ValidateGroupID(%q) = %v, wantErr %v", tc.id, err, tc.wantErr)
		}
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr bool
	}{
		{"orders-ws", false},
		{"A", false},
		{strings.Repeat("a", MaxNameLen), false},
		{strings.Repeat("a", MaxNameLen+1), true},
		{"", true},
		{"has space", true},
		{"under_score", true},
		{"slash/name", true},
		{"ünïcode", true},
	}
	for _, tc := range tests {
		if err := ValidateName(tc.name); (err != nil) != tc.wantErr {
			t.Errorf("ValidateName(%q) = %v, wantErr %v", tc.name, err, tc.wantErr)
		}
	}
}

func TestValidateCreate(t *testing.T) {
	ok := func() *StreamWorkspace { return seedWorkspace() }
	with := func(f func(w *StreamWorkspace)) *StreamWorkspace { w := ok(); f(w); return w }
	tests := []struct {
		name       string
		groupID    string
		w          *StreamWorkspace
		wantFields []string // the fields reported, in order
	}{
		{"seed", testGroupID, ok(), nil},
		{"azure", testGroupID, with(func(w *StreamWorkspace) {
			w.DataProcessRegion = &DataProcessRegion{CloudProvider: ProviderAzure, Region: "westeurope"}
		}), nil},
		{"no max tier", testGroupID, with(func(w *StreamWorkspace) { w.StreamConfig.MaxTierSize = "" }), nil},
		{"nil", testGroupID, nil, []string{"body"}},
		{"everything wrong", "x", &StreamWorkspace{Name: "a b"}, []string{"groupId", "name", "dataProcessRegion", "streamConfig"}},
		{"unknown provider", testGroupID, with(func(w *StreamWorkspace) { w.DataProcessRegion.CloudProvider = "IBM" }),
			[]string{"dataProcessRegion.cloudProvider"}},
		{"gcp region on aws", testGroupID, with(func(w *StreamWorkspace) { w.DataProcessRegion.Region = "US_EAST4" }),
			[]string{"dataProcessRegion.region"}},
		{"unknown region", testGroupID, with(func(w *StreamWorkspace) { w.DataProcessRegion.Region = "MARS_1" }),
			[]string{"dataProcessRegion.region"}},
		{"unknown tier", testGroupID, with(func(w *StreamWorkspace) { w.StreamConfig.Tier = "SP1000" }), []string{"streamConfig.tier"}},
		{"empty tier", testGroupID, with(func(w *StreamWorkspace) { w.StreamConfig.Tier = "" }), []string{"streamConfig.tier"}},
		{"unknown max tier", testGroupID, with(func(w *StreamWorkspace) { w.StreamConfig.MaxTierSize = "SP7" }),
			[]string{"streamConfig.maxTierSize"}},
		{"max below tier", testGroupID, with(func(w *StreamWorkspace) { w.StreamConfig.MaxTierSize = TierSP10 }),
			[]string{"streamConfig.maxTierSize"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateCreate(tc.groupID, tc.w)
			var fields []string
			if err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("error %v does not match ErrInvalid", err)
				}
				errs := []error{err}
				if j, ok := err.(interface{ Unwrap() []error }); ok {
					errs = j.Unwrap()
				}
				for _, e := range errs {
					var ve *ValidationError
					if !errors.As(e, &ve) {
						t.Fatalf("error %v is not a *ValidationError", e)
					}
					fields = append(fields, ve.Field)
				}
			}
			if diff := cmp.Diff(tc.wantFields, fields); diff != "" {
				t.Errorf("ValidateCreate fields mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRegionsAndTiers(t *testing.T) {
	for _, p := range Providers {
		for _, r := range Regions(p) {
			if got, ok := ProviderOf(r); !ok || got != p {
				t.Errorf("ProviderOf(%q) = %q, %v; want %q", r, got, ok, p)
			}
		}
	}
	if _, ok := ProviderOf("MARS_1"); ok {
		t.Error("ProviderOf(MARS_1) found a provider")
	}
	if Regions("IBM") != nil {
		t.Error("Regions(IBM) is not nil")
	}
	for i, tier := range Tiers {
		if tier.Rank() != i {
			t.Errorf("%s.Rank() = %d, want %d", tier, tier.Rank(), i)
		}
	}
	if Tier("SP1").Rank() != -1 {
		t.Error("unknown tier has a rank")
	}
}

// FuzzValidateName checks that an accepted name needs no escaping in a URL
// path and never panics the validator.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"orders-ws", "", "a/b", "../x", "%2F", "ünï", strings.Repeat("z", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidateName(name) != nil {
			return
		}
		if got := streamPath("g", name); got != "groups/g/streams/"+name {
			t.Errorf("accepted name %q is escaped to %q", name, got)
		}
	})
}

// FuzzParseErrorBody checks that any error body yields an APIError with the
// given status and an excerpt within bounds.
func FuzzParseErrorBody(f *testing.F) {
	f.Add(400, []byte(`{"error":400,"errorCode":"VALIDATION_ERROR","reason":"Bad Request","detail":"x"}`))
	f.Add(502, []byte("<html>bad gateway</html>"))
	f.Add(500, []byte(`{"error":"invalid_client"}`))
	f.Add(429, []byte{0xff, 0xfe})
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := parseErrorBody(status, body)
		if e.StatusCode != status {
			t.Errorf("StatusCode = %d, want %d", e.StatusCode, status)
		}
		if len(e.Body) > maxBodyExcerpt+len("…")+3*len(body) {
			t.Errorf("Body excerpt of %d bytes is too long", len(e.Body))
		}
		if _, err := json.Marshal(e); err != nil {
			t.Errorf("APIError does not marshal: %v", err)
		}
		_ = e.Error()
	})
}
