package state

import (
	"regexp"
	"strings"
	"testing"
)

// tableNamePattern is DynamoDB's documented rule that validTableName
// implements without a regular expression.
var tableNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)

func FuzzValidTableName(f *testing.F) {
	for _, s := range []string{"", "ab", "abc", "streambot-state", "a.b_c-D9", "no spaces", "tab\tle", "é-table",
		strings.Repeat("a", 255), strings.Repeat("a", 256), "table/name", "table:name"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validTableName(s), tableNamePattern.MatchString(s); got != want {
			t.Errorf("validTableName(%q) = %t, DynamoDB's rule says %t", s, got, want)
		}
	})
}
