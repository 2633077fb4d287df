package form_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/form"
	"github.com/streambot/streambot/internal/reply/slackrec"
	"github.com/streambot/streambot/internal/testtools"
	"github.com/streambot/streambot/pkg/atlas"
)

// opened is when the test forms were opened: 2026-12-07T00:00:00Z.
var opened = time.Unix(1796601600, 0).UTC()

var (
	dev    = form.Project{Alias: "dev", GroupID: "6a1b2c3d4e5f6a7b8c9d0e1f"}
	prod   = form.Project{Alias: "prod", GroupID: "5f1a2b3c4d5e6f7a8b9c0d1e"}
	byID   = form.Project{GroupID: "0123456789abcdef01234567"}
	origin = form.Origin{Channel: "C0123ABCD", User: "U012ABCDEF", Issued: opened}
	// shortcut is a form opened from the global shortcut: no channel.
	shortcut = form.Origin{User: "U012ABCDEF", Issued: opened}
)

// viewJSON renders v as indented JSON with &, < and > kept readable.
func viewJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encode view: %v", err)
	}
	return buf.Bytes()
}

func build(t *testing.T, in form.CreateForm) slack.ModalViewRequest {
	t.Helper()
	v, err := form.BuildCreateView(in)
	if err != nil {
		t.Fatalf("BuildCreateView(%+v): %v", in, err)
	}
	return v
}

var viewCases = []struct {
	name string
	in   form.CreateForm
}{
	{"one_project", form.CreateForm{Origin: origin, Projects: []form.Project{dev}}},
	{"projects", form.CreateForm{Origin: origin, Projects: []form.Project{dev, prod, byID}, DefaultProject: prod.GroupID, DefaultRegion: "us-east-1"}},
	{"shortcut", form.CreateForm{Origin: shortcut, Projects: []form.Project{dev, prod}}},
}

// TestCreateViewGolden pins the form's JSON and its text rendering, and
// checks each view against the recording Slack's Block Kit validation.
func TestCreateViewGolden(t *testing.T) {
	for _, tc := range viewCases {
		t.Run(tc.name, func(t *testing.T) {
			v := build(t, tc.in)
			raw := viewJSON(t, v)
			testtools.Golden(t, filepath.Join("testdata", "view_"+tc.name+".golden.json"), raw)
			testtools.Golden(t, filepath.Join("testdata", "view_"+tc.name+".golden.txt"), []byte(form.RenderViewAsText(v)))
			if msgs := slackrec.ValidateView(raw); len(msgs) != 0 {
				t.Errorf("the view breaks Block Kit's rules:\n%s", strings.Join(msgs, "\n"))
			}
		})
	}
}

// TestCreateViewShape checks what the goldens could hide: which fields each
// form has, what is preselected, and the metadata.
func TestCreateViewShape(t *testing.T) {
	type shape struct {
		Blocks          []string
		Project, Region string // the preselected values
		Tier            string
		Metadata        string
	}
	tests := []struct {
		in   form.CreateForm
		want shape
	}{
		{viewCases[0].in, shape{
			Blocks:  []string{"intro", "name", "project", "region", "tier", "max_tier", "sample_solar"},
			Project: dev.GroupID, Tier: "SP30", Metadata: "v1|C0123ABCD|U012ABCDEF|1796601600",
		}},
		{viewCases[1].in, shape{
			Blocks:  []string{"intro", "name", "project", "region", "tier", "max_tier", "sample_solar"},
			Project: prod.GroupID, Region: "VIRGINIA_USA", Tier: "SP30", Metadata: "v1|C0123ABCD|U012ABCDEF|1796601600",
		}},
		{viewCases[2].in, shape{
			Blocks: []string{"name", "project", "region", "tier", "max_tier", "sample_solar", "channel"},
			Tier:   "SP30", Metadata: "v1|dm|U012ABCDEF|1796601600",
		}},
		{form.CreateForm{Origin: form.Origin{Channel: "D0DM12345", User: "U1", Issued: opened}, Projects: []form.Project{dev, prod}, DefaultProject: byID.GroupID, DefaultRegion: "nowhere"}, shape{
			Blocks: []string{"intro", "name", "project", "region", "tier", "max_tier", "sample_solar"},
			Tier:   "SP30", Metadata: "v1|D0DM12345|U1|1796601600",
		}},
	}
	for i, tc := range tests {
		v := build(t, tc.in)
		got := shape{Metadata: v.PrivateMetadata}
		for _, b := range v.Blocks.BlockSet {
			switch b := b.(type) {
			case *slack.InputBlock:
				got.Blocks = append(got.Blocks, b.BlockID)
				sel, ok := b.Element.(*slack.SelectBlockElement)
				if !ok || sel.InitialOption == nil {
					continue
				}
				switch b.BlockID {
				case form.BlockProject:
					got.Project = sel.InitialOption.Value
				case form.BlockRegion:
					got.Region = sel.InitialOption.Value
				case form.BlockTier:
					got.Tier = sel.InitialOption.Value
				default:
					t.Errorf("case %d: %s has an initial option", i, b.BlockID)
				}
			case *slack.ContextBlock:
				got.Blocks = append(got.Blocks, b.BlockID)
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("case %d: BuildCreateView (-want +got):\n%s", i, diff)
		}
		if v.CallbackID != form.CallbackID || v.Type != slack.VTModal {
			t.Errorf("case %d: callback_id %q type %q", i, v.CallbackID, v.Type)
		}
		if ch := tc.in.Origin.Channel; ch != "" {
			want := "posted in <#" + ch + ">"
			if strings.HasPrefix(ch, "D") {
				want = "posted in this direct message"
			}
			if text := form.RenderViewAsText(v); !strings.Contains(text, want) {
				t.Errorf("case %d: the form does not say %q:\n%s", i, want, text)
			}
		}
	}
}

// TestRegionOptions checks that the region select offers every region
// Atlas has, once, in its provider's group, showing both names.
func TestRegionOptions(t *testing.T) {
	v := build(t, viewCases[0].in)
	var sel *slack.SelectBlockElement
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok && in.BlockID == form.BlockRegion {
			sel = in.Element.(*slack.SelectBlockElement)
		}
	}
	if sel == nil || len(sel.Options) != 0 || len(sel.OptionGroups) != len(atlas.Providers) {
		t.Fatalf("region select %+v; want one option group per provider", sel)
	}
	for i, p := range atlas.Providers {
		g := sel.OptionGroups[i]
		var got []string
		for _, o := range g.Options {
			got = append(got, o.Value)
			r, ok := command.LookupRegion(o.Value)
			if !ok || r.Provider != p || r.Name != o.Value {
				t.Errorf("group %s offers %q, which is not one of its regions", p, o.Value)
			}
			want := r.Name
			if r.Code != "" {
				want = r.Code + " · " + r.Name
			}
			if o.Text.Text != want {
				t.Errorf("option %s shows %q, want %q", o.Value, o.Text.Text, want)
			}
		}
		if g.Label.Text != string(p) || len(got) > form.MaxOptions {
			t.Errorf("group %d: label %q with %d options", i, g.Label.Text, len(got))
		}
		if diff := cmp.Diff(atlas.Regions(p), got); diff != "" {
			t.Errorf("group %s (-want +got):\n%s", p, diff)
		}
	}
}

func TestBuildCreateViewRefuses(t *testing.T) {
	many := make([]form.Project, form.MaxOptions+1)
	for i := range many {
		many[i] = form.Project{GroupID: fmt.Sprintf("%024x", i)}
	}
	tests := []struct {
		name string
		in   form.CreateForm
		want error
	}{
		{"no project", form.CreateForm{Origin: origin}, form.ErrNoProjects},
		{"101 projects", form.CreateForm{Origin: origin, Projects: many}, form.ErrTooManyProjects},
		{"bad channel", form.CreateForm{Origin: form.Origin{Channel: "C1|x", User: "U1", Issued: opened}, Projects: []form.Project{dev}}, form.ErrBadMetadata},
		{"no user", form.CreateForm{Origin: form.Origin{Channel: "C1", Issued: opened}, Projects: []form.Project{dev}}, form.ErrBadMetadata},
		{"no time", form.CreateForm{Origin: form.Origin{Channel: "C1", User: "U1"}, Projects: []form.Project{dev}}, form.ErrBadMetadata},
		{"bad group ID", form.CreateForm{Origin: origin, Projects: []form.Project{{Alias: "x", GroupID: "prod"}}}, atlas.ErrInvalid},
	}
	for _, tc := range tests {
		if _, err := form.BuildCreateView(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: BuildCreateView = %v, want %v", tc.name, err, tc.want)
		}
	}
	// exactly 100 fit
	if _, err := form.BuildCreateView(form.CreateForm{Origin: origin, Projects: many[:form.MaxOptions]}); err != nil {
		t.Errorf("BuildCreateView(100 projects) = %v", err)
	}
}

// TestLongProjectNames checks that a policy's long alias is cut to an
// option's 75 characters and the view still validates.
func TestLongProjectNames(t *testing.T) {
	long := form.Project{Alias: strings.Repeat("a", 200), GroupID: dev.GroupID}
	v := build(t, form.CreateForm{Origin: origin, Projects: []form.Project{long, dev}})
	if msgs := slackrec.ValidateView(viewJSON(t, v)); len(msgs) != 0 {
		t.Errorf("view with a long alias breaks Block Kit's rules: %q", msgs)
	}
}

// TestOpenThroughSlack opens the form the way the Slack edge will — a
// loading view at once, then views.update with the form — against the
// recording Slack, and checks what it recorded reads back as the same form.
func TestOpenThroughSlack(t *testing.T) {
	rec := slackrec.New(t, "xoxb-test")
	api := slack.New("xoxb-test", slack.OptionAPIURL(rec.APIURL()))
	ctx := context.Background()

	loading, err := api.OpenViewContext(ctx, "1337.42.abcd", form.LoadingView())
	if err != nil {
		t.Fatalf("views.open(LoadingView): %v", err)
	}
	v := build(t, viewCases[2].in)
	if _, err := api.UpdateViewContext(ctx, v, "", loading.Hash, loading.ID); err != nil {
		t.Fatalf("views.update(form): %v", err)
	}
	calls := rec.Delivered(slackrec.ViewsOpen, slackrec.ViewsUpdate)
	if len(calls) != 2 || calls[0].TriggerID != "1337.42.abcd" || calls[1].ViewID != loading.ID {
		t.Fatalf("recorded %+v; want views.open with the trigger_id, then views.update of its view", calls)
	}
	var back slack.ModalViewRequest
	if err := json.Unmarshal(calls[1].View, &back); err != nil {
		t.Fatal(err)
	}
	if got, want := form.RenderViewAsText(back), form.RenderViewAsText(v); got != want {
		t.Errorf("the recorded view reads back differently:\n got: %s\nwant: %s", got, want)
	}
}

func TestFallback(t *testing.T) {
	c, err := command.Parse(strings.TrimPrefix(form.FallbackExample, "/stream "))
	if err != nil || c.Name != command.Create || c.Workspace == "" || c.Region == "" {
		t.Errorf("FallbackExample %q parses as %+v, %v; want a create with a region", form.FallbackExample, c, err)
	}
	if !strings.Contains(form.FallbackText(), "`"+form.FallbackExample+"`") {
		t.Errorf("FallbackText() = %q, want it to show the example line", form.FallbackText())
	}

	rec := slackrec.New(t, "xoxb-test")
	api := slack.New("xoxb-test", slack.OptionAPIURL(rec.APIURL()))
	v := build(t, viewCases[0].in)
	for _, code := range []string{"expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id", "not_in_channel"} {
		rec.Inject(slackrec.ViewsOpen, slackrec.Fault{Error: code})
		_, err := api.OpenViewContext(context.Background(), "1.2.late", v)
		if got, want := form.TriggerFailed(err), code != "not_in_channel"; got != want {
			t.Errorf("TriggerFailed(%v) = %v, want %v", err, got, want)
		}
	}
	if form.TriggerFailed(nil) || form.TriggerFailed(errors.New("expired_trigger_id")) {
		t.Error("TriggerFailed is true for an error that is not Slack's")
	}
}

func TestLoadingAndNoticeViewsValidate(t *testing.T) {
	for name, v := range map[string]any{
		"loading": form.LoadingView(),
		"refused": form.RefusedResponse(form.ErrExpired).View,
	} {
		if msgs := slackrec.ValidateView(viewJSON(t, v)); len(msgs) != 0 {
			t.Errorf("%s view breaks Block Kit's rules: %q", name, msgs)
		}
	}
}

// TestSubmitThroughSlack plays the whole form against the recording Slack:
// views.open from a slash command, a submission with one wrong field that
// comes back on that field, then the corrected one, which is valid.
func TestSubmitThroughSlack(t *testing.T) {
	rec := slackrec.New(t, "xoxb-test")
	api := slack.New("xoxb-test", slack.OptionAPIURL(rec.APIURL()))
	in := form.CreateForm{Origin: origin, Projects: []form.Project{dev, prod}, DefaultRegion: "us-east-1"}
	resp, err := api.OpenViewContext(context.Background(), "1337.42.abcd", build(t, in))
	if err != nil {
		t.Fatalf("views.open: %v", err)
	}
	submit := func(values map[string]string) (form.Submission, map[string]string, error) {
		t.Helper()
		raw, err := rec.ViewSubmission(resp.ID, "T0123ABCD", origin.User, values)
		if err != nil {
			t.Fatal(err)
		}
		var cb slack.InteractionCallback
		if err := json.Unmarshal(raw, &cb); err != nil {
			t.Fatal(err)
		}
		return form.ParseSubmission(cb, in.Projects, submitNow)
	}

	_, errs, err := submit(map[string]string{"name": "orders_ws", "project": prod.GroupID, "max_tier": "SP10"})
	want := map[string]string{
		"name":     `workspace name "orders_ws": a workspace name uses only ASCII letters, digits and hyphens; did you mean orders-ws?`,
		"max_tier": "The max tier must not be below the tier SP30.",
	}
	if diff := cmp.Diff(want, errs); err != nil || diff != "" {
		t.Errorf("first submission: %v; field errors (-want +got):\n%s", err, diff)
	}

	sub, errs, err := submit(map[string]string{"name": "orders-ws", "project": prod.GroupID, "max_tier": "SP50", "sample_solar": "sample_solar"})
	if err != nil || errs != nil {
		t.Fatalf("corrected submission: %v, %v", errs, err)
	}
	if got, want := sub.Command.String(), "create orders-ws --region VIRGINIA_USA --tier SP30 --max-tier SP50 --sample-solar --project "+prod.GroupID; got != want {
		t.Errorf("command = %q, want %q", got, want)
	}

	_, errs, _ = submit(map[string]string{"name": "x", "project": prod.GroupID, "region": "MARS_1"})
	if errs[form.BlockRegion] == "" {
		t.Errorf("a forged region was not refused on its field: %v", errs)
	}
}

// TestShortcutThroughSlack submits the shortcut's form with a channel and
// checks the response_url Slack sends for it reaches the recording Slack.
func TestShortcutThroughSlack(t *testing.T) {
	rec := slackrec.New(t, "xoxb-test")
	api := slack.New("xoxb-test", slack.OptionAPIURL(rec.APIURL()))
	in := form.CreateForm{Origin: shortcut, Projects: []form.Project{dev}}
	resp, err := api.OpenViewContext(context.Background(), "1337.43.abcd", build(t, in))
	if err != nil {
		t.Fatalf("views.open: %v", err)
	}
	raw, err := rec.ViewSubmission(resp.ID, "T0123ABCD", shortcut.User, map[string]string{"name": "clicks", "region": "US_EAST4", "channel": "C0999ZZZZ"})
	if err != nil {
		t.Fatal(err)
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal(raw, &cb); err != nil {
		t.Fatal(err)
	}
	sub, errs, err := form.ParseSubmission(cb, in.Projects, submitNow)
	if err != nil || errs != nil {
		t.Fatalf("ParseSubmission: %v, %v", errs, err)
	}
	if sub.Channel != "C0999ZZZZ" || sub.Command.Provider != atlas.ProviderGCP || !strings.HasPrefix(sub.ResponseURL, strings.TrimSuffix(rec.APIURL(), "/api/")) {
		t.Errorf("submission %+v; want channel C0999ZZZZ, GCP and a response_url on the recorder", sub)
	}
	if err := slack.PostWebhook(sub.ResponseURL, &slack.WebhookMessage{Text: "done"}); err != nil {
		t.Errorf("posting to the submission's response_url: %v", err)
	}
	if d := rec.Delivered(slackrec.ResponseURL); len(d) != 1 || d[0].Text != "done" {
		t.Errorf("response_url posts %+v", d)
	}
}

// BenchmarkBuildCreateView measures what the Slack edge spends on the form
// before views.open: building the view and encoding it as slack-go does.
func BenchmarkBuildCreateView(b *testing.B) {
	in := viewCases[1].in
	b.ReportAllocs()
	for b.Loop() {
		v, err := form.BuildCreateView(in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseSubmission measures reading the sample view_submission's
// state (the JSON decoding is the edge's).
func BenchmarkParseSubmission(b *testing.B) {
	cb := submission(origin, filled())
	allowed := []form.Project{dev, prod}
	b.ReportAllocs()
	for b.Loop() {
		if _, errs, err := form.ParseSubmission(cb, allowed, submitNow); err != nil || errs != nil {
			b.Fatal(errs, err)
		}
	}
}
