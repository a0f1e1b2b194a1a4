package proc

import "syscall"

// SysProcAttr makes the kernel kill the child when the test process dies.
func SysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
