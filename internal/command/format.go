package command

import (
	"fmt"
	"strings"
)

// String renders c as canonical command text, which [Parse] accepts and
// which parses back to c: the subcommand, the name, then the flags in the
// order help lists them, with Atlas's spellings (or the cloud code the
// caller typed, so RegionInput survives). A name that starts with a dash
// comes last, after `--`. It is meant for logs and tests, not for Slack.
func (c Command) String() string {
	var b strings.Builder
	b.Grow(96) // a create with every flag, in one allocation
	b.WriteString(string(c.Name))
	if c.Name == Help {
		if c.Topic != "" {
			b.WriteString(" ")
			b.WriteString(string(c.Topic))
		}
		return b.String()
	}
	dashed := strings.HasPrefix(c.Workspace, "-")
	if c.Workspace != "" && !dashed {
		b.WriteString(" ")
		b.WriteString(c.Workspace)
		if c.Processor != "" {
			b.WriteString(" ")
			b.WriteString(c.Processor)
		}
	}
	flag := func(name, v string) {
		if v == "" {
			return
		}
		b.WriteString(" --")
		b.WriteString(name)
		if strings.HasPrefix(v, "-") {
			b.WriteString("=")
		} else {
			b.WriteString(" ")
		}
		b.WriteString(v)
	}
	if c.ProviderSet {
		flag("provider", string(c.Provider))
	}
	flag("region", regionTyped(&c))
	flag("tier", string(c.Tier))
	flag("max-tier", string(c.MaxTier))
	if c.SampleSolar {
		b.WriteString(" --sample-solar")
	}
	flag("project", c.Project)
	if c.DryRun {
		b.WriteString(" --dry-run")
	}
	if dashed {
		b.WriteString(" -- ")
		b.WriteString(c.Workspace)
		if c.Processor != "" {
			b.WriteString(" ")
			b.WriteString(c.Processor)
		}
	}
	return b.String()
}

// RequireRegion makes sure a create command has a region. When the caller
// gave none it takes defaultRegion (the access policy's, an Atlas name or a
// cloud code); without --provider the provider becomes the default
// region's. It returns a *[UsageError] when there is no region at all, when
// the default is not a known region, or when it is not a region of the
// provider the caller asked for. Other commands are left alone.
func (c *Command) RequireRegion(defaultRegion string) error {
	if c.Name != Create || c.Region != "" {
		return nil
	}
	usage := Usage(Create)
	if defaultRegion == "" {
		return &UsageError{Message: "create needs --region, e.g. --region us-east-1 or --region VIRGINIA_USA: there is no default region", Usage: usage}
	}
	r, ok := LookupRegion(defaultRegion)
	if !ok {
		return &UsageError{Token: defaultRegion, Usage: usage,
			Message: fmt.Sprintf("the default region %q is not a region Atlas offers; give --region", defaultRegion)}
	}
	if c.ProviderSet && r.Provider != c.Provider {
		return &UsageError{Token: string(c.Provider), Usage: usage, Message: fmt.Sprintf(
			"the default region %s is on %s, not %s; give --region with a %s region", r.Name, r.Provider, c.Provider, c.Provider)}
	}
	c.Region, c.Provider, c.RegionInput = r.Name, r.Provider, ""
	if r.Code != "" && strings.EqualFold(defaultRegion, r.Code) {
		c.RegionInput = r.Code
	}
	return nil
}
