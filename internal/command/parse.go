package command

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/streambot/streambot/internal/suggest"
	"github.com/streambot/streambot/pkg/atlas"
)

// Parse turns the text Slack sends after the command word into a Command.
// The accepted forms are
//
//	create <name> [--provider AWS|AZURE|GCP] [--region R] [--tier SP2|SP5|SP10|SP30|SP50]
//	              [--max-tier T] [--sample-solar] [--project ALIAS|GROUP_ID] [--dry-run]
//	list [--project P]
//	describe <name> [--project P]
//	update <name> [--tier T] [--max-tier T] [--provider P --region R] [--project P] [--dry-run]
//	delete <name> [--project P] [--dry-run]
//	processors <workspace> [--project P]
//	processor <workspace> <processor> [--project P]
//	start <workspace> <processor> [--tier T] [--project P] [--dry-run]
//	stop <workspace> <processor> [--project P] [--dry-run]
//	connections <workspace> [--project P]
//	help [<command>]
//
// and help is also what empty text, -h and --help give; `create --help`
// (or -h anywhere before a `--`) gives the help for create. An operation
// declared with a form ([Op].Form: create) and typed with no arguments at
// all gives a Command with only Name and Form set: the caller opens the
// form. (`create --project prod`, with flags but no name, is still a usage
// error.)
//
// Words are separated by any Unicode space. Before splitting, Slack's HTML
// entities (&amp; &lt; &gt;) are decoded, smart quotes become ASCII quotes,
// an em or en dash becomes "--" (what autocorrect made of it), Unicode
// hyphens and the minus sign become "-", and zero-width characters and soft
// hyphens are dropped. Single, double or back quotes (inline code) group a
// word (there is no backslash escaping), and a Slack escape such as <@U123>,
// <!channel> or <http://x|label> stays one word, so it is reported whole
// rather than in pieces.
//
// The subcommand, flag names and enum values are case-insensitive. Flags
// take their value as `--flag value` or `--flag=value`, may come before or
// after the name, and may be given once each; a single leading dash works
// too, and `--` ends the flags (for a name that starts with a dash).
// Switches (--sample-solar, --dry-run) also take =true or =false.
//
// For create, the provider defaults to AWS and the tier to SP30. A region
// is an Atlas name or the cloud's code, in any case (us-east-1 →
// VIRGINIA_USA, RegionInput "us-east-1"). Without --provider the provider
// is the region's; with --provider, a region of another provider is a usage
// error rather than a silent switch. The region may be left out: the caller
// then applies the policy's default with [Command.RequireRegion].
//
// An update must change something: a tier, a max tier or a region (whose
// provider is the region's; --provider alone is a usage error).
//
// Names must pass [atlas.ValidateName], tiers [atlas.ValidateTiers], and a
// project must look like an alias ([a-z0-9_-], at most 64) or a 24-hex ID.
// Every mistake is a *[UsageError]; Parse returns no other error.
func Parse(text string) (Command, error) {
	var buf [16]string
	text = normalize(text)
	toks, uerr := split(text, buf[:0])
	if uerr != nil {
		// The words could not be split, but the first one may still name
		// the subcommand whose usage line helps.
		uerr.Usage = Usage(Name(strings.Fields(text)[0])) // a quote makes one word at least
		return Command{}, uerr
	}
	if len(toks) == 0 {
		return Command{Name: Help}, nil
	}
	sc := lookupSubcommand(toks[0])
	if sc == nil && isHelpFlag(toks[0]) {
		sc = helpCmd
	}
	if sc == nil {
		return Command{}, unknownSubcommand(toks[0], Usage(""))
	}
	c, uerr := sc.parse(toks[1:])
	if uerr != nil {
		if uerr.Usage == "" {
			uerr.Usage = sc.usage()
		}
		return Command{}, uerr
	}
	return c, nil
}

func unknownSubcommand(tok, usage string) *UsageError {
	s := suggest.Nearest(tok, subcommandNames)
	if s == "" && len(tok) <= maxSuggestLen {
		s = string(synonyms[strings.ToLower(tok)])
	}
	return &UsageError{Token: tok, Message: fmt.Sprintf("unknown subcommand %q", tok), Suggestion: s, Usage: usage}
}

func isHelpFlag(t string) bool {
	return t == "-h" || t == "--h" || strings.EqualFold(t, "--help") || strings.EqualFold(t, "-help")
}

// isFlag reports whether t is a flag (or the `--` terminator) rather than
// a positional argument; a lone "-" is positional.
func isFlag(t string) bool { return len(t) > 1 && t[0] == '-' }

func (sc *Op) parse(args []string) (Command, *UsageError) {
	if sc == helpCmd {
		return parseHelp(args)
	}
	for _, t := range args {
		if t == "--" {
			break
		}
		if isHelpFlag(t) {
			return Command{Name: Help, Topic: sc.name}, nil
		}
	}
	if len(args) == 0 && sc.Form {
		return Command{Name: sc.name, Form: true}, nil
	}
	c := Command{Name: sc.name}
	if sc == createCmd {
		c.Provider, c.Tier = defaultProvider, defaultTier
	}
	var seen uint64
	named, flagsDone := 0, false
	for i := 0; i < len(args); i++ {
		t := args[i]
		if flagsDone || !isFlag(t) {
			if err := sc.positional(&c, t, named); err != nil {
				return Command{}, err
			}
			named++
			continue
		}
		if t == "--" {
			flagsDone = true
			continue
		}
		flag, val, hasVal := strings.Cut(t, "=")
		idx, f := sc.lookupFlag(strings.TrimPrefix(flag[1:], "-"))
		if f == nil {
			return Command{}, sc.unknownFlag(flag)
		}
		if seen&(1<<idx) != 0 {
			return Command{}, &UsageError{Token: t, Message: fmt.Sprintf("--%s is given twice (again as %q)", f.name, t)}
		}
		seen |= 1 << idx
		if f.arg == "" {
			on := true
			if hasVal {
				var err error
				if on, err = strconv.ParseBool(val); err != nil {
					return Command{}, &UsageError{Token: t, Message: fmt.Sprintf("%q: --%s is a switch; give it without a value", t, f.name)}
				}
			}
			f.turn(&c, on)
			continue
		}
		if !hasVal && i+1 < len(args) && !isFlag(args[i+1]) {
			i++
			val, hasVal = args[i], true
		}
		if !hasVal || val == "" {
			return Command{}, &UsageError{Token: t, Message: fmt.Sprintf("%q needs a value: --%s %s", t, f.name, f.arg)}
		}
		if err := f.set(&c, val); err != nil {
			return Command{}, err
		}
	}
	switch {
	case named == 0 && sc.Args >= ArgsWorkspace && !sc.Optional:
		return Command{}, &UsageError{Message: fmt.Sprintf("%s needs a workspace name", sc.name)}
	case named == 1 && sc.Args == ArgsProcessor:
		return Command{}, &UsageError{Message: fmt.Sprintf("%s needs a workspace and a processor name", sc.name)}
	}
	var err *UsageError
	switch sc {
	case createCmd:
		err = checkCreate(&c)
	case updateCmd:
		err = checkUpdate(&c)
	}
	if err != nil {
		return Command{}, err
	}
	return c, nil
}

// checkUpdate checks what spans an update's flags: something must change,
// --provider needs --region, the region must be the provider's, and the
// max tier must not be below the tier when both are given. (The max tier
// against the workspace's current tier is checked by the worker, which
// reads the workspace.)
func checkUpdate(c *Command) *UsageError {
	if c.Tier == "" && c.MaxTier == "" && c.Region == "" && !c.ProviderSet {
		return &UsageError{Message: "update changes nothing: give --tier, --max-tier or --region"}
	}
	if c.ProviderSet && c.Region == "" {
		return &UsageError{Token: "--provider", Message: fmt.Sprintf(
			"--provider %s moves the workspace only together with --region: give a %s region", c.Provider, c.Provider)}
	}
	if c.Region != "" {
		p, _ := atlas.ProviderOf(c.Region)
		if c.ProviderSet && p != c.Provider {
			return &UsageError{Token: regionTyped(c), Message: fmt.Sprintf(
				"%s is on %s, not %s: leave out --provider, or give --provider %s, or give %s %s region",
				regionTyped(c), p, c.Provider, p, article(c.Provider), c.Provider)}
		}
		c.Provider = p
	}
	if c.Tier != "" {
		if err := atlas.ValidateTiers(c.Tier, c.MaxTier); err != nil {
			return badValue("--max-tier", string(c.MaxTier), err, "")
		}
	}
	return nil
}

// positional takes the named-th non-flag argument: the workspace name, the
// processor name, or a mistake.
func (sc *Op) positional(c *Command, t string, named int) *UsageError {
	switch {
	case sc.Args == ArgsNone:
		return &UsageError{Token: t, Message: fmt.Sprintf("%s takes no arguments, only flags; got %q", sc.name, t)}
	case named == 1 && sc.Args == ArgsProcessor:
		if err := atlas.ValidateProcessorName(t); err != nil {
			return badValue("processor name", t, err, "")
		}
		c.Processor = t
		return nil
	case named > 0:
		e := &UsageError{Token: t, Message: fmt.Sprintf("unexpected argument %q: a workspace name is a single word", t)}
		if joined := c.Workspace + "-" + t; !strings.HasPrefix(t, "-") && atlas.ValidateName(joined) == nil {
			e.Suggestion = joined
		}
		return e
	}
	if err := atlas.ValidateName(t); err != nil {
		return badValue("workspace name", t, err, nameSuggestion(t))
	}
	c.Workspace = t
	return nil
}

func (sc *Op) unknownFlag(flag string) *UsageError {
	name := strings.TrimLeft(flag, "-")
	e := &UsageError{Token: flag, Message: fmt.Sprintf("unknown flag %q for %s", flag, sc.name)}
	names := make([]string, len(sc.flags))
	for i, f := range sc.flags {
		names[i] = f.name
	}
	if s := suggest.Nearest(name, names); s != "" {
		e.Suggestion = "--" + s
		return e
	}
	for _, other := range subcommands {
		if _, f := other.lookupFlag(name); f != nil {
			e.Message = fmt.Sprintf("%s has no --%s flag; that is a flag of %s", sc.name, f.name, other.name)
			break
		}
	}
	return e
}

func parseHelp(args []string) (Command, *UsageError) {
	c, topic := Command{Name: Help}, false
	for _, t := range args {
		if isHelpFlag(t) {
			continue
		}
		if topic {
			return Command{}, &UsageError{Token: t, Message: fmt.Sprintf("unexpected argument %q: help takes one subcommand", t)}
		}
		topic = true
		sc := lookupSubcommand(t)
		if sc == nil {
			return Command{}, unknownSubcommand(t, Usage(""))
		}
		if sc != helpCmd {
			c.Topic = sc.name
		}
	}
	return c, nil
}

// checkCreate checks what spans flags: the region against the provider, and
// the max tier against the tier.
func checkCreate(c *Command) *UsageError {
	if c.Region != "" {
		p, _ := atlas.ProviderOf(c.Region)
		switch {
		case !c.ProviderSet:
			c.Provider = p
		case p != c.Provider:
			return &UsageError{Token: regionTyped(c), Message: fmt.Sprintf(
				"%s is on %s, not %s: leave out --provider, or give --provider %s, or give %s %s region",
				regionTyped(c), p, c.Provider, p, article(c.Provider), c.Provider)}
		}
	}
	if err := atlas.ValidateTiers(c.Tier, c.MaxTier); err != nil {
		return badValue("--max-tier", string(c.MaxTier), err, "")
	}
	return nil
}

// article is "an" before AWS and AZURE, "a" before GCP.
func article(p atlas.Provider) string {
	if p == atlas.ProviderGCP {
		return "a"
	}
	return "an"
}

func regionTyped(c *Command) string {
	if c.RegionInput != "" {
		return c.RegionInput
	}
	return c.Region
}

func setProvider(c *Command, v string) *UsageError {
	for _, p := range atlas.Providers {
		if strings.EqualFold(v, string(p)) {
			c.Provider, c.ProviderSet = p, true
			return nil
		}
	}
	return &UsageError{Token: v, Message: fmt.Sprintf("unknown provider %q (the providers are %s)", v, joinWords(atlas.Providers, ", ")),
		Suggestion: suggest.Nearest(v, atlas.Providers)}
}

func setRegion(c *Command, v string) *UsageError {
	r, ok := LookupRegion(v)
	if !ok {
		return &UsageError{Token: v, Message: fmt.Sprintf("unknown region %q (`/stream help create` lists them)", v),
			Suggestion: suggest.Nearest(v, regionWords)}
	}
	c.Region, c.RegionInput = r.Name, ""
	if r.Code != "" && strings.EqualFold(v, r.Code) {
		c.RegionInput = r.Code
	}
	return nil
}

func setTier(dst *atlas.Tier, what, v string) *UsageError {
	for _, t := range atlas.Tiers {
		if strings.EqualFold(v, string(t)) {
			*dst = t
			return nil
		}
	}
	e := &UsageError{Token: v, Message: fmt.Sprintf("unknown %s %q (the tiers are %s)", what, v, joinWords(atlas.Tiers, ", "))}
	n, ok := tierSize(v)
	if !ok {
		e.Suggestion = suggest.Nearest(v, atlas.Tiers)
		return e
	}
	// A size (SP100, sp1, 30): the nearest spelling would be wrong (SP10
	// for SP100), so say where the range ends, or add the missing "SP".
	first, last := atlas.Tiers[0], atlas.Tiers[len(atlas.Tiers)-1]
	smallest, _ := tierSize(string(first))
	largest, _ := tierSize(string(last))
	switch all := joinWords(atlas.Tiers, ", "); {
	case n > largest:
		e.Message = fmt.Sprintf("%s %q is above the largest tier, %s (the tiers are %s)", what, v, last, all)
	case n < smallest:
		e.Message = fmt.Sprintf("%s %q is below the smallest tier, %s (the tiers are %s)", what, v, first, all)
	case atlas.Tier("SP"+strconv.Itoa(n)).Rank() >= 0:
		e.Suggestion = "SP" + strconv.Itoa(n)
	}
	return e
}

// tierSize reads the number of a tier typed as SP<n> (any case) or a bare
// <n>; it reports false for anything else.
func tierSize(v string) (int, bool) {
	if len(v) > 2 && strings.EqualFold(v[:2], "SP") {
		v = v[2:]
	}
	if v == "" || len(v) > 6 || strings.TrimLeft(v, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// setProject accepts an alias-looking word or a 24-hex project ID (which is
// also alias-looking); which one it is, and whether the caller may use it,
// is the access policy's business.
func setProject(c *Command, v string) *UsageError {
	if validProject(v) {
		c.Project = v
		return nil
	}
	e := &UsageError{Token: v, Message: fmt.Sprintf(
		"project %q is neither a project alias (lowercase letters, digits, _ and -, at most 64) nor a 24-hex project ID", v)}
	if m := slackEscape(v); m != "" {
		e.Message = fmt.Sprintf("project %q is %s, not a project alias or ID", v, m)
	} else if l := strings.ToLower(v); len(v) <= maxSuggestLen && validProject(l) {
		e.Suggestion = l
	}
	return e
}

func validProject(v string) bool {
	if len(v) == 0 || len(v) > 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// badValue turns a validation error about token into a UsageError.
func badValue(what, token string, err error, suggestion string) *UsageError {
	msg := err.Error()
	var ve *atlas.ValidationError
	if errors.As(err, &ve) {
		msg = ve.Message
	}
	if m := slackEscape(token); m != "" {
		msg = fmt.Sprintf("that is %s; a workspace name is plain ASCII letters, digits and hyphens", m)
	}
	return &UsageError{Token: token, Message: fmt.Sprintf("%s %q: %s", what, token, msg), Suggestion: suggestion}
}

// nameSuggestion proposes a valid name for an invalid one when only
// separators or letters' accents are wrong: orders_ws, orders.ws or a
// quoted "orders ws" (any Unicode space) → orders-ws, café-ws → cafe-ws.
// Accents are dropped by Unicode compatibility decomposition (NFKD) and
// removing the combining marks, which also turns full-width letters and
// ligatures into ASCII; a letter with no ASCII form (ß, ø) gets no
// suggestion.
func nameSuggestion(t string) string {
	if len(t) > 4*atlas.MaxNameLen || t == "" {
		return ""
	}
	s := t
	if !isASCII(s) {
		s = norm.NFKD.String(s)
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '_' || r == '.' || unicode.IsSpace(r):
			return '-'
		case r >= utf8.RuneSelf && unicode.Is(unicode.Mn, r):
			return -1
		}
		return r
	}, s)
	if s == t || atlas.ValidateName(s) != nil {
		return ""
	}
	return s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// slackEscape describes t if it is one of Slack's escapes (a mention, a
// channel or a link), and returns "" otherwise.
func slackEscape(t string) string {
	if len(t) < 3 || t[0] != '<' || t[len(t)-1] != '>' {
		return ""
	}
	switch {
	case strings.HasPrefix(t, "<@"):
		return "a Slack user mention"
	case strings.HasPrefix(t, "<!subteam^"):
		return "a Slack user group mention"
	case strings.HasPrefix(t, "<!"):
		return "a Slack special mention such as @channel"
	case strings.HasPrefix(t, "<#"):
		return "a Slack channel link"
	}
	return "a link (Slack turned it into one)"
}

var (
	entities   = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")
	typography = strings.NewReplacer(
		"\u201c", `"`, "\u201d", `"`, "\u201e", `"`, // “ ” „
		"\u2018", "'", "\u2019", "'", "\u201a", "'", // ‘ ’ ‚
		"\u2014", "--", "\u2013", "--", // — – (autocorrected --)
		"\u2010", "-", "\u2011", "-", "\u2212", "-", // ‐ ‑ − (hyphen, non-breaking hyphen, minus)
		"\u200b", "", "\u200c", "", "\u200d", "", "\u2060", "", "\ufeff", "", "\u00ad", "", // zero-width, soft hyphen
	)
)

// normalize undoes what Slack and its clients do to typed text. It
// allocates only when there is something to undo.
func normalize(s string) string {
	if strings.IndexByte(s, '&') >= 0 {
		s = entities.Replace(s)
	}
	if !isASCII(s) {
		return typography.Replace(s)
	}
	return s
}

// split breaks s into words at Unicode spaces, appending them to dst.
// Quotes (", ' and `) group (and are removed); a Slack escape <…> is kept
// whole.
func split(s string, dst []string) ([]string, *UsageError) {
	i, noClose := 0, false
	for {
		for i < len(s) {
			r, n := decodeRune(s[i:])
			if !unicode.IsSpace(r) {
				break
			}
			i += n
		}
		if i == len(s) {
			return dst, nil
		}
		start := i
		var b *strings.Builder // set once the word holds a quote
	word:
		for i < len(s) {
			switch c := s[i]; c {
			case '"', '\'', '`':
				end := strings.IndexByte(s[i+1:], c)
				if end < 0 {
					return nil, &UsageError{Token: s[start:], Message: fmt.Sprintf("unclosed quote (%c) in %s", c, s[start:])}
				}
				if b == nil {
					b = new(strings.Builder)
					b.WriteString(s[start:i])
				}
				b.WriteString(s[i+1 : i+1+end])
				i += end + 2
				continue
			case '<':
				end := -1
				if !noClose {
					end = strings.IndexByte(s[i:], '>')
					noClose = end < 0 // so a run of '<' costs linear time
				}
				if end >= 0 {
					if b != nil {
						b.WriteString(s[i : i+end+1])
					}
					i += end + 1
					continue
				}
			}
			r, n := decodeRune(s[i:])
			if unicode.IsSpace(r) {
				break word
			}
			if b != nil {
				b.WriteString(s[i : i+n])
			}
			i += n
		}
		if b != nil {
			dst = append(dst, b.String())
		} else {
			dst = append(dst, s[start:i])
		}
	}
}

func decodeRune(s string) (rune, int) {
	if s[0] < utf8.RuneSelf {
		return rune(s[0]), 1
	}
	return utf8.DecodeRuneInString(s)
}
