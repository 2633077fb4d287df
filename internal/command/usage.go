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
	// Usage is the usage line of the subcommand (several lines when the
	// subcommand itself is unknown).
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

// maxSuggestLen bounds the words suggest compares, so a pasted paragraph
// costs nothing.
const maxSuggestLen = 64

// suggest returns the candidate nearest to word, ignoring case, or "" when
// none is near enough. Near enough means an edit distance (insertions,
// deletions, substitutions and swaps of neighbours) of at most a third of
// the candidate's length (at least 1), or word being a prefix of at least
// three letters. The first of equally near candidates wins.
func suggest[S ~string](word string, candidates []S) string {
	if word == "" || len(word) > maxSuggestLen {
		return ""
	}
	best, bestDist := "", maxSuggestLen+1
	for _, c := range candidates {
		c := string(c)
		if len(c) > maxSuggestLen {
			continue
		}
		d := distance(word, c)
		if d < bestDist && d <= max(1, len(c)/3) && d < len(c) {
			best, bestDist = c, d
		}
	}
	if best != "" {
		return best
	}
	if len(word) >= 3 {
		for _, c := range candidates {
			if len(c) > len(word) && strings.EqualFold(string(c[:len(word)]), word) {
				return string(c)
			}
		}
	}
	return ""
}

// distance is the optimal-string-alignment distance between a and b,
// comparing ASCII letters without case. Both are at most maxSuggestLen
// bytes long.
func distance(a, b string) int {
	var rows [3][maxSuggestLen + 1]int
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= len(b); j++ {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if lower(a[i-1]) == lower(b[j-1]) {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && lower(a[i-1]) == lower(b[j-2]) && lower(a[i-2]) == lower(b[j-1]) {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
