package command

import (
	"strings"
)

// UsageError is a mistake in what the caller typed. Its Error text is meant
// for the caller as it is (after Slack escaping, as for any echoed text): it
// names the bad token, suggests the nearest valid word when there is one,
// and shows the usage line.
type UsageError struct {
	// Token is the offending token as the caller typed it (after Slack's
	// HTML entities are decoded); empty when something is missing.
	Token string
	// Message says what is wrong, naming Token.
	Message string
	// Suggestion is the nearest valid word ("SP30", "--region"), or empty.
	Suggestion string
	// Usage is the one usage line of the subcommand, or, when the
	// subcommand itself is unknown, the line that names every subcommand
	// (see [Usage]).
	Usage string
}

// Error renders the message, the suggestion and the usage line, e.g.
//
//	unknown tier "SP3O"; did you mean SP30?
//	usage: /stream create <name> [--provider AWS|AZURE|GCP] …
func (e *UsageError) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	if e.Suggestion != "" {
		b.WriteString("; did you mean ")
		b.WriteString(e.Suggestion)
		b.WriteString("?")
	}
	if e.Usage != "" {
		b.WriteString("\nusage: ")
		b.WriteString(strings.ReplaceAll(e.Usage, "\n", "\n       "))
	}
	return b.String()
}

// maxSuggestLen bounds the words that get a suggestion which is not an
// edit-distance match (a synonym, "SP" prepended, a lowercased project),
// so a pasted paragraph costs nothing. Edit-distance suggestions come from
// internal/suggest, the one implementation that the worker's name
// suggestions share.
const maxSuggestLen = 64
