package provision

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/testtools"
	"github.com/streambot/streambot/pkg/atlas"
)

// goldenJob fills every field, so the golden file pins every JSON name the
// two functions agree on.
func goldenJob() Job {
	return Job{
		ID:            "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
		Action:        ActionCreate,
		GroupID:       "6a1b2c3d4e5f6a7b8c9d0e1f",
		ProjectAlias:  "dev",
		Name:          "orders-ws",
		Processor:     "orders-enrich",
		Provider:      "AWS",
		Region:        "VIRGINIA_USA",
		Tier:          "SP30",
		MaxTier:       "SP50",
		RegionInput:   "us-east-1",
		SampleSolar:   true,
		RequiredRoles: []string{"GROUP_OWNER", "GROUP_DATA_ACCESS_ADMIN", "GROUP_STREAM_PROCESSING_OWNER"},
		Slack: &SlackTarget{
			TeamID:      "T1DC2JH3J",
			ChannelID:   "C0123ABCD",
			UserID:      "U2CERLKJA",
			UserName:    "roadrunner",
			ResponseURL: "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN",
			Command:     "/stream",
		},
		RequestedAt: time.Date(2025, 3, 12, 9, 30, 0, 0, time.UTC),
		Offers:      []string{"delete"},
		Click: &Click{Step: "confirm", OpID: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
			Requester: "U2CERLKJA", MessageTS: "1741771860.000200", IssuedAt: time.Date(2025, 3, 12, 9, 31, 0, 0, time.UTC)},
		Notice: "Only the person who asked can confirm this; nothing was done.",
		Approval: &ApprovalStep{Step: ApprovalApproved, Approvers: []string{"<!subteam^S0SRE>", "<@U0LEAD>"},
			ExpiresAt: time.Date(2025, 3, 12, 10, 30, 0, 0, time.UTC), By: "U0LEAD"},
		Denial: "you have GROUP_READ_ONLY on project dev, but delete needs one of GROUP_OWNER; ask group:S0PLATFORM",
	}
}

func TestJobGolden(t *testing.T) {
	path := filepath.Join("testdata", "job.golden.json")
	got, err := json.MarshalIndent(goldenJob(), "", "  ")
	if err != nil {
		t.Fatalf("json.MarshalIndent(Job) error: %v", err)
	}
	got = append(got, '\n')
	testtools.Golden(t, path, got)
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	// The golden file decodes back to the same Job: the contract works in
	// both directions (the worker reads what the edge writes).
	var back Job
	if err := json.Unmarshal(want, &back); err != nil {
		t.Fatalf("json.Unmarshal(golden) error: %v", err)
	}
	if diff := cmp.Diff(goldenJob(), back); diff != "" {
		t.Errorf("golden Job round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestJobJSONOmitsEmpty(t *testing.T) {
	tests := []struct {
		name string
		job  Job
		want string
	}{
		{
			name: "direct create request",
			job:  Job{GroupID: "6a1b2c3d4e5f6a7b8c9d0e1f", Name: "orders-ws", Provider: "AWS", Region: "VIRGINIA_USA", Tier: "SP30"},
			want: `{"group_id":"6a1b2c3d4e5f6a7b8c9d0e1f","name":"orders-ws","provider":"AWS","region":"VIRGINIA_USA","tier":"SP30"}`,
		},
		{
			name: "list from Slack",
			job: Job{ID: "t1", Action: ActionList, GroupID: "6a1b2c3d4e5f6a7b8c9d0e1f",
				Slack: &SlackTarget{TeamID: "T1", ChannelID: "C1", UserID: "U1", ResponseURL: "https://hooks.slack.com/x"}},
			want: `{"id":"t1","action":"list","group_id":"6a1b2c3d4e5f6a7b8c9d0e1f","slack":{"team_id":"T1","channel_id":"C1","user_id":"U1","response_url":"https://hooks.slack.com/x"}}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.Marshal(tc.job)
			if err != nil {
				t.Fatalf("json.Marshal error: %v", err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("json.Marshal(%+v) mismatch (-want +got):\n%s", tc.job, diff)
			}
		})
	}
}

func TestDirectRequestDecodes(t *testing.T) {
	// What `aws lambda invoke` or `sam local invoke` sends: no id, action or
	// Slack target.
	in := `{"group_id":"6a1b2c3d4e5f6a7b8c9d0e1f","name":"orders-ws","provider":"AWS","region":"VIRGINIA_USA","tier":"SP10","max_tier":"SP30","sample_solar":true}`
	var got Job
	if err := json.Unmarshal([]byte(in), &got); err != nil {
		t.Fatalf("json.Unmarshal error: %v", err)
	}
	want := Job{GroupID: "6a1b2c3d4e5f6a7b8c9d0e1f", Name: "orders-ws", Provider: "AWS", Region: "VIRGINIA_USA",
		Tier: "SP10", MaxTier: "SP30", SampleSolar: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded direct request mismatch (-want +got):\n%s", diff)
	}
	if got.action() != ActionCreate {
		t.Errorf("action() = %q, want %q", got.action(), ActionCreate)
	}
}

func TestJobWorkspace(t *testing.T) {
	got := goldenJob().Workspace()
	want := &atlas.StreamWorkspace{
		Name:              "orders-ws",
		DataProcessRegion: &atlas.DataProcessRegion{CloudProvider: atlas.ProviderAWS, Region: "VIRGINIA_USA"},
		StreamConfig:      &atlas.StreamConfig{Tier: atlas.TierSP30, MaxTierSize: atlas.TierSP50},
		SampleConnections: &atlas.SampleConnections{Solar: atlas.Ptr(true)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Workspace() mismatch (-want +got):\n%s", diff)
	}
}

func TestJobLogValueHidesResponseURL(t *testing.T) {
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("job", "job", goldenJob())
	out := buf.String()
	if strings.Contains(out, "hooks.slack.com") {
		t.Errorf("log output contains the response_url: %s", out)
	}
	for _, want := range []string{`"job_id":"398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"`, `"workspace":"orders-ws"`, `"user_id":"U2CERLKJA"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log output = %s, want it to contain %s", out, want)
		}
	}
}
