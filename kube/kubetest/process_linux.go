package kubetest

import "syscall"

// sysProcAttr makes a started process die with the test binary that
// started it, even when the test binary ends without its cleanups (a
// timeout's panic, a kill).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
