package atlasspec

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The programs people run link no OpenAPI validator: kin-openapi and the
// JSON Schema library it imports cost about 3 ms of package initialization
// (jsonschema/v6 compiles five metaschemas in its init) in every process
// that links them. Only tests install atlasspec's Checker in the simulator.
func TestProgramsLinkNoValidator(t *testing.T) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	programs := []string{"./cmd/streambot", "./functions/slack", "./functions/create"}
	for _, p := range programs {
		cmd := exec.Command("go", "list", "-deps", p)
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", p, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 50 {
			t.Fatalf("go list -deps %s listed %d packages: %q", p, len(deps), out)
		}
		for _, d := range deps {
			for _, banned := range []string{"github.com/getkin/kin-openapi", "github.com/santhosh-tekuri/jsonschema", "github.com/streambot/streambot/pkg/atlas/atlasspec"} {
				if d == banned || strings.HasPrefix(d, banned+"/") {
					t.Errorf("%s links %s", p, d)
				}
			}
		}
	}
}
