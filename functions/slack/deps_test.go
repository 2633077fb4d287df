package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The function makes its one Lambda call with dispatch.Client: the SDK's
// Lambda client would add about 650 kB to the bootstrap and 0.5 ms of
// package initialization (service/lambda/schemas) to every cold start.
func TestLinksNoLambdaSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps listed %d packages: %q", len(deps), out)
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/aws/aws-sdk-go-v2/service/lambda") {
			t.Errorf("the Slack function links %s", d)
		}
	}
}
