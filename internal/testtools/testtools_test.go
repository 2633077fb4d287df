package testtools_test

import (
	"testing"

	"github.com/streambot/streambot/internal/testtools"
)

func TestRequired(t *testing.T) {
	tests := []struct {
		name, ci, require string
		want              bool
	}{
		{"developer machine", "", "", false},
		{"CI", "true", "", true},
		{"forced", "", "1", true},
		{"other value is not forced", "", "yes", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			t.Setenv("STREAMBOT_REQUIRE_TOOLS", tt.require)
			if got := testtools.Required(); got != tt.want {
				t.Errorf("Required() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRequireToolFound(t *testing.T) {
	if got := testtools.RequireTool(t, "sh", "your OS package manager"); got == "" {
		t.Error("RequireTool(sh) returned an empty path")
	}
}
