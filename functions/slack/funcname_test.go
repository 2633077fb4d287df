package main

import (
	"regexp"
	"strings"
	"testing"
)

// FuzzValidFunctionName holds validFunctionName to the single pattern it
// replaces.
func FuzzValidFunctionName(f *testing.F) {
	pattern := regexp.MustCompile(`^(arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:|\d{12}:function:)?[a-zA-Z0-9_-]{1,64}(:(\$LATEST|[a-zA-Z0-9_-]+))?$`)
	for _, s := range []string{"", "streambot-create", "streambot-create:live", "streambot-create:$LATEST",
		"123456789012:function:streambot-create", "arn:aws:lambda:us-east-1:123456789012:function:streambot-create:7",
		"arn:aws-cn:lambda:cn-north-1:123456789012:function:f", "arn:aws:lambda:us-east-1:12345:function:f",
		strings.Repeat("f", 64), strings.Repeat("f", 65), "123456789012:function:" + strings.Repeat("f", 65),
		"f:", "f:a:b", "a b", "123456789012"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validFunctionName(s), pattern.MatchString(s); got != want {
			t.Errorf("validFunctionName(%q) = %t, the pattern says %t", s, got, want)
		}
	})
}
