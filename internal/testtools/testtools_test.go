package testtools_test

import (
	"sync"
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

func TestBufferConcurrent(t *testing.T) {
	var b testtools.Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				b.Write([]byte("x"))
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if got := len(b.String()); got != 800 {
		t.Errorf("len(String()) = %d after 800 one-byte writes", got)
	}
}
