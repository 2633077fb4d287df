package motoserver

import (
	"os/exec"
	"syscall"
)

// dieWithParent asks the kernel to kill moto_server when the test binary
// dies without running its cleanup (a panic, a -timeout, a kill), so no
// server outlives the run.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
