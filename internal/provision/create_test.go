package provision

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/pkg/atlas"
)

func TestDifferences(t *testing.T) {
	ws := func(p atlas.Provider, region string, tier, maxTier atlas.Tier) *atlas.StreamWorkspace {
		return &atlas.StreamWorkspace{Name: "orders-ws",
			DataProcessRegion: &atlas.DataProcessRegion{CloudProvider: p, Region: region},
			StreamConfig:      &atlas.StreamConfig{Tier: tier, MaxTierSize: maxTier}}
	}
	want := ws("AWS", "VIRGINIA_USA", "SP30", "SP50")
	tests := []struct {
		name      string
		want, got *atlas.StreamWorkspace
		diffs     []string
	}{
		{name: "same", want: want, got: ws("AWS", "VIRGINIA_USA", "SP30", "SP50")},
		{name: "max tier absent in Atlas's answer", want: want, got: ws("AWS", "VIRGINIA_USA", "SP30", "")},
		{name: "no streamConfig in Atlas's answer", want: want, got: &atlas.StreamWorkspace{Name: "orders-ws",
			DataProcessRegion: &atlas.DataProcessRegion{CloudProvider: "AWS", Region: "VIRGINIA_USA"}}},
		{name: "no dataProcessRegion in Atlas's answer", want: want, got: &atlas.StreamWorkspace{Name: "orders-ws",
			StreamConfig: &atlas.StreamConfig{Tier: "SP30"}}},
		{name: "no max tier asked: Atlas's choice stands", want: ws("AWS", "VIRGINIA_USA", "SP30", ""), got: ws("AWS", "VIRGINIA_USA", "SP30", "SP50")},
		{name: "other region", want: want, got: ws("AWS", "OHIO_USA", "SP30", "SP50"),
			diffs: []string{"it runs in AWS / OHIO_USA, you asked for AWS / VIRGINIA_USA"}},
		{name: "other provider", want: want, got: ws("GCP", "US_EAST4", "SP30", "SP50"),
			diffs: []string{"it runs in GCP / US_EAST4, you asked for AWS / VIRGINIA_USA"}},
		{name: "other tier and max tier", want: want, got: ws("AWS", "VIRGINIA_USA", "SP10", "SP30"),
			diffs: []string{"its tier is SP10, you asked for SP30", "its max tier is SP30, you asked for SP50"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.diffs, differences(tc.want, tc.got)); diff != "" {
				t.Errorf("differences() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
