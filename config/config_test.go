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
	"time"

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
		for _, key := range []string{"# default_region:", "# action_roles:", "#   create:", "#   list:", "#   operate:", "# teams:"} {
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
	if got, want := p.RequiredRoles(access.ActionOperate), []string{"GROUP_STREAM_PROCESSING_OWNER"}; !slices.Equal(got, want) {
		t.Errorf("RequiredRoles(operate) = %v, want %v", got, want)
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
		{"platform starts and stops processors in dev", "U0PLATFORM", otherChannel, access.ActionOperate, "dev", true},
		{"platform updates in dev", "U0PLATFORM", otherChannel, access.ActionUpdate, "dev", true},
		{"the prod owner deletes in prod from its channel", "U012ABCDEF", prodChannel, access.ActionDelete, "", true},
		{"SREs may not operate", "U0SRE", otherChannel, access.ActionOperate, "prod", false},
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

// TestAccessExampleResources checks the example's comment on reading
// processors and connections: a read-only role lists workspaces, not
// processors.
func TestAccessExampleResources(t *testing.T) {
	p := loadExample(t)
	tests := []struct {
		user     string
		action   access.Action
		resource access.Resource
		want     bool
	}{
		{"U0SRE", access.ActionList, access.ResourceWorkspace, true},
		{"U0SRE", access.ActionList, access.ResourceProcessor, false},
		{"U0SRE", access.ActionList, access.ResourceConnection, false},
		{"U0PLATFORM", access.ActionList, access.ResourceProcessor, true},
		{"U0PLATFORM", access.ActionDescribe, access.ResourceProcessor, true},
		{"U0PLATFORM", access.ActionList, access.ResourceConnection, true},
	}
	for _, tc := range tests {
		d := p.Authorize(t.Context(), access.Request{TeamID: "T1", UserID: tc.user, ChannelID: "C0OTHER", Action: tc.action, Resource: tc.resource, Project: "dev"})
		if d.Allowed != tc.want {
			t.Errorf("Authorize(%s %s %q on dev) = %v (%s), want %v", tc.user, tc.action, tc.resource, d.Allowed, d.Reason, tc.want)
		}
	}
}

// TestAccessExampleApprovalsAndContact checks the example's approvals and
// admin_contact comments: prod's changes wait for an SRE or the lead, never
// for the requester, and denials name the platform group.
func TestAccessExampleApprovalsAndContact(t *testing.T) {
	p := loadExample(t)
	const prodID = "5f1a2b3c4d5e6f7a8b9c0d1e"
	for _, a := range []access.Action{access.ActionCreate, access.ActionUpdate, access.ActionDelete, access.ActionOperate} {
		ap, ok := p.ApprovalFor(prodID, a)
		if !ok || ap.Expires != time.Hour || len(ap.Approvers) != 2 {
			t.Errorf("ApprovalFor(prod, %s) = %+v, %v; want the SREs and the lead, 1h", a, ap, ok)
		}
	}
	if _, ok := p.ApprovalFor(prodID, access.ActionList); ok {
		t.Error("ApprovalFor(prod, list) = true; reading never waits")
	}
	if _, ok := p.ApprovalFor("6a1b2c3d4e5f6a7b8c9d0e1f", access.ActionCreate); ok {
		t.Error("ApprovalFor(dev, create) = true; only prod is protected")
	}
	approve := func(user, requester string) bool {
		return p.CanApprove(t.Context(), access.ApproveRequest{TeamID: "T1", UserID: user, GroupID: prodID, Action: access.ActionCreate, RequesterID: requester}).Allowed
	}
	if !approve("U0SRE", "U012ABCDEF") || !approve("U0LEAD", "U012ABCDEF") {
		t.Error("an SRE or the lead cannot approve the prod owner's create")
	}
	if approve("U0LEAD", "U0LEAD") || approve("U0PLATFORM", "U012ABCDEF") {
		t.Error("the requester or a non-approver can approve")
	}
	d := p.Authorize(t.Context(), access.Request{TeamID: "T1", UserID: "U0STRANGER", ChannelID: "C0OTHER", Action: access.ActionList, Project: "dev"})
	if want := "ask <!subteam^S0PLATFORM>"; d.Allowed || !strings.HasSuffix(d.Mrkdwn(), want) {
		t.Errorf("a stranger's denial = %q, want it to end %q", d.Mrkdwn(), want)
	}
}

// loadExample loads the example with the membership its comments assume.
func loadExample(t *testing.T) *access.Policy {
	t.Helper()
	data, err := os.ReadFile("access.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := access.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return p.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))).WithGroups(groups{
		"S0PLATFORM": {"U0PLATFORM"},
		"S0SRE":      {"U0SRE"},
	})
}
