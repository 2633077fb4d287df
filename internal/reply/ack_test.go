package reply

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/internal/testtools"
)

func TestAckGolden(t *testing.T) {
	tests := []struct {
		name string
		ack  Ack
	}{
		{"create", AckCreate(Creating{Project: "dev", Name: "orders-ws", Provider: "AWS", Region: "VIRGINIA_USA", Tier: "SP30"})},
		{"create_mapped", AckCreate(Creating{Project: "prod", Name: "orders-ws", Provider: "AWS", Region: "VIRGINIA_USA",
			RegionInput: "us-east-1", Tier: "SP10", MaxTier: "SP50", SampleSolar: true})},
		// the texts command.Op.Working declares for list and describe
		{"list", AckWorking("listing the stream workspaces in project %[1]s…", "dev", "")},
		{"describe", AckWorking("looking up %[2]s in project %[1]s…", "5f1a2b3c4d5e6f7a8b9c0d1e", "orders-ws")},
		{"help", AckHelp("Usage:\n  /stream create <name> [--region R]\n  /stream help")},
		{"usage", AckUsage("unknown flag --teir in `create <!channel> --teir SP30`; did you mean --tier?\nusage: /stream create <name> [--tier T]")},
		{"denied", AckDenied("create on project prod needs one of GROUP_OWNER, GROUP_DATA_ACCESS_ADMIN, GROUP_STREAM_PROCESSING_OWNER; ask a policy admin")},
		{"denied_contact", AckDeniedMrkdwn(access.Decision{Reason: "you have GROUP_READ_ONLY (through group:S0SRE) on project prod, " +
			"but create needs one of GROUP_OWNER, GROUP_DATA_ACCESS_ADMIN, GROUP_STREAM_PROCESSING_OWNER; ask user:U0LEAD"}.Mrkdwn())},
		{"invalid", AckInvalid(errors.Join(
			errors.New(`invalid dataProcessRegion.region "eastus": eastus is offered on AZURE, not on AWS`),
			errors.New(`invalid streamConfig.maxTierSize "SP2": the max tier must not be below the tier SP30`)))},
		{"dry_run_delete", AckDryRun("delete", "DELETE", "/api/atlas/v2/groups/6a1b2c3d4e5f6a7b8c9d0e1f/streams/orders-ws", nil)},
		{"dry_run", AckDryRun("create", "POST", "/api/atlas/v2/groups/6a1b2c3d4e5f6a7b8c9d0e1f/streams",
			[]byte(`{"name":"orders-ws","dataProcessRegion":{"cloudProvider":"AWS","region":"VIRGINIA_USA"},"streamConfig":{"tier":"SP30"}}`))},
		{"handoff_failed", AckHandoffFailed("398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")},
		{"handoff_unknown", AckHandoffUnknown("398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("testdata", "ack_"+tc.name+".golden.json")
			got := tc.ack.JSON()
			testtools.Golden(t, path, got)
			var back Ack
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("Ack JSON does not decode: %v", err)
			}
			if diff := cmp.Diff(tc.ack, back); diff != "" {
				t.Errorf("Ack JSON round trip mismatch (-want +got):\n%s", diff)
			}
			if back.ResponseType != Ephemeral {
				t.Errorf("response_type = %q, want %q", back.ResponseType, Ephemeral)
			}
		})
	}
}

func TestAckCreateText(t *testing.T) {
	got := AckCreate(Creating{Name: "orders-ws", Provider: "AWS", Region: "VIRGINIA_USA", Tier: "SP30"}).Text
	want := "Working on it: creating `orders-ws` in AWS / VIRGINIA_USA (SP30)…"
	if got != want {
		t.Errorf("AckCreate text = %q, want %q", got, want)
	}
	mapped := AckCreate(Creating{Name: "orders-ws", Provider: "AWS", Region: "VIRGINIA_USA", RegionInput: "us-east-1", Tier: "SP30"}).Text
	if !strings.Contains(mapped, "us-east-1 → VIRGINIA_USA") {
		t.Errorf("AckCreate text = %q, want it to mention us-east-1 → VIRGINIA_USA", mapped)
	}
}

// TestDeniedKeepsMentions checks that a decision's Slack text reaches the
// caller as it is, in an ack and in a click's notice: its mentions of whom
// to ask stay mentions (not escaped twice into text) and anything else is
// escaped once.
func TestDeniedKeepsMentions(t *testing.T) {
	d := access.Decision{Reason: "you have GROUP_READ_ONLY (through group:S0SRE) on project prod; ask channel:C0ADMINS <!channel> & co"}
	const want = "you have GROUP_READ_ONLY (through <!subteam^S0SRE>) on project prod; ask <#C0ADMINS> &lt;!channel&gt; &amp; co"
	if got := AckDeniedMrkdwn(d.Mrkdwn()).Text; got != ":no_entry: Not allowed: "+want {
		t.Errorf("AckDeniedMrkdwn text = %q, want %q", got, ":no_entry: Not allowed: "+want)
	}
	if got := DeniedNotice(d.Mrkdwn()).Text; got != "🚫 Not allowed: "+want {
		t.Errorf("DeniedNotice text = %q, want %q", got, "🚫 Not allowed: "+want)
	}
	if got := AckDenied(d.Reason).Text; strings.Contains(got, "<#C0ADMINS>") || !strings.Contains(got, "&lt;!channel&gt;") {
		t.Errorf("AckDenied text = %q, want plain text, all escaped", got)
	}
}

// TestAcksEscapeUserText checks that no Ack lets a mention, a broadcast or a
// link through, whichever field the hostile text arrives in.
func TestAcksEscapeUserText(t *testing.T) {
	const evil = "<!channel> <@U123> <http://evil.example|click> &"
	acks := map[string]Ack{
		"create":  AckCreate(Creating{Project: evil, Name: evil, Provider: evil, Region: evil, RegionInput: evil, Tier: evil, MaxTier: evil}),
		"working": AckWorking("looking up %[2]s in project %[1]s…", evil, evil),
		"help":    AckHelp(evil),
		"usage":   AckUsage(evil),
		"denied":  AckDenied(evil),
		"invalid": AckInvalid(errors.New(evil)),
		"dry_run": AckDryRun(evil, evil, evil, []byte(evil)),
		"handoff": AckHandoffFailed(evil),
		"text":    AckText(evil),
		"unknown": AckHandoffUnknown(evil),
	}
	for name, a := range acks {
		t.Run(name, func(t *testing.T) {
			if strings.ContainsAny(a.Text, "<>") {
				t.Errorf("%s text = %q, want no raw < or >", name, a.Text)
			}
			if !strings.Contains(a.Text, "&lt;!channel&gt;") {
				t.Errorf("%s text = %q, want the escaped &lt;!channel&gt;", name, a.Text)
			}
			if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(a.Text, "&amp;", ""), "&lt;", ""), "&gt;", ""), "&") {
				t.Errorf("%s text = %q, want every & escaped", name, a.Text)
			}
		})
	}
}

// AckNone is the one empty Ack: the edge sends it as an empty 200.
func TestAckNone(t *testing.T) {
	if !AckNone().Empty() {
		t.Error("AckNone().Empty() = false")
	}
	for _, a := range []Ack{AckText(""), AckHelp("help"), AckDenied("")} {
		if a.Empty() {
			t.Errorf("%+v.Empty() = true, want only AckNone empty", a)
		}
	}
	if a := AckText("form could not open"); a.ResponseType != Ephemeral || a.Text != "form could not open" {
		t.Errorf("AckText = %+v, want an ephemeral with the text", a)
	}
}
