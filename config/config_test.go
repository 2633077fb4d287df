// Package config_test checks that the example access policy loads: a
// platform team's first edit should start from a valid document.
package config_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/streambot/streambot/internal/access"
)

func TestAccessExampleLoads(t *testing.T) {
	data, err := os.ReadFile("access.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := access.Load(data); err != nil {
		t.Fatalf("access.example.yaml: %v", err)
	}
}

// The optional keys are shown commented out; uncommented they must load too.
func TestAccessExampleOptionalKeysLoad(t *testing.T) {
	data, err := os.ReadFile("access.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, line := range strings.Split(string(data), "\n") {
		for _, key := range []string{"# default_region:", "# action_roles:", "#   create:", "#   list:"} {
			if strings.HasPrefix(line, key) {
				line = strings.TrimPrefix(line, "# ")
			}
		}
		lines = append(lines, line)
	}
	uncommented := strings.Join(lines, "\n")
	if uncommented == string(data) {
		t.Fatal("found no commented-out optional keys to check")
	}
	p, err := access.Load([]byte(uncommented))
	if err != nil {
		t.Fatalf("access.example.yaml with the optional keys: %v", err)
	}
	if got := p.DefaultRegion(); got != "VIRGINIA_USA" {
		t.Errorf("DefaultRegion() = %q, want VIRGINIA_USA", got)
	}
}

// groups is a fixed user-group membership: group ID -> members.
type groups map[string][]string

func (g groups) IsMember(_ context.Context, groupID, userID string) (bool, error) {
	return slices.Contains(g[groupID], userID), nil
}

// TestAccessExampleMeansWhatItSays checks that the example's comments are
// true: each grant allows what its comment says, and nothing more.
func TestAccessExampleMeansWhatItSays(t *testing.T) {
	data, err := os.ReadFile("access.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := access.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	p = p.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))).WithGroups(groups{
		"S0PLATFORM": {"U0PLATFORM"},
		"S0SRE":      {"U0SRE"},
	})
	const (
		prodChannel  = "C0123ABCD" // the channel whose default project is prod
		otherChannel = "C0OTHER"
	)
	tests := []struct {
		name    string
		user    string
		channel string
		action  access.Action
		project string
		want    bool
	}{
		{"platform creates in dev", "U0PLATFORM", otherChannel, access.ActionCreate, "dev", true},
		{"platform creates in dev by default", "U0PLATFORM", otherChannel, access.ActionCreate, "", true},
		{"platform may not create in prod", "U0PLATFORM", otherChannel, access.ActionCreate, "prod", false},
		{"the prod channel defaults to prod", "U0PLATFORM", prodChannel, access.ActionCreate, "", false},
		{"the prod owner creates in prod from its channel", "U012ABCDEF", prodChannel, access.ActionCreate, "", true},
		{"the prod owner not from elsewhere", "U012ABCDEF", otherChannel, access.ActionCreate, "prod", false},
		{"SREs list everywhere", "U0SRE", otherChannel, access.ActionList, "prod", true},
		{"SREs describe by project ID", "U0SRE", otherChannel, access.ActionDescribe, "5f1a2b3c4d5e6f7a8b9c0d1e", true},
		{"SREs create nowhere", "U0SRE", otherChannel, access.ActionCreate, "dev", false},
		{"strangers nothing", "U0STRANGER", otherChannel, access.ActionList, "dev", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := p.Authorize(t.Context(), access.Request{TeamID: "T1", UserID: tc.user, ChannelID: tc.channel, Action: tc.action, Project: tc.project})
			if d.Allowed != tc.want {
				t.Errorf("Authorize(%s %s on %q from %s) = %v (%s), want %v", tc.user, tc.action, tc.project, tc.channel, d.Allowed, d.Reason, tc.want)
			}
		})
	}
}
