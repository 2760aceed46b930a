//go:build !linux

package main

import "syscall"

// childAttrs returns nil: only Linux has a parent-death signal. Children of
// the benchmark still exit when their standard input closes.
func childAttrs() *syscall.SysProcAttr { return nil }
