package suggest

import (
	"strings"
	"testing"
)

func TestNearest(t *testing.T) {
	t.Parallel()
	words := []string{"create", "list", "describe"}
	tests := []struct {
		word, want string
	}{
		{"craete", "create"}, // a swap counts once
		{"CREAT", "create"},
		{"lst", "list"},
		{"describ", "describe"},
		{"des", "describe"}, // prefix
		{"x", ""},
		{"zzzzzz", ""},
		{"", ""},
		{strings.Repeat("c", MaxLen+1), ""},
	}
	for _, tc := range tests {
		if got := Nearest(tc.word, words); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestNearestName(t *testing.T) {
	t.Parallel()
	names := []string{"solarDemo", "orders-enrich-003", "orders-enrich-004", "orders-dedupe", strings.Repeat("p", MaxLen+1)}
	tests := []struct {
		name, want string
	}{
		{"solardemo", "solarDemo"},                 // case only: as spelled in names
		{"solarDemoo", "solarDemo"},                // one insertion
		{"orders-enrich-005", "orders-enrich-003"}, // the first of equals
		{"orders-dedup", "orders-dedupe"},
		{"ord", "orders-enrich-003"}, // a prefix
		{"inventory", ""},
		{"프로세서", ""},
		{strings.Repeat("p", MaxLen+1), ""}, // too long to compare
	}
	for _, tc := range tests {
		if got := NearestName(tc.name, names); got != tc.want {
			t.Errorf("NearestName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := NearestName("x", nil); got != "" {
		t.Errorf("NearestName with no names = %q, want \"\"", got)
	}
}

func FuzzNearest(f *testing.F) {
	f.Add("solarDem", "solarDemo")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, word, candidate string) {
		got := NearestName(word, []string{candidate})
		if got != "" && got != candidate {
			t.Fatalf("NearestName(%q, [%q]) = %q, not a candidate", word, candidate, got)
		}
		// Equal but for ASCII case (strings.EqualFold would also match
		// invalid UTF-8 bytes, which all read as U+FFFD).
		if asciiLower(word) == asciiLower(candidate) && word != "" && len(word) <= MaxLen && got != candidate {
			t.Fatalf("NearestName(%q, [%q]) = %q, want the exact match", word, candidate, got)
		}
	})
}

func asciiLower(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = lower(b[i])
	}
	return string(b)
}
