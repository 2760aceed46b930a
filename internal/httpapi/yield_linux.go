package httpapi

import "syscall"

// yieldCPU gives the CPU to the other runnable threads of the machine, if
// any, before the calling thread goes on (sched_yield). The Go scheduler is
// told it is a system call, so that a long wait does not hold a P.
var yieldCPU = func() { syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
