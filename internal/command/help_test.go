package command

import (
	"path/filepath"
	"slices"
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
		{"help_start.golden", HelpFor(Start)},
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
			t.Errorf("HelpFor(%q) is not the overview", n)
		}
	}
}

// TestHelpOverview checks that `/stream help` is an overview (issue 14):
// at most 15 lines, naming every declared operation at the start of a
// line, and none of the details that `help <command>` gives.
func TestHelpOverview(t *testing.T) {
	t.Parallel()
	help := HelpText()
	lines := strings.Split(strings.TrimSuffix(help, "\n"), "\n")
	if len(lines) > 15 {
		t.Errorf("HelpText() has %d lines, want at most 15:\n%s", len(lines), help)
	}
	for _, op := range Ops() {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "• /stream "+string(op.Name())+" ") }) {
			t.Errorf("HelpText() has no line for %s:\n%s", op.Name(), help)
		}
	}
	for _, detail := range []string{"--region", "VIRGINIA_USA", "Examples", "--dry-run"} {
		if strings.Contains(help, detail) {
			t.Errorf("HelpText() shows the detail %q; that is for help <command>", detail)
		}
	}
}

// TestHelpForShowsWhatMatters checks that the regions show only where
// --region is a flag and the tiers only where --tier is.
func TestHelpForShowsWhatMatters(t *testing.T) {
	t.Parallel()
	for _, op := range Ops() {
		if op.Name() == Help {
			continue
		}
		help := HelpFor(op.Name())
		wantRegions := op.Name() == Create || op.Name() == Update
		wantTiers := wantRegions || op.Name() == Start
		if got := strings.Contains(help, "Regions ("); got != wantRegions {
			t.Errorf("HelpFor(%s) lists the regions: %v, want %v", op.Name(), got, wantRegions)
		}
		if got := strings.Contains(help, "Tiers, smallest first"); got != wantTiers {
			t.Errorf("HelpFor(%s) lists the tiers: %v, want %v", op.Name(), got, wantTiers)
		}
	}
}

// TestHelpMatchesParser checks that the help is drawn from the parser's own
// tables: every flag it lists is accepted, every usage line appears, and
// every example parses.
func TestHelpMatchesParser(t *testing.T) {
	t.Parallel()
	for _, sc := range subcommands {
		help := HelpFor(sc.name)
		if sc != helpCmd && !strings.Contains(help, sc.usage()) {
			t.Errorf("HelpFor(%s) lacks the usage line %q", sc.name, sc.usage())
		}
		for _, ex := range sc.examples {
			if sc != helpCmd && !strings.Contains(help, "/stream "+ex+"\n") {
				t.Errorf("HelpFor(%s) lacks the example %q", sc.name, ex)
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
				t.Errorf("HelpFor(%s) lacks the flag %q", sc.name, f.synopsis())
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
