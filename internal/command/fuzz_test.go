package command

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/pkg/atlas"
)

// FuzzParse checks that Parse never panics, returns only *UsageError, and
// that everything it accepts is valid and re-parses from String to the same
// Command.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		"create",
		"help create",
		"create orders-ws --region us-east-1 --tier SP10 --max-tier SP50 --project prod --dry-run",
		"create --provider gcp --region=europe-west1 x --sample-solar=true",
		"create x --provider aws --region westeurope",
		"create \u201corders-ws\u201d \u2014region VIRGINIA_USA",
		"create <@U123> <http://a.b|a b> &amp;lt;!channel&amp;gt;",
		"create -- -x",
		"list --project 5f1a2b3c4d5e6f7a8b9c0d1e",
		"describe orders-ws -h",
		`create 'a''b' "c`,
		"craete x --regoin y --tier 30",
		"\u00a0create\u200bx\ufeff",
		"create x --project=-",
		"create `orders\u2011ws` --region `us-east-1",
		"hlep",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) error %T %v, want a *UsageError", text, err, err)
			}
			_ = ue.Error()
			return
		}
		checkValid(t, text, c)
		s := c.String()
		again, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) = %v; its String %q does not parse: %v", text, c, s, err)
		}
		if diff := cmp.Diff(c, again); diff != "" {
			t.Fatalf("Parse(%q) then Parse(%q) differ (-first +again):\n%s", text, s, diff)
		}
	})
}

// checkValid checks the promises Parse makes about an accepted Command.
func checkValid(t *testing.T, text string, c Command) {
	t.Helper()
	switch c.Name {
	case Help:
		if c.Topic != "" && c.Topic != Create && c.Topic != List && c.Topic != Describe {
			t.Fatalf("Parse(%q) help topic %q", text, c.Topic)
		}
	case Create:
		if c.Form {
			if c != (Command{Name: Create, Form: true}) {
				t.Fatalf("Parse(%q) = %+v: a form command carries nothing but its name", text, c)
			}
			return
		}
		if err := atlas.ValidateTiers(c.Tier, c.MaxTier); err != nil {
			t.Fatalf("Parse(%q) accepted tiers: %v", text, err)
		}
		if c.Region != "" {
			if err := atlas.ValidateRegion(c.Provider, c.Region); err != nil {
				t.Fatalf("Parse(%q) accepted region: %v", text, err)
			}
		}
		fallthrough
	case Describe:
		if err := atlas.ValidateName(c.Workspace); err != nil {
			t.Fatalf("Parse(%q) accepted name: %v", text, err)
		}
		fallthrough
	case List:
		if c.Project != "" && !validProject(c.Project) {
			t.Fatalf("Parse(%q) accepted project %q", text, c.Project)
		}
	default:
		t.Fatalf("Parse(%q) = unknown subcommand %q", text, c.Name)
	}
}
