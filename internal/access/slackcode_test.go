package access

import (
	"regexp"
	"strings"
	"testing"
)

// FuzzSlackCode holds slackCode to the pattern it replaces.
func FuzzSlackCode(f *testing.F) {
	pattern := regexp.MustCompile(`^[a-z0-9_.]{1,64}$`)
	for _, s := range []string{"", "missing_scope", "paid_teams_only", "ratelimited", "Missing", "a b", "https://x",
		strings.Repeat("a", 64), strings.Repeat("a", 65), "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := slackCode(s), pattern.MatchString(s); got != want {
			t.Errorf("slackCode(%q) = %t, the pattern says %t", s, got, want)
		}
	})
}
