package motoserver_test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/streambot/streambot/internal/motoserver"
)

// TestNoOrphanAfterCrash runs a test binary that starts moto_server and
// dies without cleanup, then checks the server died with it.
func TestNoOrphanAfterCrash(t *testing.T) {
	if os.Getenv("MOTOSERVER_CRASH_CHILD") == "1" {
		motoserver.Shared(t)
		os.Stdout.WriteString("pid=" + strconv.Itoa(os.Getpid()) + "\n")
		os.Exit(3) // no StopShared, no t.Cleanup
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoOrphanAfterCrash$")
	cmd.Env = append(os.Environ(), "MOTOSERVER_CRASH_CHILD=1")
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "pid=") {
		t.Fatalf("child did not start moto_server: %s", out)
	}
	child := cmd.Process.Pid
	deadline := time.Now().Add(10 * time.Second)
	for {
		orphans := crashChildServers(t)
		if len(orphans) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, p := range orphans {
				syscall.Kill(p, syscall.SIGKILL)
			}
			t.Fatalf("moto_server %v outlived its crashed parent %d", orphans, child)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// crashChildServers lists the moto_server processes started by the crashing
// child: they inherited its marker variable, which /proc shows.
func crashChildServers(t *testing.T) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("cannot look for orphans: %v", err)
	}
	var found []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if strings.Contains(string(cmdline), "moto_server") && strings.Contains(string(env), "MOTOSERVER_CRASH_CHILD=1") {
			found = append(found, p)
		}
	}
	return found
}
