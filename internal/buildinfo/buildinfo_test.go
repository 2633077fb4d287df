package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		bi   debug.BuildInfo
		want string
	}{
		{debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "1c41c05e9a2b3c4d5e6f"}, {Key: "vcs.time", Value: "2026-12-06T21:14:03Z"}, {Key: "vcs.modified", Value: "false"}}},
			"v1.2.0 (rev 1c41c05e9a2b, 2026-12-06T21:14:03Z) go1.26.8"},
		{debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}},
			"(devel) (rev abc, modified) go1.26.8"},
		{debug.BuildInfo{GoVersion: "go1.26.8"}, "(devel) go1.26.8"},
	}
	for _, tc := range tests {
		if got := format(&tc.bi); got != tc.want {
			t.Errorf("format(%+v) = %q, want %q", tc.bi, got, tc.want)
		}
	}
}

// The running binary (this test) has build information: Version shows at
// least its Go version.
func TestVersionOfThisBinary(t *testing.T) {
	if got := Version(); !strings.HasSuffix(got, runtime.Version()) {
		t.Errorf("Version() = %q, want it to end in %s", got, runtime.Version())
	}
}
