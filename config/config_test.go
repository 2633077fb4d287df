// Package config_test checks that the example access policy loads: a
// platform team's first edit should start from a valid document.
package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/streambot/streambot/internal/access"
)

func TestAccessExampleLoads(t *testing.T) {
	data, err := os.ReadFile("access.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := access.Load(data); err != nil {
		t.Fatalf("access.example.yaml: %v", err)
	}
}

// The optional keys are shown commented out; uncommented they must load too.
func TestAccessExampleOptionalKeysLoad(t *testing.T) {
	data, err := os.ReadFile("access.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, line := range strings.Split(string(data), "\n") {
		for _, key := range []string{"# default_region:", "# action_roles:", "#   create:", "#   list:"} {
			if strings.HasPrefix(line, key) {
				line = strings.TrimPrefix(line, "# ")
			}
		}
		lines = append(lines, line)
	}
	uncommented := strings.Join(lines, "\n")
	if uncommented == string(data) {
		t.Fatal("found no commented-out optional keys to check")
	}
	p, err := access.Load([]byte(uncommented))
	if err != nil {
		t.Fatalf("access.example.yaml with the optional keys: %v", err)
	}
	if got := p.DefaultRegion(); got != "VIRGINIA_USA" {
		t.Errorf("DefaultRegion() = %q, want VIRGINIA_USA", got)
	}
}
