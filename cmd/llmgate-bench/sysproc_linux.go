package main

import "syscall"

// childAttrs makes a child process receive SIGKILL when the benchmark dies,
// so that a crashed or killed benchmark leaves no orphans.
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
