package form_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/streambot/streambot/internal/command"
	"github.com/streambot/streambot/internal/form"
	"github.com/streambot/streambot/pkg/atlas"
)

// FuzzParseMetadata checks that ParseMetadata never panics, refuses only
// with ErrBadMetadata, and accepts only the canonical spelling: what it
// accepts renders back to the same string.
func FuzzParseMetadata(f *testing.F) {
	for _, s := range []string{
		origin.Metadata(), shortcut.Metadata(), "", "v1|||", "v1|dm|U1|1", "v1|C1|U1|99999999999",
		"v1|C0123ABCD|U012ABCDEF|01796601600", "v1|\u00e9|U1|1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := form.ParseMetadata(s)
		if err != nil {
			if !errors.Is(err, form.ErrBadMetadata) {
				t.Fatalf("ParseMetadata(%q) error %v, want ErrBadMetadata", s, err)
			}
			return
		}
		if got := o.Metadata(); got != s {
			t.Fatalf("ParseMetadata(%q) = %+v, which renders as %q", s, o, got)
		}
	})
}

// FuzzParseSubmission fills the form with arbitrary values and metadata and
// checks that ParseSubmission never panics, that its field errors are on
// the form's blocks and within a readable length, and that whatever it
// accepts re-validates: the command is one the slash command parses back
// to itself, in an allowed project, with a valid name, region and tiers.
func FuzzParseSubmission(f *testing.F) {
	f.Add(origin.Metadata(), "orders-ws", dev.GroupID, "VIRGINIA_USA", "SP30", "", "", "")
	f.Add(shortcut.Metadata(), " a_b ", prod.GroupID, "westeurope", "SP10", "SP50", "sample_solar", "C0999ZZZZ")
	f.Add(origin.Metadata(), "-x", byID.GroupID, "us-east-1", "SP50", "SP2", "x", "C1")
	f.Add("v1|dm|U012ABCDEF|1796601600", "<!channel>", "", "MARS", "sp30", "SP3O", "sample_solar", "<#C1>")
	f.Add(origin.Metadata(), "--", dev.GroupID, "US_EAST4", "SP2", "SP2", "", "")
	f.Fuzz(func(t *testing.T, meta, name, project, region, tier, maxTier, check, channel string) {
		values := map[string]slack.BlockAction{
			form.BlockName:    textValue(name),
			form.BlockProject: selected(project),
			form.BlockRegion:  selected(region),
			form.BlockTier:    selected(tier),
			form.BlockMaxTier: selected(maxTier),
		}
		if check != "" {
			values[form.BlockSampleSolar] = checked(check)
		}
		if channel != "" {
			values[form.BlockChannel] = conversation(channel)
		}
		cb := submission(origin, values)
		cb.View.PrivateMetadata = meta
		allowed := []form.Project{dev, prod}
		sub, errs, err := form.ParseSubmission(cb, allowed, submitNow)
		switch {
		case err != nil:
			if errs != nil || sub != (form.Submission{}) {
				t.Fatalf("refused with %v but returned %+v, %v", err, sub, errs)
			}
			_ = form.RefusedResponse(err)
			return
		case len(errs) > 0:
			for id, msg := range errs {
				switch id {
				case form.BlockName, form.BlockProject, form.BlockRegion, form.BlockTier, form.BlockMaxTier, form.BlockSampleSolar, form.BlockChannel:
				default:
					t.Fatalf("field error on %q, not a block of the form", id)
				}
				if msg == "" || utf8.RuneCountInString(msg) > 500 || strings.ContainsAny(msg, "<>") {
					t.Fatalf("field error %q on %s: empty, too long or unescaped", msg, id)
				}
			}
			return
		}
		c := sub.Command
		again, perr := command.Parse(c.String())
		if perr != nil || again != c {
			t.Fatalf("accepted %+v, but Parse(%q) = %+v, %v", c, c.String(), again, perr)
		}
		if c.Name != command.Create || atlas.ValidateName(c.Workspace) != nil || atlas.ValidateRegion(c.Provider, c.Region) != nil ||
			atlas.ValidateTiers(c.Tier, c.MaxTier) != nil {
			t.Fatalf("accepted an invalid command %+v", c)
		}
		if sub.Project != dev && sub.Project != prod || c.Project != sub.Project.GroupID {
			t.Fatalf("accepted project %+v (command %q), not an allowed one", sub.Project, c.Project)
		}
		if sub.Origin.Channel != "" && sub.Channel != sub.Origin.Channel {
			t.Fatalf("a form from %s posts to %q", sub.Origin.Channel, sub.Channel)
		}
		if err := sub.Origin.Verify(cb.User.ID, submitNow); err != nil {
			t.Fatalf("accepted metadata %q that does not verify: %v", meta, err)
		}
	})
}
