package command

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/streambot/streambot/internal/testtools"
)

func TestHelpGolden(t *testing.T) {
	tests := []struct {
		file string
		got  string
	}{
		{"help.golden", HelpText()},
		{"help_create.golden", HelpFor(Create)},
		{"help_list.golden", HelpFor(List)},
		{"help_describe.golden", HelpFor(Describe)},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			testtools.Golden(t, filepath.Join("testdata", tc.file), []byte(tc.got))
		})
	}
}

func TestHelpFor(t *testing.T) {
	t.Parallel()
	for _, n := range []Name{"", Help, "bogus"} {
		if got := HelpFor(n); got != HelpText() {
			t.Errorf("HelpFor(%q) is not the full help", n)
		}
	}
}

// TestHelpMatchesParser checks that the help is drawn from the parser's own
// tables: every flag it lists is accepted, every usage line appears, and
// every example parses.
func TestHelpMatchesParser(t *testing.T) {
	t.Parallel()
	help := HelpText()
	for _, sc := range subcommands {
		if !strings.Contains(help, sc.usage()) {
			t.Errorf("help lacks the usage line %q", sc.usage())
		}
		for _, ex := range sc.examples {
			if !strings.Contains(help, "/stream "+ex+"\n") {
				t.Errorf("help lacks the example %q", ex)
			}
			c, err := Parse(ex)
			if err != nil {
				t.Errorf("example Parse(%q) error: %v", ex, err)
				continue
			}
			if c.Name != sc.name && c.Topic != sc.name {
				t.Errorf("example Parse(%q) = %v, want a %s command", ex, c, sc.name)
			}
		}
		for _, f := range sc.flags {
			if !strings.Contains(help, f.synopsis()) {
				t.Errorf("help lacks the flag %q", f.synopsis())
			}
			text := string(sc.name) + " x --" + f.name
			if f.arg != "" {
				text += "=" + map[string]string{"provider": "AWS", "region": "us-east-1", "tier": "SP30", "max-tier": "SP50", "project": "prod"}[f.name]
			}
			switch sc.Args {
			case ArgsNone:
				text = strings.Replace(text, " x ", " ", 1)
			case ArgsProcessor:
				text = strings.Replace(text, " x ", " x p ", 1)
			}
			if sc == updateCmd { // an update must change something
				switch f.name {
				case "tier", "max-tier", "region":
				case "provider":
					text += " --region us-east-1"
				default:
					text += " --tier SP10"
				}
			}
			if _, err := Parse(text); err != nil {
				t.Errorf("Parse(%q) error: %v; the help lists --%s", text, err, f.name)
			}
		}
	}
}
