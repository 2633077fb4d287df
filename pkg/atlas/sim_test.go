package atlas_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/pkg/atlas"
	"github.com/streambot/streambot/pkg/atlas/atlasspec"
	"github.com/streambot/streambot/pkg/atlas/atlastest"
)

// Tests against the simulator: the client's requests are checked against
// the spec on the client side, the simulator's answers on both sides.

const (
	simGroup  = "6a1b2c3d4e5f6a7b8c9d0e1f"
	simID     = "mdb_sa_id_sim"
	simSecret = "mdb_sa_sk_sim-secret"
	simPub    = "pubkeyab"
	simPriv   = "11111111-2222-3333-4444-555555555555"
)

func newSim(t *testing.T, opts ...atlastest.Option) *atlastest.Server {
	t.Helper()
	sim := atlastest.NewServer(t, append([]atlastest.Option{atlastest.WithChecker(atlasspec.Checker{})}, opts...)...)
	sim.AddProject(simGroup)
	sim.AddServiceAccount(simID, simSecret)
	sim.AddAPIKey(simPub, simPriv)
	return sim
}

// simClient returns a client for sim whose waits are recorded, not slept.
func simClient(t *testing.T, sim *atlastest.Server, auth atlas.Option, opts ...atlas.Option) (*atlas.Client, func() []time.Duration) {
	t.Helper()
	hc := &http.Client{Transport: atlasspec.CheckingTransport(nil, func(err error) { t.Error(err) })}
	c, err := atlas.NewClient(append([]atlas.Option{atlas.WithBaseURL(sim.URL), atlas.WithHTTPClient(hc), auth}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var waits []time.Duration
	atlas.SetSleep(c, func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		return ctx.Err()
	})
	return c, func() []time.Duration { mu.Lock(); defer mu.Unlock(); return append([]time.Duration(nil), waits...) }
}

func workspace(name string) *atlas.StreamWorkspace {
	return &atlas.StreamWorkspace{
		Name:              name,
		DataProcessRegion: &atlas.DataProcessRegion{CloudProvider: atlas.ProviderAWS, Region: "VIRGINIA_USA"},
		StreamConfig:      &atlas.StreamConfig{Tier: atlas.TierSP10, MaxTierSize: atlas.TierSP30},
		SampleConnections: &atlas.SampleConnections{Solar: atlas.Ptr(true)},
	}
}

func TestSimulator_lifecycle(t *testing.T) {
	for _, tc := range []struct {
		name string
		auth atlas.Option
	}{
		{"service account", atlas.WithServiceAccount(simID, simSecret)},
		{"api key", atlas.WithAPIKey(simPub, simPriv)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t)
			for _, env := range [][]atlas.CallOption{nil, {atlas.WithEnvelope(), atlas.WithPretty()}} {
				c, _ := simClient(t, sim, tc.auth, atlas.WithAPIVersion("2023-02-01"))
				ctx := context.Background()
				name := fmt.Sprintf("ws-%d", len(env))
				created, err := c.CreateStreamWorkspace(ctx, simGroup, workspace(name), env...)
				if err != nil {
					t.Fatalf("create: %v", err)
				}
				if created.Name != name || created.GroupID != simGroup || created.ID == "" || len(created.Hostnames) == 0 {
					t.Errorf("created = %+v", created)
				}
				got, err := c.GetStreamWorkspace(ctx, simGroup, name, env...)
				if err != nil {
					t.Fatalf("get: %v", err)
				}
				if diff := cmp.Diff(created.StreamConfig.Tier, got.StreamConfig.Tier); diff != "" {
					t.Errorf("tier mismatch: %s", diff)
				}
				page, err := c.ListStreamWorkspaces(ctx, simGroup, &atlas.ListOptions{ItemsPerPage: 10}, env...)
				if err != nil || len(page.Results) == 0 {
					t.Fatalf("list = %+v, %v", page, err)
				}
				_, err = c.CreateStreamWorkspace(ctx, simGroup, workspace(name), env...)
				if !atlas.IsStatus(err, http.StatusConflict) {
					t.Errorf("duplicate create: error = %v, want 409", err)
				}
				if err := c.DeleteStreamWorkspace(ctx, simGroup, name, env...); err != nil {
					t.Fatalf("delete: %v", err)
				}
				if _, err := c.GetStreamWorkspace(ctx, simGroup, name, env...); !errors.Is(err, atlas.ErrNotFound) {
					t.Errorf("get after delete: error = %v, want ErrNotFound", err)
				}
			}
		})
	}
}

func TestSimulator_wrongCredentials(t *testing.T) {
	sim := newSim(t)
	for _, auth := range []atlas.Option{atlas.WithServiceAccount(simID, "wrong"), atlas.WithAPIKey(simPub, "wrong")} {
		c, _ := simClient(t, sim, auth)
		_, err := c.GetStreamWorkspace(context.Background(), simGroup, "x")
		if !atlas.IsStatus(err, http.StatusUnauthorized) {
			t.Errorf("error = %v, want 401", err)
		}
	}
}

func TestSimulator_allPagesAndUsers(t *testing.T) {
	sim := newSim(t)
	sim.AddProjectUser(simGroup, "alice@example.com", "GROUP_STREAM_PROCESSING_OWNER")
	c, _ := simClient(t, sim, atlas.WithServiceAccount(simID, simSecret))
	ctx := context.Background()
	for i := range 3 {
		if _, err := c.CreateStreamWorkspace(ctx, simGroup, workspace(fmt.Sprintf("ws-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	all, err := c.AllStreamWorkspaces(ctx, simGroup)
	if err != nil || len(all) != 3 {
		t.Errorf("AllStreamWorkspaces = %d workspaces, %v; want 3", len(all), err)
	}
	u, err := c.ProjectUser(ctx, simGroup, "alice@example.com")
	if err != nil || !u.HasAnyRole("GROUP_STREAM_PROCESSING_OWNER") {
		t.Errorf("ProjectUser = %+v, %v", u, err)
	}
	if _, err := c.ProjectUser(ctx, simGroup, "bob@example.com"); !errors.Is(err, atlas.ErrNotFound) {
		t.Errorf("ProjectUser(bob) error = %v, want ErrNotFound", err)
	}
	if got := sim.Calls(atlastest.OpToken); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
}

func TestSimulator_faults(t *testing.T) {
	sim := newSim(t)
	c, waits := simClient(t, sim, atlas.WithServiceAccount(simID, simSecret))
	ctx := context.Background()
	sim.Inject(atlastest.OpCreateStream, atlastest.Fault{Status: 429, RetryAfter: "2"})
	if _, err := c.CreateStreamWorkspace(ctx, simGroup, workspace("rl")); err != nil {
		t.Fatalf("create after a 429: %v", err)
	}
	sim.Inject(atlastest.OpGetStream, atlastest.Fault{Times: 2, Status: 503})
	if _, err := c.GetStreamWorkspace(ctx, simGroup, "rl"); err != nil {
		t.Fatalf("get after two 503s: %v", err)
	}
	sim.Inject(atlastest.OpGetStream, atlastest.Fault{DropConnection: true})
	if _, err := c.GetStreamWorkspace(ctx, simGroup, "rl"); err != nil {
		t.Fatalf("get after a dropped connection: %v", err)
	}
	// net/http may replay the dropped GET itself on a reused connection, so
	// only the waits before the drop are certain.
	want := []time.Duration{2 * time.Second, 500 * time.Millisecond, time.Second}
	if got := waits(); len(got) < len(want) {
		t.Errorf("waits = %v, want %v first", got, want)
	} else if diff := cmp.Diff(want, got[:len(want)]); diff != "" {
		t.Errorf("waits mismatch (-want +got):\n%s", diff)
	}
	if got := sim.Calls(atlastest.OpCreateStream); got != 2 {
		t.Errorf("create calls = %d, want 2", got)
	}
	if _, ok := sim.Workspace(simGroup, "rl"); !ok {
		t.Error("workspace rl missing in the simulator")
	}
}

// TestSimulator_tokenWaitBoundedByContext checks that a call stops waiting
// for a slow token exchange when its context ends, and that the exchange,
// once answered, still serves the next call. (Without the bound the first
// call would hang until the test binary times out.)
func TestSimulator_tokenWaitBoundedByContext(t *testing.T) {
	sim := newSim(t)
	c, _ := simClient(t, sim, atlas.WithServiceAccount(simID, simSecret), atlas.WithTimeout(time.Hour))
	sim.Inject(atlastest.OpToken, atlastest.Fault{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.GetStreamWorkspace(ctx, simGroup, "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want context.DeadlineExceeded", err)
	}
	if got := sim.Calls(atlastest.OpGetStream); got != 0 {
		t.Errorf("get calls = %d, want 0 without a token", got)
	}
	sim.Atlas.Close() // ends the delay: the pending exchange gets its token
	if _, err := c.GetStreamWorkspace(context.Background(), simGroup, "x"); !errors.Is(err, atlas.ErrNotFound) {
		t.Errorf("second call: error = %v, want ErrNotFound", err)
	}
	if got := sim.Calls(atlastest.OpToken); got != 1 {
		t.Errorf("token requests = %d, want 1: the abandoned exchange's token is reused", got)
	}
}
