package main

import "golang.org/x/sys/unix"

// The kernel interfaces a guest's root must not reach (the seccomp deny
// list): each is tried and its errno reported.
func init() {
	register("denied-syscalls", deniedSyscalls)
}

// deniedSyscalls tries calls the guest filter refuses, and one nested
// namespace that it allows.
func deniedSyscalls([]string) error {
	calls := map[string]func() error{
		"keyctl":          func() error { return rawErr(unix.SYS_KEYCTL, unix.KEYCTL_GET_KEYRING_ID, 0, 0) },
		"add_key":         func() error { return rawErr(unix.SYS_ADD_KEY, 0, 0, 0) },
		"bpf":             func() error { return rawErr(unix.SYS_BPF, 0, 0, 0) },
		"perf_event_open": func() error { return rawErr(unix.SYS_PERF_EVENT_OPEN, 0, 0, 0) },
		"kexec_load":      func() error { return rawErr(unix.SYS_KEXEC_LOAD, 0, 0, 0) },
		"init_module":     func() error { return rawErr(unix.SYS_INIT_MODULE, 0, 0, 0) },
		"open_by_handle":  func() error { return rawErr(unix.SYS_OPEN_BY_HANDLE_AT, 0, 0, 0) },
		"userfaultfd":     func() error { return rawErr(unix.SYS_USERFAULTFD, 0, 0, 0) },
		"io_uring_setup":  func() error { return rawErr(unix.SYS_IO_URING_SETUP, 0, 0, 0) },
	}
	for name, call := range calls {
		report(name, errName(call()))
	}
	return nil
}

// rawErr makes a system call and returns its error, nil on success.
func rawErr(nr, a1, a2, a3 uintptr) error {
	_, _, e := unix.Syscall(nr, a1, a2, a3)
	if e != 0 {
		return e
	}
	return nil
}
