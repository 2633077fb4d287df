package slackid

import (
	"regexp"
	"testing"
)

// The regular expressions these checks replace: each check must agree
// with its expression on every input.
var patterns = []struct {
	name  string
	re    *regexp.Regexp
	check func(string) bool
}{
	{"User", regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`), User},
	{"Channel", regexp.MustCompile(`^[CDG][A-Z0-9]{1,20}$`), Channel},
	{"TS", regexp.MustCompile(`^[0-9]{1,12}\.[0-9]{1,8}$`), TS},
	{"OpID", regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`), OpID},
	{"Mention", regexp.MustCompile(`^(<@[UW][A-Z0-9]{1,20}>|<!subteam\^S[A-Z0-9]{1,20}>)$`), Mention},
}

var samples = []string{
	"", "U", "U0", "U0A", "W0LEAD", "u0lead", "U0LEAD\n", "U" + "ABCDEFGHIJ0123456789", "U" + "ABCDEFGHIJ0123456789X",
	"C0123ABCD", "D1", "G", "X0123", "C0123abcd",
	"1700000000.000100", "1.1", ".1", "1.", "1700000000000.1", "1.123456789", "17000000a0.000100", "1.2.3",
	"398738663017.47445629121.0c1d2e3f405162738495a6b7c8d9e0f1", "a_b-c.d", "a b", "é", "demo.10.1796606952529484057",
	"<@U0LEAD>", "<@W1>", "<@U>", "<@u0lead>", "<!subteam^S0SRE>", "<!subteam^S>", "<!channel>", "<@U0LEAD>x", "x<@U0LEAD>",
	"<!subteam^S0SRE|sre>", "<@U0LEAD|lead>",
}

func TestAgreesWithPatterns(t *testing.T) {
	for _, p := range patterns {
		for _, s := range samples {
			if got, want := p.check(s), p.re.MatchString(s); got != want {
				t.Errorf("%s(%q) = %v, want %v (as %s)", p.name, s, got, want, p.re)
			}
		}
	}
}

func FuzzAgreesWithPatterns(f *testing.F) {
	for _, s := range samples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range patterns {
			if got, want := p.check(s), p.re.MatchString(s); got != want {
				t.Errorf("%s(%q) = %v, want %v (as %s)", p.name, s, got, want, p.re)
			}
		}
	})
}
