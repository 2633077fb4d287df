package settings

import (
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		v  string
		ok bool
	}{
		{"https://cloud.mongodb.com", true},
		{"http://127.0.0.1:8080/api/", true},
		{"ftp://example.com", false},
		{"cloud.mongodb.com", false},
		{"https://", false},
		{"https://user:hunter2@example.com", false},
		{"https://slack.com/api/?token=xoxb-secret", false},
		{"https://example.com/#frag", false},
		{"://bad", false},
	}
	for _, tc := range tests {
		err := CheckURL(tc.v)
		if (err == nil) != tc.ok {
			t.Errorf("CheckURL(%q) = %v, want ok %v", tc.v, err, tc.ok)
		}
		for _, secret := range []string{"hunter2", "xoxb-secret"} {
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("CheckURL(%q) error %q repeats a secret", tc.v, err)
			}
		}
	}
}
