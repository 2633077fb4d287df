package e2e

import (
	"os"
	"testing"

	"github.com/streambot/streambot/internal/motoserver"
)

// TestMain stops the moto_server the tests share.
func TestMain(m *testing.M) {
	code := m.Run()
	motoserver.StopShared()
	os.Exit(code)
}
