// Package suggest finds the nearest of a few known words to a mistyped one:
// a subcommand, a region, a workspace or a processor name.
//
// It has no dependencies, so that both the command parser
// (internal/command) and the worker (suggesting an existing workspace or
// processor for an unknown one) can use it without an import cycle. The
// algorithm is the one internal/command's usage errors introduced.
package suggest

import "strings"

// MaxLen bounds the words Nearest compares, so a pasted paragraph costs
// nothing. It covers the longest names streambot accepts (processor names,
// 128 characters).
const MaxLen = 128

// Nearest returns the candidate nearest to word, ignoring ASCII case, or ""
// when none is near enough. Near enough means an edit distance (insertions,
// deletions, substitutions and swaps of neighbours) of at most a third of
// the candidate's length (at least 1), or word being a prefix of at least
// three letters. The first of equally near candidates wins; an exact match
// (ignoring case) is returned as it is spelled in candidates.
func Nearest[S ~string](word string, candidates []S) string {
	if word == "" || len(word) > MaxLen {
		return ""
	}
	best, bestDist := "", MaxLen+1
	for _, c := range candidates {
		c := string(c)
		if len(c) > MaxLen {
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

// NearestName returns the existing name nearest to name (a workspace or
// processor the caller mistyped), or "" when none is near enough; see
// [Nearest].
func NearestName(name string, names []string) string { return Nearest(name, names) }

// distance is the optimal-string-alignment distance between a and b,
// comparing ASCII letters without case. Both are at most MaxLen bytes long.
func distance(a, b string) int {
	var rows [3][MaxLen + 1]int
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
