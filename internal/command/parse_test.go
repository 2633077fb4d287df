package command

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/internal/access"
	"github.com/streambot/streambot/pkg/atlas"
)

// create returns a create command for name with the defaults Parse fills in.
func create(name string, edit ...func(*Command)) Command {
	c := Command{Name: Create, Workspace: name, Provider: atlas.ProviderAWS, Tier: atlas.TierSP30}
	for _, e := range edit {
		e(&c)
	}
	return c
}

func region(p atlas.Provider, r, input string) func(*Command) {
	return func(c *Command) { c.Provider, c.Region, c.RegionInput = p, r, input }
}

func TestParse(t *testing.T) {
	t.Parallel()
	const groupID = "5f1a2b3c4d5e6f7a8b9c0d1e"
	tests := []struct {
		name string
		text string
		want Command
	}{
		// help
		{"empty", "", Command{Name: Help}},
		{"only spaces", " \t\u00a0 \n", Command{Name: Help}},
		{"help", "help", Command{Name: Help}},
		{"help upper", "HELP", Command{Name: Help}},
		{"-h", "-h", Command{Name: Help}},
		{"--help", "--help", Command{Name: Help}},
		{"help topic", "help create", Command{Name: Help, Topic: Create}},
		{"help topic case", "help Describe", Command{Name: Help, Topic: Describe}},
		{"help help", "help help", Command{Name: Help}},
		{"-h topic", "-h list", Command{Name: Help, Topic: List}},
		{"help -h topic", "help -h describe", Command{Name: Help, Topic: Describe}},
		{"create --help", "create --help", Command{Name: Help, Topic: Create}},
		{"create -h with junk", "create orders_ws --bogus -h", Command{Name: Help, Topic: Create}},
		{"list -h", "list -h", Command{Name: Help, Topic: List}},
		{"describe --HELP", "describe x --HELP", Command{Name: Help, Topic: Describe}},

		// create with no arguments: the form (Op.Form)
		{"create alone opens the form", "create", Command{Name: Create, Form: true}},
		{"create alone any case and spaces", "  CREATE\u00a0 ", Command{Name: Create, Form: true}},
		// create basics and defaults
		{"create minimal", "create orders-ws", create("orders-ws")},
		{"subcommand case", "CREATE orders-ws", create("orders-ws")},
		{"create atlas region", "create orders-ws --region VIRGINIA_USA",
			create("orders-ws", region(atlas.ProviderAWS, "VIRGINIA_USA", ""))},
		{"region any case", "create orders-ws --region virginia_usa",
			create("orders-ws", region(atlas.ProviderAWS, "VIRGINIA_USA", ""))},
		{"flag after name or before", "create --region OHIO_USA orders-ws",
			create("orders-ws", region(atlas.ProviderAWS, "OHIO_USA", ""))},
		{"flag=value", "create orders-ws --region=OREGON_USA --tier=sp10",
			create("orders-ws", region(atlas.ProviderAWS, "OREGON_USA", ""), func(c *Command) { c.Tier = atlas.TierSP10 })},
		{"single dash flags", "create orders-ws -region OREGON_USA -dry-run",
			create("orders-ws", region(atlas.ProviderAWS, "OREGON_USA", ""), func(c *Command) { c.DryRun = true })},
		{"flag name case", "create orders-ws --Region OREGON_USA --DRY-RUN",
			create("orders-ws", region(atlas.ProviderAWS, "OREGON_USA", ""), func(c *Command) { c.DryRun = true })},
		{"everything", "create orders-ws --provider aws --region us-east-1 --tier sp10 --max-tier Sp50 --sample-solar --project prod --dry-run",
			create("orders-ws", region(atlas.ProviderAWS, "VIRGINIA_USA", "us-east-1"), func(c *Command) {
				c.ProviderSet, c.Tier, c.MaxTier, c.SampleSolar, c.Project, c.DryRun = true, atlas.TierSP10, atlas.TierSP50, true, "prod", true
			})},
		{"max tier equal to tier", "create x --tier SP5 --max-tier SP5",
			create("x", func(c *Command) { c.Tier, c.MaxTier = atlas.TierSP5, atlas.TierSP5 })},
		{"switch =false", "create x --dry-run=false --sample-solar=true",
			create("x", func(c *Command) { c.SampleSolar = true })},
		{"project group id", "create x --project " + groupID, create("x", func(c *Command) { c.Project = groupID })},
		{"project alias with underscore", "create x --project team_a-1", create("x", func(c *Command) { c.Project = "team_a-1" })},
		{"name at max length", "create " + strings.Repeat("a", 64), create(strings.Repeat("a", 64))},
		{"dash name after --", "create --region eu-west-1 -- -x",
			create("-x", region(atlas.ProviderAWS, "DUBLIN_IRL", "eu-west-1"))},
		{"lone dash is a name", "create -", create("-")},

		// cloud codes and provider inference
		{"aws code", "create x --region US-EAST-2", create("x", region(atlas.ProviderAWS, "OHIO_USA", "us-east-2"))},
		{"every aws code maps", "create x --region ap-northeast-2", create("x", region(atlas.ProviderAWS, "SEOUL_KOR", "ap-northeast-2"))},
		{"gcp code infers gcp", "create x --region europe-west1", create("x", region(atlas.ProviderGCP, "EUROPE_WEST1", "europe-west1"))},
		{"gcp atlas name infers gcp", "create x --region us_east4", create("x", region(atlas.ProviderGCP, "US_EAST4", ""))},
		{"azure infers azure", "create x --region WestEurope", create("x", region(atlas.ProviderAzure, "westeurope", ""))},
		{"provider agrees", "create x --provider azure --region eastus2",
			create("x", region(atlas.ProviderAzure, "eastus2", ""), func(c *Command) { c.ProviderSet = true })},
		{"provider without region", "create x --provider GCP",
			create("x", func(c *Command) { c.Provider, c.ProviderSet = atlas.ProviderGCP, true })},

		// what Slack sends
		{"entities", "create x --project a&amp;b-ignored --help", Command{Name: Help, Topic: Create}},
		{"smart quotes", "create \u201corders-ws\u201d --region \u2018us-east-1\u2019",
			create("orders-ws", region(atlas.ProviderAWS, "VIRGINIA_USA", "us-east-1"))},
		{"ascii quotes", `create 'orders-ws' --region "OHIO_USA"`, create("orders-ws", region(atlas.ProviderAWS, "OHIO_USA", ""))},
		{"quotes inside a word", `create orders"-"ws`, create("orders-ws")},
		{"em dash from autocorrect", "create orders-ws \u2014region us-east-1 \u2013dry-run",
			create("orders-ws", region(atlas.ProviderAWS, "VIRGINIA_USA", "us-east-1"), func(c *Command) { c.DryRun = true })},
		{"odd whitespace", "\u00a0 create\t\torders-ws\u3000--tier\nSP5\r\n",
			create("orders-ws", func(c *Command) { c.Tier = atlas.TierSP5 })},
		{"zero-width characters", "create orders\u200b-ws\ufeff", create("orders-ws")},
		{"unicode hyphens and soft hyphen", "create or\u00adders\u2010w\u2011s\u2212x", create("orders-w-s-x")},
		{"backticks of inline code", "create `orders-ws` --region `us-east-1`",
			create("orders-ws", region(atlas.ProviderAWS, "VIRGINIA_USA", "us-east-1"))},

		// list and describe
		{"list", "list", Command{Name: List}},
		{"list project", "list --project=prod", Command{Name: List, Project: "prod"}},
		{"describe", "describe orders-ws", Command{Name: Describe, Workspace: "orders-ws"}},
		{"describe project first", "Describe --project " + groupID + " orders-ws",
			Command{Name: Describe, Workspace: "orders-ws", Project: groupID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.text)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tc.text, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tc.text, diff)
			}
			again, err := Parse(got.String())
			if err != nil {
				t.Fatalf("Parse(%q) (from String) error: %v", got.String(), err)
			}
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("Parse(%q) does not round-trip (-first +again):\n%s", got.String(), diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		text           string
		wantToken      string
		wantSuggestion string
		wantUsage      Name // "" means every usage line
	}{
		{"unknown subcommand", "craete orders-ws", "craete", "create", ""},
		{"unknown subcommand far off", "frobnicate", "frobnicate", "", ""},
		{"subcommand synonym", "ls", "ls", "list", ""},
		{"help misspelt", "hlep", "hlep", "help", ""},
		{"help prefix", "hel create", "hel", "help", ""},
		{"subcommand synonym show", "show orders-ws", "show", "describe", ""},
		{"help unknown topic", "help lsit", "lsit", "list", ""},
		{"help two topics", "help create list", "list", "", Help},
		{"unknown flag", "create x --regoin us-east-1", "--regoin", "--region", Create},
		{"unknown flag with value", "create x --tire=SP5", "--tire", "--tier", Create},
		{"flag of another subcommand", "list --region us-east-1", "--region", "", List},
		{"unknown positional for list", "list prod", "prod", "", List},
		{"extra positional", "create my ws", "ws", "my-ws", Create},
		{"extra positional after --", "create x -- -y", "-y", "", Create},
		{"missing name", "create --region us-east-1", "", "", Create},
		{"missing name describe", "describe", "", "", Describe},
		{"duplicate flag", "create x --tier SP5 --tier=SP10", "--tier=SP10", "", Create},
		{"duplicate switch", "create x --dry-run --dry-run", "--dry-run", "", Create},
		{"missing value at end", "create x --region", "--region", "", Create},
		{"missing value before flag", "create x --region --tier SP5", "--region", "", Create},
		{"empty value", "create x --region=", "--region=", "", Create},
		{"empty quoted value", `create x --tier ""`, "--tier", "", Create},
		{"switch with bad value", "create x --dry-run=yes-please", "--dry-run=yes-please", "", Create},
		{"unknown tier", "create x --tier SP3O", "SP3O", "SP30", Create},
		{"tier without SP", "create x --tier 30", "30", "SP30", Create},
		{"max tier above the largest", "create x --max-tier SP500", "SP500", "", Create},
		{"tier above the largest", "create x --tier SP100", "SP100", "", Create},
		{"tier below the smallest", "create x --tier sp1", "sp1", "", Create},
		{"tier between two", "update x --tier SP20", "SP20", "", Update},
		{"start tier above the largest", "start x p --tier 100", "100", "", Start},
		{"max tier below tier", "create x --tier SP30 --max-tier SP10", "SP10", "", Create},
		{"max tier below default tier", "create x --max-tier SP5", "SP5", "", Create},
		{"unknown provider", "create x --provider AZUR", "AZUR", "AZURE", Create},
		{"unknown region", "create x --region VIRGNIA_USA", "VIRGNIA_USA", "VIRGINIA_USA", Create},
		{"unknown region code", "create x --region us-eats-1", "us-eats-1", "us-east-1", Create},
		{"region prefix", "create x --region frankfurt", "frankfurt", "FRANKFURT_DEU", Create},
		{"unknown region no suggestion", "create x --region mars", "mars", "", Create},
		{"provider contradicts region", "create x --provider AWS --region westeurope", "westeurope", "", Create},
		{"gcp contradicts an aws region", "create x --provider gcp --region us-east-1", "us-east-1", "", Create},
		{"provider contradicts region code", "create x --region europe-west1 --provider azure", "europe-west1", "", Create},
		{"invalid name", "create orders_ws", "orders_ws", "orders-ws", Create},
		{"invalid name dots", "describe orders.ws", "orders.ws", "orders-ws", Describe},
		{"name too long", "create " + strings.Repeat("a", 65), strings.Repeat("a", 65), "", Create},
		{"name not ascii", "create caf\u00e9", "caf\u00e9", "cafe", Create},
		{"name with accents and underscore", "describe caf\u00e9_\u00f1and\u00fa", "caf\u00e9_\u00f1and\u00fa", "cafe-nandu", Describe},
		{"name decomposed", "create cafe\u0301-ws", "cafe\u0301-ws", "cafe-ws", Create},
		{"name full-width", "create \uff4f\uff52\uff44\uff45\uff52\uff53", "\uff4f\uff52\uff44\uff45\uff52\uff53", "orders", Create},
		{"name with no ASCII form", "create stra\u00dfe", "stra\u00dfe", "", Create},
		{"name in another script", "create \u0437\u0430\u043a\u0430\u0437\u044b", "\u0437\u0430\u043a\u0430\u0437\u044b", "", Create},
		{"name with entity", "create a&amp;b", "a&b", "", Create},
		{"name is a user mention", "create <@U123ABC>", "<@U123ABC>", "", Create},
		{"name is @channel", "create <!channel>", "<!channel>", "", Create},
		{"name is a link with spaces", "create <http://orders.ws|orders ws> --tier SP5", "<http://orders.ws|orders ws>", "", Create},
		{"name is a mailto link", "create <mailto:a@b.c|a@b.c>", "<mailto:a@b.c|a@b.c>", "", Create},
		{"name is a channel", "describe <#C123|general>", "<#C123|general>", "", Describe},
		{"quoted name with a space", `create "orders ws"`, "orders ws", "orders-ws", Create},
		{"quoted name with a no-break space", "create \"orders\u00a0ws\"", "orders\u00a0ws", "orders-ws", Create},
		{"unclosed quote", `create "orders-ws`, `"orders-ws`, "", Create},
		{"unclosed quote in the subcommand", `"create orders-ws`, `"create orders-ws`, "", ""},
		{"quote then Slack escape", `create "x"<y z>`, "x<y z>", "", Create},
		{"many unclosed angle brackets", "create " + strings.Repeat("<", 1000), strings.Repeat("<", 1000), "", Create},
		{"project uppercase", "list --project PROD", "PROD", "prod", List},
		{"project id uppercase", "list --project 5F1A2B3C4D5E6F7A8B9C0D1E", "5F1A2B3C4D5E6F7A8B9C0D1E", "5f1a2b3c4d5e6f7a8b9c0d1e", List},
		{"project with a dot", "describe x --project a.b", "a.b", "", Describe},
		{"project too long", "list --project " + strings.Repeat("p", 65), strings.Repeat("p", 65), "", List},
		{"project is a group mention", "list --project <!subteam^S123|@ops>", "<!subteam^S123|@ops>", "", List},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.text)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) = %v, %v; want a *UsageError", tc.text, got, err)
			}
			if ue.Token != tc.wantToken {
				t.Errorf("Parse(%q) token = %q, want %q", tc.text, ue.Token, tc.wantToken)
			}
			if ue.Suggestion != tc.wantSuggestion {
				t.Errorf("Parse(%q) suggestion = %q, want %q", tc.text, ue.Suggestion, tc.wantSuggestion)
			}
			if want := Usage(tc.wantUsage); ue.Usage != want {
				t.Errorf("Parse(%q) usage = %q, want %q", tc.text, ue.Usage, want)
			}
			if ue.Message == "" {
				t.Errorf("Parse(%q) has an empty message", tc.text)
			}
			// The token appears as typed, or Go-quoted where it holds an
			// invisible character (a no-break space shows as \u00a0).
			if tc.wantToken != "" && !strings.Contains(ue.Error(), tc.wantToken) && !strings.Contains(ue.Error(), strconv.Quote(tc.wantToken)) {
				t.Errorf("Parse(%q) error %q does not name the token %q", tc.text, ue.Error(), tc.wantToken)
			}
			if got != (Command{}) {
				t.Errorf("Parse(%q) = %v with an error, want the zero Command", tc.text, got)
			}
		})
	}
}

// TestUsageErrorText pins the exact text a caller sees for a few mistakes:
// the message, a suggestion, and one usage line (issue 14: never every
// subcommand's).
func TestUsageErrorText(t *testing.T) {
	t.Parallel()
	createUsage := "usage: /stream create <name> [--provider AWS|AZURE|GCP] [--region REGION] [--tier SP2|SP5|SP10|SP30|SP50]" +
		" [--max-tier TIER] [--sample-solar] [--project ALIAS|GROUP_ID] [--dry-run]"
	tests := []struct {
		text string
		want string
	}{
		{"create orders-ws --tier SP3O",
			`unknown tier "SP3O" (the tiers are SP2, SP5, SP10, SP30, SP50); did you mean SP30?` + "\n" + createUsage},
		{"create orders-ws --regoin us-east-1",
			`unknown flag "--regoin" for create; did you mean --region?` + "\n" + createUsage},
		{"create orders-ws --provider aws --region westeurope",
			"westeurope is on AZURE, not AWS: leave out --provider, or give --provider AZURE, or give an AWS region\n" + createUsage},
		{"create <!channel>",
			`workspace name "<!channel>": that is a Slack special mention such as @channel; a workspace name is plain ASCII letters, digits and hyphens` +
				"\n" + createUsage},
		{"list --region x",
			"list has no --region flag; that is a flag of create\nusage: /stream list [--project ALIAS|GROUP_ID]"},
		{"craete x",
			`unknown subcommand "craete"; did you mean create?` + "\n" +
				"usage: /stream create|list|describe|update|delete|processors|processor|start|stop|connections|history|help …"},
		{`create "orders-ws`,
			`unclosed quote (") in "orders-ws` + "\n" + createUsage},
		{"create orders-ws --tier SP100",
			`tier "SP100" is above the largest tier, SP50 (the tiers are SP2, SP5, SP10, SP30, SP50)` + "\n" + createUsage},
		{"create caf\u00e9-ws",
			"workspace name \"caf\u00e9-ws\": a workspace name uses only ASCII letters, digits and hyphens; did you mean cafe-ws?\n" + createUsage},
		{"update orders-ws",
			"update changes nothing: give --tier, --max-tier or --region\n" + updateUsage},
		{"update orders-ws --provider GCP",
			"--provider GCP moves the workspace only together with --region: give a GCP region\n" + updateUsage},
		{"update orders-ws --provider AWS --region westeurope",
			"westeurope is on AZURE, not AWS: leave out --provider, or give --provider AZURE, or give an AWS region\n" + updateUsage},
		{"update orders-ws --tier SP30 --max-tier SP10",
			`--max-tier "SP10": the max tier must not be below the tier SP30` + "\n" + updateUsage},
		{"update orders-ws --tier SP3O",
			`unknown tier "SP3O" (the tiers are SP2, SP5, SP10, SP30, SP50); did you mean SP30?` + "\n" + updateUsage},
		{"create --project prod",
			"create needs a workspace name\n" + createUsage},
		{"delete",
			"delete needs a workspace name\nusage: /stream delete <name> [--project ALIAS|GROUP_ID] [--dry-run]"},
		{"delete orders-ws --tier SP10",
			"delete has no --tier flag; that is a flag of create\nusage: /stream delete <name> [--project ALIAS|GROUP_ID] [--dry-run]"},
		{"remove orders-ws",
			`unknown subcommand "remove"; did you mean delete?` + "\n" +
				"usage: /stream create|list|describe|update|delete|processors|processor|start|stop|connections|history|help …"},
	}
	for _, tc := range tests {
		_, err := Parse(tc.text)
		if err == nil {
			t.Errorf("Parse(%q) = nil error, want %q", tc.text, tc.want)
			continue
		}
		if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
			t.Errorf("Parse(%q) error text mismatch (-want +got):\n%s", tc.text, diff)
		}
	}
}

func TestRequireRegion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		text      string
		def       string
		want      Command
		wantToken string // checked when wantErr
		wantErr   bool
	}{
		{"given region wins", "create x --region OHIO_USA", "westeurope",
			create("x", region(atlas.ProviderAWS, "OHIO_USA", "")), "", false},
		{"default applies", "create x", "VIRGINIA_USA",
			create("x", region(atlas.ProviderAWS, "VIRGINIA_USA", "")), "", false},
		{"default as cloud code", "create x", "us-east-1",
			create("x", region(atlas.ProviderAWS, "VIRGINIA_USA", "us-east-1")), "", false},
		{"default sets provider when none given", "create x", "westeurope",
			create("x", region(atlas.ProviderAzure, "westeurope", "")), "", false},
		{"default pairs with given provider", "create x --provider gcp", "us-central1",
			create("x", region(atlas.ProviderGCP, "US_CENTRAL1", "us-central1"), func(c *Command) { c.ProviderSet = true }), "", false},
		{"not create", "list", "", Command{Name: List}, "", false},
		{"no region at all", "create x", "", Command{}, "", true},
		{"unknown default", "create x", "atlantis", Command{}, "atlantis", true},
		{"default on another provider", "create x --provider AWS", "westeurope", Command{}, "AWS", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse(tc.text)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tc.text, err)
			}
			err = c.RequireRegion(tc.def)
			if tc.wantErr {
				var ue *UsageError
				if !errors.As(err, &ue) {
					t.Fatalf("RequireRegion(%q) = %v, want a *UsageError", tc.def, err)
				}
				if ue.Token != tc.wantToken || ue.Usage != Usage(Create) {
					t.Errorf("RequireRegion(%q) = %#v, want token %q and the create usage", tc.def, ue, tc.wantToken)
				}
				return
			}
			if err != nil {
				t.Fatalf("RequireRegion(%q) error: %v", tc.def, err)
			}
			if diff := cmp.Diff(tc.want, c); diff != "" {
				t.Errorf("RequireRegion(%q) mismatch (-want +got):\n%s", tc.def, diff)
			}
			again, err := Parse(c.String())
			if err != nil || !cmp.Equal(c, again) {
				t.Errorf("Parse(%q) = %v, %v; want %v", c.String(), again, err, c)
			}
		})
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		c    Command
		want string
	}{
		{Command{Name: Help}, "help"},
		{Command{Name: Help, Topic: Create}, "help create"},
		{create("orders-ws", region(atlas.ProviderAWS, "VIRGINIA_USA", "us-east-1")), "create orders-ws --region us-east-1 --tier SP30"},
		{create("x", region(atlas.ProviderGCP, "US_EAST4", ""), func(c *Command) {
			c.ProviderSet, c.MaxTier, c.SampleSolar, c.Project, c.DryRun = true, atlas.TierSP50, true, "prod", true
		}), "create x --provider GCP --region US_EAST4 --tier SP30 --max-tier SP50 --sample-solar --project prod --dry-run"},
		{create("-x"), "create --tier SP30 -- -x"},
		{Command{Name: List, Project: "-odd"}, "list --project=-odd"},
		{Command{Name: Describe, Workspace: "orders-ws"}, "describe orders-ws"},
	}
	for _, tc := range tests {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.c, got, tc.want)
		}
	}
}

// TestRegionTable checks the cloud codes against pkg/atlas: each maps to a
// region Atlas offers, and every AWS and GCP region has a code.
func TestRegionTable(t *testing.T) {
	t.Parallel()
	for code, name := range cloudCodes {
		r, ok := LookupRegion(code)
		if !ok || r.Name != name || r.Code != code {
			t.Errorf("LookupRegion(%q) = %+v, %v; want %s with code %s", code, r, ok, name, code)
		}
		if p, ok := atlas.ProviderOf(name); !ok || atlas.ValidateRegion(p, name) != nil {
			t.Errorf("cloud code %s maps to %s, which no provider offers", code, name)
		}
	}
	for _, p := range atlas.Providers {
		for _, name := range atlas.Regions(p) {
			r, ok := LookupRegion(strings.ToLower(name))
			if !ok || r.Name != name || r.Provider != p {
				t.Errorf("LookupRegion(%q) = %+v, %v; want %s on %s", strings.ToLower(name), r, ok, name, p)
			}
			if p != atlas.ProviderAzure && r.Code == "" {
				t.Errorf("region %s on %s has no cloud code", name, p)
			}
		}
	}
	if r, ok := LookupRegion("atlantis"); ok {
		t.Errorf("LookupRegion(%q) = %+v, true; want false", "atlantis", r)
	}
}

func BenchmarkParse(b *testing.B) {
	const text = "create orders-ws --region us-east-1 --tier SP10 --max-tier SP50 --project prod"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(text); err != nil {
			b.Fatal(err)
		}
	}
}

const updateUsage = "usage: /stream update <name> [--tier SP2|SP5|SP10|SP30|SP50] [--max-tier TIER] [--provider AWS|AZURE|GCP] [--region REGION] [--project ALIAS|GROUP_ID] [--dry-run]"

func TestParse_updateAndDelete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want Command
	}{
		{"update orders-ws --tier sp50", Command{Name: Update, Workspace: "orders-ws", Tier: atlas.TierSP50}},
		{"update orders-ws --max-tier SP50 --project prod", Command{Name: Update, Workspace: "orders-ws", MaxTier: atlas.TierSP50, Project: "prod"}},
		{"update orders-ws --region us-east-2", Command{Name: Update, Workspace: "orders-ws", Provider: atlas.ProviderAWS, Region: "OHIO_USA", RegionInput: "us-east-2"}},
		{"update orders-ws --provider gcp --region US_EAST4 --dry-run",
			Command{Name: Update, Workspace: "orders-ws", Provider: atlas.ProviderGCP, ProviderSet: true, Region: "US_EAST4", DryRun: true}},
		{"delete orders-ws", Command{Name: Delete, Workspace: "orders-ws"}},
		{"DELETE orders-ws --dry-run --project 5f1a2b3c4d5e6f7a8b9c0d1e", Command{Name: Delete, Workspace: "orders-ws", DryRun: true, Project: "5f1a2b3c4d5e6f7a8b9c0d1e"}},
		{"help delete", Command{Name: Help, Topic: Delete}},
		{"update --help", Command{Name: Help, Topic: Update}},
	}
	for _, tc := range tests {
		got, err := Parse(tc.text)
		if err != nil {
			t.Errorf("Parse(%q) error: %v", tc.text, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tc.text, diff)
		}
		if again, err := Parse(got.String()); err != nil || !cmp.Equal(again, got) {
			t.Errorf("Parse(%q.String() = %q) = %+v, %v; want it back", tc.text, got.String(), again, err)
		}
	}
}

// Every operation is declared once: a policy action for all but help, a
// confirmation for the destructive ones, and an acknowledgement text for
// each the worker answers (create has its own).
func TestOps_declarations(t *testing.T) {
	t.Parallel()
	seen := map[Name]bool{}
	for _, op := range Ops() {
		if seen[op.Name()] {
			t.Errorf("operation %s is declared twice", op.Name())
		}
		seen[op.Name()] = true
		if Lookup(op.Name()) != op {
			t.Errorf("Lookup(%s) does not return its declaration", op.Name())
		}
		if op.Name() == Help {
			if op.Action != "" {
				t.Errorf("help has the policy action %q, want none", op.Action)
			}
			continue
		}
		if op.Action == "" {
			t.Errorf("%s has no policy action", op.Name())
		}
		if op.Working == "" && op.Name() != Create {
			t.Errorf("%s has no acknowledgement text", op.Name())
		}
	}
	for _, n := range []Name{Update, Delete, Stop} {
		if op := Lookup(n); op == nil || !op.Confirm {
			t.Errorf("%s must ask for a confirmation", n)
		}
	}
	// The policy check names the resource: left empty, a person who may
	// list workspaces could list processors.
	for n, want := range map[Name]access.Resource{
		Processors: access.ResourceProcessor, Processor: access.ResourceProcessor,
		Start: access.ResourceProcessor, Stop: access.ResourceProcessor, Connections: access.ResourceConnection,
		Create: access.ResourceWorkspace, Describe: access.ResourceWorkspace,
	} {
		if op := Lookup(n); op == nil || op.Resource != want {
			t.Errorf("%s: resource %q, want %q", n, op.Resource, want)
		}
	}
	for n, want := range map[Name]access.Action{Start: access.ActionOperate, Stop: access.ActionOperate,
		Processors: access.ActionList, Processor: access.ActionDescribe, Connections: access.ActionList} {
		if op := Lookup(n); op.Action != want {
			t.Errorf("%s: action %q, want %q", n, op.Action, want)
		}
	}
	for _, op := range Ops() {
		for _, n := range op.Offers {
			// A button names a workspace, or a processor of the
			// processors the answer shows.
			o := Lookup(n)
			if o == nil || o.Button == "" ||
				!(o.Args == ArgsWorkspace || o.Args == ArgsProcessor && op.Resource == access.ResourceProcessor) {
				t.Errorf("%s offers %s, which has no button label or names a target the answer does not show", op.Name(), n)
			}
		}
	}
	if Lookup("nope") != nil {
		t.Error(`Lookup("nope") != nil`)
	}
}

// The processor and connection commands: their shapes, and the bad input
// of issue 11 (a processor name with spaces or unicode, a --tier not in
// the list, a missing name).
func TestParse_processors(t *testing.T) {
	t.Parallel()
	good := []struct {
		text string
		want Command
	}{
		{"processors orders-ws", Command{Name: Processors, Workspace: "orders-ws"}},
		{"PROCESSORS orders-ws --project prod", Command{Name: Processors, Workspace: "orders-ws", Project: "prod"}},
		{"processor orders-ws solar.Demo_1", Command{Name: Processor, Workspace: "orders-ws", Processor: "solar.Demo_1"}},
		{"start orders-ws solarDemo", Command{Name: Start, Workspace: "orders-ws", Processor: "solarDemo"}},
		{"start orders-ws solarDemo --tier sp10 --dry-run", Command{Name: Start, Workspace: "orders-ws", Processor: "solarDemo", Tier: atlas.TierSP10, DryRun: true}},
		{"stop --project dev orders-ws solarDemo", Command{Name: Stop, Workspace: "orders-ws", Processor: "solarDemo", Project: "dev"}},
		{"connections orders-ws", Command{Name: Connections, Workspace: "orders-ws"}},
		{"help stop", Command{Name: Help, Topic: Stop}},
	}
	for _, tc := range good {
		got, err := Parse(tc.text)
		if err != nil {
			t.Errorf("Parse(%q) error: %v", tc.text, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tc.text, diff)
		}
	}
	bad := []struct {
		text, token, suggestion string
	}{
		{`stop orders-ws "solar demo"`, "solar demo", ""},
		{"start orders-ws 프로세서", "프로세서", ""},
		{"start orders-ws .hidden", ".hidden", ""},
		{"start orders-ws solarDemo --tier SP7", "SP7", ""}, // a size between two tiers: no spelling is nearer
		{"start orders-ws solarDemo --tier 30", "30", "SP30"},
		{"start orders-ws solarDemo --max-tier SP50", "--max-tier", ""},
		{"stop orders-ws solarDemo --tier SP10", "--tier", ""},
		{"stop orders-ws", "", ""},
		{"processors", "", ""},
		{"processors orders-ws solarDemo", "solarDemo", "orders-ws-solarDemo"},
		{"connections orders_ws", "orders_ws", "orders-ws"},
		{"strat orders-ws p", "strat", "start"},
		{"pause orders-ws p", "pause", "stop"},
	}
	for _, tc := range bad {
		_, err := Parse(tc.text)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("Parse(%q) = %v, want a *UsageError", tc.text, err)
			continue
		}
		if ue.Token != tc.token || ue.Suggestion != tc.suggestion {
			t.Errorf("Parse(%q) = token %q, suggestion %q; want %q, %q (%v)", tc.text, ue.Token, ue.Suggestion, tc.token, tc.suggestion, err)
		}
	}
}

func TestParseHistory(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ text, workspace, project string }{
		{"history", "", ""},
		{"history orders-ws", "orders-ws", ""},
		{"history --project prod", "", "prod"},
		{"history orders-ws --project prod", "orders-ws", "prod"},
	} {
		c, err := Parse(tc.text)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.text, err)
			continue
		}
		if c.Name != History || c.Workspace != tc.workspace || c.Project != tc.project {
			t.Errorf("Parse(%q) = %+v, want history of %q in %q", tc.text, c, tc.workspace, tc.project)
		}
	}
	if _, err := Parse("history a b"); err == nil {
		t.Error(`Parse("history a b") = nil error, want one: history takes one workspace at most`)
	}
}
