// Package testtools holds what several of streambot's test suites share: it
// finds the external programs the tests run (moto_server, cfn-lint, python3
// with aws-sam-translator) and decides what to do when one is missing, and
// [Buffer] collects logs written concurrently.
//
// The rule is the same everywhere: on CI (the CI environment variable is
// non-empty) or with STREAMBOT_REQUIRE_TOOLS=1 a missing tool fails the
// test, so CI can never pass by skipping; on a developer machine the test
// is skipped with a message naming the install command.
package testtools

import (
	"os"
	"os/exec"
	"testing"
)

// Required reports whether missing tools must fail tests rather than skip
// them: true when CI is non-empty or STREAMBOT_REQUIRE_TOOLS is "1".
func Required() bool {
	return os.Getenv("CI") != "" || os.Getenv("STREAMBOT_REQUIRE_TOOLS") == "1"
}

// Missing ends the test because something it needs is not installed:
// t.Fatal when [Required], t.Skip otherwise. what names the missing thing
// and hint says how to install it (e.g. `pip install "moto[server]"`).
func Missing(t testing.TB, what, hint string) {
	t.Helper()
	msg := what + " is not installed; install it with: " + hint
	if Required() {
		t.Fatal(msg + " (required because CI or STREAMBOT_REQUIRE_TOOLS=1 is set)")
	}
	t.Skip(msg + " (set STREAMBOT_REQUIRE_TOOLS=1 to make this a failure)")
}

// RequireTool returns the path of the program name found on PATH. If it is
// not there, it calls [Missing] with hint as the install command.
func RequireTool(t testing.TB, name, hint string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name, hint)
	}
	return path
}
