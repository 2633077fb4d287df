//go:build !linux

package motoserver

import "os/exec"

// dieWithParent has no portable equivalent outside Linux; cleanup relies on
// t.Cleanup and StopShared there.
func dieWithParent(*exec.Cmd) {}
