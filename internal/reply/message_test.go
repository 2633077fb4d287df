package reply

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/testtools"
	"github.com/streambot/streambot/pkg/atlas"
)

// goldenJSON renders m as indented JSON with &, < and > kept readable.
func goldenJSON(t *testing.T, m Message) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		t.Fatalf("encode message: %v", err)
	}
	return buf.Bytes()
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	testtools.Golden(t, filepath.Join("testdata", name+".golden.json"), got)
}

var sampleWorkspace = atlas.StreamWorkspace{
	ID:                "32b6e34b3d91647abb20e7b8",
	GroupID:           "6a1b2c3d4e5f6a7b8c9d0e1f",
	Name:              "orders-ws",
	DataProcessRegion: &atlas.DataProcessRegion{CloudProvider: atlas.ProviderAWS, Region: "VIRGINIA_USA"},
	StreamConfig:      &atlas.StreamConfig{Tier: atlas.TierSP30, MaxTierSize: atlas.TierSP50},
	SampleConnections: &atlas.SampleConnections{Solar: atlas.Ptr(true)},
	Hostnames:         []string{"atlas-stream-abc-x1.virginia-usa.a.query.mongodb.net", "atlas-stream-abc-x2.virginia-usa.a.query.mongodb.net"},
	Connections:       []atlas.Connection{{Name: "sample_stream_solar", Type: "Sample"}},
}

const uiURL = "https://cloud.mongodb.com/v2/6a1b2c3d4e5f6a7b8c9d0e1f#/streamProcessing"

func TestMessageGolden(t *testing.T) {
	req := Request{UserID: "U012ABCDEF", Name: "orders-ws", Provider: "AWS", Region: "VIRGINIA_USA", Tier: "SP30", MaxTier: "SP50", Project: "dev"}
	pending := sampleWorkspace
	pending.Hostnames = nil
	seed400 := &atlas.APIError{StatusCode: 400, ErrorCode: "VALIDATION_ERROR", Reason: "Bad Request",
		Detail: "(This is just an example, the exception may not be related to this endpoint) No provider AWS exists."}
	fields := &atlas.APIError{StatusCode: 400, ErrorCode: "INVALID_ATTRIBUTE", Reason: "Bad Request", Detail: "Invalid attribute <name> specified.",
		BadRequestDetail: &atlas.BadRequestDetail{Fields: []atlas.FieldViolation{{Field: "name", Description: "must match ^[a-z]+$ & be <64"}}}}
	tests := []struct {
		name string
		msg  Message
	}{
		{"parent_pending", Parent(req, StatusPending)},
		{"parent_done", Parent(req, StatusDone)},
		{"created", Created(Success{Workspace: sampleWorkspace, Project: "dev", UIURL: uiURL, SampleSolar: true})},
		{"already_existed", Created(Success{Workspace: sampleWorkspace, Project: "dev", UIURL: uiURL, AlreadyExisted: true})},
		{"created_pending_hostnames", Created(Success{Workspace: pending, Project: "dev", UIURL: uiURL})},
		{"failed_400_seed", Failed(Failure{Action: "create", Name: "orders-ws", Project: "dev", Err: seed400})},
		{"failed_400_fields", Failed(Failure{Action: "create", Name: "orders-ws", Project: "dev", Err: fields})},
		{"failed_429", Failed(Failure{Action: "create", Name: "orders-ws", Project: "dev", Tries: 4,
			Err: &atlas.APIError{StatusCode: 429, ErrorCode: "RATE_LIMITED", Reason: "Too Many Requests"}})},
		{"failed_timeout", Failed(Failure{Action: "create", Name: "orders-ws", Project: "dev",
			Summary: "Atlas did not answer in time and the workspace does not exist (yet).", Advice: "Run /stream describe orders-ws in a minute."})},
		{"denied", Denied("create on project dev needs one of GROUP_OWNER; you have GROUP_READ_ONLY")},
		{"not_found", NotFound("orders-ws", "dev")},
		{"list", List("dev", []atlas.StreamWorkspace{sampleWorkspace, pending})},
		{"list_empty", List("dev", nil)},
		{"describe", Describe("dev", sampleWorkspace, uiURL)},
		{"describe_delete_button", Describe("dev", sampleWorkspace, uiURL, askDelete)},
		{"list_describe_buttons", List("dev", []atlas.StreamWorkspace{sampleWorkspace, pending}, describeA, describeB)},
		{"ask_update", AskUpdate(UpdateAsk{UserID: "U012ABCDEF", Name: "orders-ws", Project: "dev",
			Changes: []Change{{Field: "tier", Before: "SP10", After: "SP30"}, {Field: "max tier", After: "SP50"}},
			Apply:   applyButton, Cancel: cancelButton})},
		{"ask_delete", AskDelete(DeleteAsk{UserID: "U012ABCDEF", Project: "dev", Workspace: sampleWorkspace,
			Counts: &Counts{Processors: 3, Running: 1, Connections: 2}, Delete: deleteButton, Cancel: cancelButton})},
		{"ask_delete_counts_unknown", AskDelete(DeleteAsk{UserID: "U012ABCDEF", Project: "dev", Workspace: pending,
			Delete: deleteButton, Cancel: cancelButton})},
		{"decided_confirmed", Decided(Decision{Op: "update", UserID: "U012ABCDEF", Name: "orders-ws", Project: "dev",
			Summary: "tier → SP30", By: "U012ABCDEF", At: decidedAt, Confirmed: true, Status: StatusDone})},
		{"decided_cancelled", Decided(Decision{Op: "delete", UserID: "U012ABCDEF", Name: "orders-ws", Project: "dev",
			By: "U012ABCDEF", At: decidedAt, Status: StatusPending})},
		{"decided_expired", Decided(Decision{Op: "delete", UserID: "U012ABCDEF", Name: "orders-ws", Project: "dev",
			By: "U012ABCDEF", At: decidedAt, Confirmed: true, Expired: true, Status: StatusPending})},
		{"deleted", Deleted("dev", sampleWorkspace, false, false)},
		{"deleted_pending", Deleted("dev", sampleWorkspace, false, true)},
		{"already_deleted", Deleted("dev", atlas.StreamWorkspace{Name: "orders-ws"}, true, false)},
		{"updated", Updated("dev", sampleWorkspace, []Change{{Field: "tier", Before: "SP10", After: "SP30"}})},
		{"no_change", NoChange("orders-ws", "dev", []Change{{Field: "tier", Before: "SP30", After: "SP30"}})},
		{"notice", Notice("Only the person who asked can confirm this; nothing was done.")},
		{"approval_waiting", ApprovalMessage(sampleApproval("pending_approval", true))},
		{"approval_done", ApprovalMessage(sampleApproval("done", false))},
		{"approval_rejected", ApprovalMessage(sampleApproval("rejected", false))},
		{"approval_expired", ApprovalMessage(sampleApproval("expired", false))},
		{"approval_note", ApprovalNote(sampleApproval("pending_approval", false), cancelButton)},
		{"approval_decided", ApprovalDecided("approved", "U0LEAD")},
		{"history", History("prod", "", []HistoryEntry{
			{When: decidedAt, Who: "U012ABCDEF", Op: "create", Target: "billing-ws", ApprovedBy: "U0LEAD", Status: "done", Outcome: "created",
				Link: Permalink("C0123ABCD", "1741771920.000300")},
			{When: decidedAt.Add(-time.Hour), Who: "U012ABCDEF", Op: "delete", Target: "old-ws", Status: "rejected", Outcome: "by U0LEAD"},
		})},
		{"history_empty", History("prod", "orders-ws", nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkGolden(t, "msg_"+tc.name, goldenJSON(t, tc.msg))
		})
	}
}

// sampleApproval is a create on prod waiting for, or decided by, U0LEAD.
func sampleApproval(status string, buttons bool) Approval {
	a := Approval{Requester: "U012ABCDEF", Op: "create", Target: "billing-ws", Project: "prod",
		Method: "POST", Path: "/api/atlas/v2/groups/5f1a2b3c4d5e6f7a8b9c0d1e/streams",
		Body:      []byte(`{"name":"billing-ws","dataProcessRegion":{"cloudProvider":"AWS","region":"VIRGINIA_USA"},"streamConfig":{"tier":"SP10"}}`),
		Approvers: []string{"<!subteam^S0SRE>", "<@U0LEAD>"}, ExpiresAt: decidedAt.Add(time.Hour), Status: status, Outcome: "created"}
	if status != "pending_approval" {
		a.DecidedBy = "U0LEAD"
	}
	if buttons {
		a.Approve = &Button{Label: "Approve", ActionID: "streambot.approve.create", Value: "v-approve", BlockID: block0, Style: slack.StylePrimary}
		a.Reject = &Button{Label: "Reject", ActionID: "streambot.reject.create", Value: "v-reject", BlockID: block0, Style: slack.StyleDanger}
	}
	return a
}

var (
	decidedAt    = time.Date(2025, 3, 12, 9, 31, 0, 0, time.UTC)
	block0       = "streambot.6a1b2c3d4e5f6a7b8c9d0e1f.op-1.0"
	applyButton  = Button{Label: "Apply", ActionID: "streambot.confirm.update", Value: "v-apply", BlockID: block0, Style: slack.StylePrimary}
	cancelButton = Button{Label: "Cancel", ActionID: "streambot.cancel.update", Value: "v-cancel", BlockID: block0}
	deleteButton = Button{Label: "Delete", ActionID: "streambot.confirm.delete", Value: "v-delete", BlockID: block0, Style: slack.StyleDanger,
		Confirm: &Confirm{Title: "Delete orders-ws?", Text: "It cannot be undone.", Yes: "Delete", No: "Keep it"}}
	askDelete = Button{Label: "Delete…", ActionID: "streambot.ask.delete", Value: "v-ask", BlockID: block0}
	describeA = Button{Label: "Describe orders-ws", ActionID: "streambot.ask.describe", Value: "v-a", BlockID: block0}
	describeB = Button{Label: "Describe other", ActionID: "streambot.ask.describe", Value: "v-b", BlockID: block0}
)

// Slack's limits: 25 buttons in an actions block, 50 blocks in a message.
func TestButtonsWithinSlackLimits(t *testing.T) {
	ws := []atlas.StreamWorkspace{sampleWorkspace, sampleWorkspace}
	var bs []Button
	for i := range 1500 { // more than 50 blocks of 25 can hold
		bs = append(bs, Button{Label: "Describe", ActionID: "streambot.ask.describe", Value: "v",
			BlockID: "streambot.g.op." + strconv.Itoa(i/MaxButtonsPerBlock)})
	}
	m := List("dev", ws, bs...)
	if len(m.Blocks) > 50 {
		t.Fatalf("blocks = %d, more than Slack's 50", len(m.Blocks))
	}
	ids := map[string]bool{}
	for _, b := range m.Blocks {
		if a, ok := b.(*slack.ActionBlock); ok {
			if n := len(a.Elements.ElementSet); n > MaxButtonsPerBlock {
				t.Errorf("actions block with %d buttons", n)
			}
			if ids[a.BlockID] {
				t.Errorf("block_id %s twice in one message", a.BlockID)
			}
			ids[a.BlockID] = true
		}
	}
	if !strings.Contains(string(goldenJSON(t, m)), "more buttons did not fit") {
		t.Error("the buttons that did not fit are not mentioned")
	}
}

func TestMessagesEscapeAtlasAndUserText(t *testing.T) {
	evil := "<!channel> & <@U999|x>"
	ws := sampleWorkspace
	ws.Name = evil
	ws.Hostnames = []string{evil}
	msgs := map[string]Message{
		"parent":     Parent(Request{UserID: evil, Name: evil, Project: evil}, StatusPending),
		"created":    Created(Success{Workspace: ws, Project: evil}),
		"failed":     Failed(Failure{Action: "create", Name: evil, Project: evil, Summary: evil, Err: &atlas.APIError{StatusCode: 400, Reason: evil, ErrorCode: evil, Detail: evil, BadRequestDetail: &atlas.BadRequestDetail{Fields: []atlas.FieldViolation{{Field: evil, Description: evil}}}}}),
		"denied":     Denied(evil),
		"notfound":   NotFound(evil, evil),
		"list":       List(evil, []atlas.StreamWorkspace{ws}),
		"describe":   Describe(evil, ws, ""),
		"ask_update": AskUpdate(UpdateAsk{UserID: evil, Name: evil, Project: evil, Changes: []Change{{Field: evil, Before: evil, After: evil}}}),
		"ask_delete": AskDelete(DeleteAsk{UserID: evil, Project: evil, Workspace: ws}),
		"decided":    Decided(Decision{Op: evil, UserID: evil, Name: evil, Project: evil, Summary: evil, By: evil, Confirmed: true}),
		"deleted":    Deleted(evil, ws, false, true),
		"updated":    Updated(evil, ws, []Change{{Field: evil, Before: evil, After: evil}}),
		"no_change":  NoChange(evil, evil, []Change{{Field: evil, After: evil}}),
		"notice":     Notice(evil),
		"approval": ApprovalMessage(Approval{Requester: evil, Op: evil, Target: evil, Project: evil, Method: evil, Path: evil,
			Body: []byte(evil), Status: "rejected", DecidedBy: evil, Outcome: evil}),
		"approval_status": ApprovalMessage(Approval{Status: evil}),
		"history":         History(evil, evil, []HistoryEntry{{Who: evil, Op: evil, Target: evil, ApprovedBy: evil, Status: evil, Outcome: evil}}),
		"decided_note":    ApprovalDecided(evil, evil),
	}
	for name, m := range msgs {
		raw := string(goldenJSON(t, m))
		for _, bad := range []string{"<!channel>", "<@U999"} {
			if strings.Contains(raw, bad) {
				t.Errorf("%s message contains unescaped %q:\n%s", name, bad, raw)
			}
		}
		if !strings.Contains(raw, "&lt;!channel&gt;") {
			t.Errorf("%s message lost the escaped text:\n%s", name, raw)
		}
	}
}

func TestAdvice(t *testing.T) {
	tests := []struct {
		status, tries int
		want          string
	}{
		{401, 1, "API access list"},
		{403, 1, "lacks a project role"},
		{402, 1, "billing"},
		{404, 1, "project"},
		{409, 1, "name is taken"},
		{429, 4, "after 4 tries"},
		{500, 1, "safe to try again"},
		{503, 1, "safe to try again"},
	}
	for _, tc := range tests {
		if got := Advice(tc.status, tc.tries); !strings.Contains(got, tc.want) {
			t.Errorf("Advice(%d, %d) = %q, want it to contain %q", tc.status, tc.tries, got, tc.want)
		}
	}
	if got := Advice(418, 1); got != "" {
		t.Errorf("Advice(418, 1) = %q, want \"\"", got)
	}
}

func TestTruncateKeepsUTF8(t *testing.T) {
	s := strings.Repeat("한", 2000)
	got := truncate(s, 100)
	if len(got) > 100 || !strings.HasSuffix(got, "…") || !json.Valid([]byte(`"`+got+`"`)) {
		t.Errorf("truncate(..., 100) = %q (len %d)", got, len(got))
	}
}

func TestTruncateKeepsEntities(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"cut inside &amp;", "ab&amp;cd", 7, "ab…"},
		{"cut inside &lt;", "ab&lt;&gt;", 9, "ab&lt;…"},
		{"cut after a whole entity", "ab&lt;cdefgh", 9, "ab&lt;…"},
		{"no entity", "abcdefgh", 5, "ab…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := truncate(tc.in, tc.n); got != tc.want {
				t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
		})
	}
	// A long Atlas detail full of escaped characters is cut between
	// entities: Slack shows "&…", never a broken "&am…".
	m := Failed(Failure{Action: "create", Name: "orders-ws", Project: "dev",
		Err: &atlas.APIError{StatusCode: 400, Reason: "Bad Request", Detail: strings.Repeat("&", 3000)}})
	for _, b := range m.Blocks {
		raw, _ := json.Marshal(b)
		var sec struct {
			Text struct{ Text string } `json:"text"`
		}
		json.Unmarshal(raw, &sec)
		if txt := strings.TrimSuffix(sec.Text.Text, "```"); strings.HasSuffix(txt, "…") {
			body := strings.TrimSuffix(txt, "…")
			if amp := strings.LastIndexByte(body, '&'); amp >= 0 && !strings.Contains(body[amp:], ";") {
				t.Errorf("section ends in a broken entity: …%q", body[max(len(body)-12, 0):])
			}
		}
	}
}

func TestCreatedSampleConnection(t *testing.T) {
	bare := sampleWorkspace
	bare.SampleConnections, bare.Connections = nil, nil
	flagged := bare
	flagged.SampleConnections = &atlas.SampleConnections{Solar: atlas.Ptr(true)}
	tests := []struct {
		name    string
		s       Success
		wantOne bool
	}{
		{"created, Atlas lists it", Success{Workspace: sampleWorkspace, SampleSolar: true}, true},
		{"created, Atlas's answer silent", Success{Workspace: bare, SampleSolar: true}, true},
		{"already existed, Atlas reports the flag", Success{Workspace: flagged, SampleSolar: true, AlreadyExisted: true}, true},
		{"already existed without it: no claim", Success{Workspace: bare, SampleSolar: true, AlreadyExisted: true}, false},
		{"not asked", Success{Workspace: sampleWorkspace}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := Created(tc.s)
			if got := strings.Contains(m.Text, "Sample connection: sample_stream_solar"); got != tc.wantOne {
				t.Errorf("Created() text %q: mentions the sample connection = %v, want %v", m.Text, got, tc.wantOne)
			}
		})
	}
}
