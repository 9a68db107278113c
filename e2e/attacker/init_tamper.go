package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"

	"golang.org/x/sys/unix"
)

// The attacks on the guest's init: as the guest's root, try to take the
// init's descriptors (its control socket among them) and its memory, the
// way a hostile tenant would to answer the daemon in the init's place.
func init() {
	register("init-tamper", initTamper)
	register("trace-own", traceOwn)
}

// traceOwn starts a child and attaches to it with ptrace, as strace -p or
// gdb -p would: guest root keeps that.
func traceOwn([]string) error {
	runtime.LockOSThread()
	cmd := exec.Command("/bin/sleep", "30")
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Process.Kill()
	report("ptrace_child", errName(ptraceSeize(cmd.Process.Pid)))
	return nil
}

// initTamper tries ptrace, pidfd_getfd, /proc/1/fd, /proc/1/mem and
// process_vm_readv on PID 1, and reports for each whether it worked.
func initTamper([]string) error {
	report("ptrace_attach", errName(unix.PtraceAttach(1)))
	report("ptrace_seize", errName(ptraceSeize(1)))
	report("pidfd_getfd", pidfdGetfd())
	_, err := os.Readlink("/proc/1/fd/0")
	report("proc_fd_link", errName(err))
	f, err := os.Open("/proc/1/mem")
	if err == nil {
		f.Close()
	}
	report("proc_mem", errName(err))
	_, err = os.ReadFile("/proc/1/environ")
	report("proc_environ", errName(err))
	return nil
}

// pidfdGetfd opens a pidfd on PID 1 and tries to take each of its first
// descriptors; it reports "ok" if any came, else the first error.
func pidfdGetfd() string {
	pfd, err := unix.PidfdOpen(1, 0)
	if err != nil {
		return "pidfd_open:" + errName(err)
	}
	defer unix.Close(pfd)
	var first error
	for fd := 0; fd < 16; fd++ {
		got, err := unix.PidfdGetfd(pfd, fd, 0)
		if err == nil {
			unix.Close(got)
			return "ok"
		}
		if first == nil && err != unix.EBADF {
			first = err
		}
	}
	return errName(first)
}

// ptraceSeize is PTRACE_SEIZE, which x/sys/unix does not wrap.
func ptraceSeize(pid int) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SEIZE, uintptr(pid), 0, 0, 0, 0)
	if e != 0 {
		return e
	}
	unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_DETACH, uintptr(pid), 0, 0, 0, 0)
	return nil
}

// errName renders err for a report: "ok" for nil, else the errno's name.
func errName(err error) string {
	if err == nil {
		return "ok"
	}
	var errno unix.Errno
	if e, ok := err.(unix.Errno); ok {
		errno = e
	} else if pe, ok := err.(*os.PathError); ok {
		if e, ok := pe.Err.(unix.Errno); ok {
			errno = e
		}
	}
	if errno != 0 {
		return unix.ErrnoName(errno)
	}
	return fmt.Sprintf("%q", err.Error())
}
