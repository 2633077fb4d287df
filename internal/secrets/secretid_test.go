package secrets

import (
	"regexp"
	"strings"
	"testing"
)

// secretIDPattern is what validSecretID implements by hand.
var secretIDPattern = regexp.MustCompile(`^[A-Za-z0-9/_+=.@:-]{1,1000}$`)

func TestValidSecretID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"arn:aws:secretsmanager:us-east-1:123456789012:secret:streambot/slack-Ab12Cd", true},
		{"streambot/slack", true},
		{"a+b=c.d@e_f-g", true},
		{strings.Repeat("a", 1000), true},
		{strings.Repeat("a", 1001), false},
		{"", false},
		{`{"signing_secret":"x"}`, false},
		{"name with space", false},
		{"caf\u00e9", false},
		{"tab\there", false},
	}
	for _, tt := range tests {
		t.Run(tt.id[:min(len(tt.id), 40)], func(t *testing.T) {
			if got := validSecretID(tt.id); got != tt.want {
				t.Errorf("validSecretID(%q) = %v, want %v", tt.id, got, tt.want)
			}
			if re := secretIDPattern.MatchString(tt.id); re != tt.want {
				t.Errorf("the pattern says %v for %q; the table is wrong", re, tt.id)
			}
		})
	}
}

func FuzzValidSecretID(f *testing.F) {
	for _, s := range []string{"", "arn:aws:secretsmanager:us-east-1:1:secret:x-AbCdEf", "a b", "\xff", strings.Repeat("z", 1000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if got, want := validSecretID(id), secretIDPattern.MatchString(id); got != want {
			t.Errorf("validSecretID(%q) = %v, the pattern says %v", id, got, want)
		}
	})
}
