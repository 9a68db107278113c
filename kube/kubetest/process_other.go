//go:build !linux

package kubetest

import "syscall"

// sysProcAttr is empty where the system has no parent-death signal.
func sysProcAttr() *syscall.SysProcAttr {
	return nil
}
