package syscallfilter

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// InstallThread installs the guest filter on the calling OS thread only;
// every process that thread forks afterwards, and their descendants across
// execve, inherit it for good, while the process's other threads stay
// unfiltered. The caller must have called runtime.LockOSThread and must never
// unlock: the thread is spoiled for other goroutines, and Go ends it when the
// goroutine exits. It does not set no_new_privs, so the thread needs
// CAP_SYS_ADMIN in its user namespace: install before dropping capabilities.
// Equivalent to: seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog), no TSYNC flag.
func InstallThread() error {
	raw, err := Program()
	if err != nil {
		return err
	}
	if _, errno := setFilter(raw, 0); errno != 0 {
		return fmt.Errorf("installing the guest seccomp filter on thread %d (needs CAP_SYS_ADMIN in its user namespace): %w", unix.Gettid(), errno)
	}
	return nil
}

// setFilter loads raw as the calling thread's filter with flags, and
// returns what seccomp(2) returns: the listener's descriptor with
// SECCOMP_FILTER_FLAG_NEW_LISTENER.
func setFilter(raw []bpf.RawInstruction, flags uintptr) (int, unix.Errno) {
	filter := make([]unix.SockFilter, len(raw))
	for i, ins := range raw {
		filter[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(filter)
	return int(r), errno
}
