package atlas_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/streambot/streambot/pkg/atlas"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

func TestUpdateStreamWorkspace_simulator(t *testing.T) {
	sim := newSim(t)
	c, _ := simClient(t, sim, atlas.WithServiceAccount(simID, simSecret))
	ctx := context.Background()
	if _, err := c.CreateStreamWorkspace(ctx, simGroup, workspace("up")); err != nil {
		t.Fatal(err)
	}
	got, err := c.UpdateStreamWorkspace(ctx, simGroup, "up", &atlas.StreamWorkspaceUpdate{
		StreamConfig: &atlas.StreamConfig{Tier: atlas.TierSP30, MaxTierSize: atlas.TierSP50}})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if got.StreamConfig.Tier != atlas.TierSP30 || got.StreamConfig.MaxTierSize != atlas.TierSP50 {
		t.Errorf("updated config = %+v, want SP30/SP50", got.StreamConfig)
	}
	got, err = c.UpdateStreamWorkspace(ctx, simGroup, "up", &atlas.StreamWorkspaceUpdate{CloudProvider: atlas.ProviderAWS, Region: "OHIO_USA"})
	if err != nil || got.DataProcessRegion.Region != "OHIO_USA" {
		t.Fatalf("region update = %+v, %v", got.DataProcessRegion, err)
	}
	// Atlas checks the result against the workspace: max tier below the tier.
	_, err = c.UpdateStreamWorkspace(ctx, simGroup, "up", &atlas.StreamWorkspaceUpdate{StreamConfig: &atlas.StreamConfig{MaxTierSize: atlas.TierSP10}})
	if !atlas.IsStatus(err, http.StatusBadRequest) {
		t.Errorf("max tier below tier: error = %v, want 400", err)
	}
	_, err = c.UpdateStreamWorkspace(ctx, simGroup, "gone", &atlas.StreamWorkspaceUpdate{StreamConfig: &atlas.StreamConfig{Tier: atlas.TierSP10}})
	if !errors.Is(err, atlas.ErrNotFound) {
		t.Errorf("unknown workspace: error = %v, want ErrNotFound", err)
	}
	if n := sim.Calls(atlastest.OpUpdateStream); n != 4 {
		t.Errorf("PATCH calls = %d, want 4", n)
	}
}

func TestValidateUpdate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		u     *atlas.StreamWorkspaceUpdate
		valid bool
	}{
		{"tier", &atlas.StreamWorkspaceUpdate{StreamConfig: &atlas.StreamConfig{Tier: atlas.TierSP5}}, true},
		{"max tier alone", &atlas.StreamWorkspaceUpdate{StreamConfig: &atlas.StreamConfig{MaxTierSize: atlas.TierSP50}}, true},
		{"region", &atlas.StreamWorkspaceUpdate{CloudProvider: atlas.ProviderGCP, Region: "US_EAST4"}, true},
		{"nothing", &atlas.StreamWorkspaceUpdate{}, false},
		{"nil", nil, false},
		{"region without provider", &atlas.StreamWorkspaceUpdate{Region: "US_EAST4"}, false},
		{"region of another provider", &atlas.StreamWorkspaceUpdate{CloudProvider: atlas.ProviderAWS, Region: "US_EAST4"}, false},
		{"max below tier", &atlas.StreamWorkspaceUpdate{StreamConfig: &atlas.StreamConfig{Tier: atlas.TierSP30, MaxTierSize: atlas.TierSP10}}, false},
		{"unknown max tier", &atlas.StreamWorkspaceUpdate{StreamConfig: &atlas.StreamConfig{MaxTierSize: "SP7"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := atlas.ValidateUpdate(simGroup, "ws", tc.u)
			if (err == nil) != tc.valid {
				t.Errorf("ValidateUpdate(%+v) = %v, want valid %v", tc.u, err, tc.valid)
			}
			if err != nil && !errors.Is(err, atlas.ErrInvalid) {
				t.Errorf("ValidateUpdate error %v does not match ErrInvalid", err)
			}
		})
	}
}

func TestPreviewUpdateAndDelete(t *testing.T) {
	m, p, body, err := atlas.PreviewUpdate(simGroup, "orders-ws", &atlas.StreamWorkspaceUpdate{StreamConfig: &atlas.StreamConfig{Tier: atlas.TierSP30}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"streamConfig":{"tier":"SP30"}}`; m != "PATCH" || p != "/api/atlas/v2/groups/"+simGroup+"/streams/orders-ws" || string(body) != want {
		t.Errorf("PreviewUpdate = %s %s %s, want PATCH …/streams/orders-ws %s", m, p, body, want)
	}
	m, p, err = atlas.PreviewDelete(simGroup, "orders-ws")
	if err != nil || m != "DELETE" || p != "/api/atlas/v2/groups/"+simGroup+"/streams/orders-ws" {
		t.Errorf("PreviewDelete = %s %s %v", m, p, err)
	}
	if _, _, err := atlas.PreviewDelete("nothex", "orders-ws"); !errors.Is(err, atlas.ErrInvalid) {
		t.Errorf("PreviewDelete(bad group) = %v, want ErrInvalid", err)
	}
}

// The simulator removes a deleted workspace after its delete delay, as
// Atlas does; until then GET still finds it.
func TestDeleteStreamWorkspace_delay(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sim := newSim(t, atlastest.WithClock(func() time.Time { return now }), atlastest.WithDeleteDelay(30*time.Second))
	c, _ := simClient(t, sim, atlas.WithServiceAccount(simID, simSecret))
	ctx := context.Background()
	if _, err := c.CreateStreamWorkspace(ctx, simGroup, workspace("del")); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteStreamWorkspace(ctx, simGroup, "del"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := c.GetStreamWorkspace(ctx, simGroup, "del"); err != nil {
		t.Errorf("get during the delete delay: %v, want the workspace", err)
	}
	now = now.Add(30 * time.Second)
	if _, err := c.GetStreamWorkspace(ctx, simGroup, "del"); !errors.Is(err, atlas.ErrNotFound) {
		t.Errorf("get after the delete delay: %v, want ErrNotFound", err)
	}
	if err := c.DeleteStreamWorkspace(ctx, simGroup, "del"); !atlas.IsStatus(err, http.StatusNotFound) {
		t.Errorf("second delete: %v, want 404", err)
	}
}
