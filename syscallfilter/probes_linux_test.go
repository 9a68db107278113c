package syscallfilter

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// probe is one system call the guest filter decides on, with arguments that
// do nothing lasting if the call runs: null pointers, bad descriptors, a
// missing path, or a state it restores.
type probe struct {
	name string
	call func() error
}

// addrNoRandomize is the ADDR_NO_RANDOMIZE persona.
const addrNoRandomize = 0x40000

// minus1 is -1 as a syscall argument.
const minus1 = ^uintptr(0)

// deniedProbes must fail with EPERM under the filter.
var deniedProbes = []probe{
	{"keyctl", probeKeyctl},
	{"add_key", func() error { return sys(unix.SYS_ADD_KEY, 0, 0, 0, 0, 0) }},
	{"request_key", func() error { return sys(unix.SYS_REQUEST_KEY, 0, 0, 0, 0) }},
	{"bpf", func() error { return sys(unix.SYS_BPF, 0xffff, 0, 0) }},
	{"perf_event_open", func() error { return sys(unix.SYS_PERF_EVENT_OPEN, 0, 0, minus1, minus1, 0) }},
	{"kexec_load", func() error { return sys(unix.SYS_KEXEC_LOAD, 0, 17, 0, 0x100) }},
	{"init_module", func() error { return sys(unix.SYS_INIT_MODULE, 0, 0, 0) }},
	{"finit_module", func() error { return sys(unix.SYS_FINIT_MODULE, minus1, 0, 0) }},
	{"delete_module", func() error { return sys(unix.SYS_DELETE_MODULE, 0, 0) }},
	{"open_by_handle_at", func() error { return sys(unix.SYS_OPEN_BY_HANDLE_AT, minus1, 0, 0) }},
	{"userfaultfd", func() error { return sysFD(unix.SYS_USERFAULTFD, unix.O_CLOEXEC) }},
	{"io_uring_setup", func() error { return sys(unix.SYS_IO_URING_SETUP, 0, 0) }},
	{"socket_vsock", func() error { return sysFD(unix.SYS_SOCKET, unix.AF_VSOCK, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0) }},
	{"clock_settime", func() error { return sys(unix.SYS_CLOCK_SETTIME, unix.CLOCK_REALTIME, 0) }},
	{"syslog", func() error { return sys(unix.SYS_SYSLOG, unix.SYSLOG_ACTION_SIZE_BUFFER, 0, 0) }},
	{"swapon", func() error { return sys(unix.SYS_SWAPON, 0, 0) }},
	{"personality_read_implies_exec", func() error { return probePersona(0x400000) }},
	{"umount2_force", func() error { return probeUmount(unix.MNT_FORCE) }},
}

// allowedProbes must not fail with EPERM under the filter.
var allowedProbes = []probe{
	{"userfaultfd_user_mode", func() error { return sysFD(unix.SYS_USERFAULTFD, unix.O_CLOEXEC|uffdUserModeOnly) }},
	{"personality_query", func() error { return sys(unix.SYS_PERSONALITY, 0xffffffff) }},
	{"personality_no_randomize", func() error { return probePersona(addrNoRandomize) }},
	{"socket_inet", func() error { return sysFD(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0) }},
	{"umount2_detach", func() error { return probeUmount(unix.MNT_DETACH) }},
	{"setns_uts", probeSetns},
}

// runProbes reports each probe's result under prefix.
func runProbes(prefix string, probes []probe) {
	for _, p := range probes {
		report(prefix+"."+p.name, result(p.call()))
	}
}

// sys makes a raw system call and returns its error.
func sys(nr uintptr, args ...uintptr) error {
	_, err := sysRet(nr, args...)
	return err
}

// sysFD makes a call that returns a descriptor, and closes it.
func sysFD(nr uintptr, args ...uintptr) error {
	fd, err := sysRet(nr, args...)
	if err == nil {
		unix.Close(int(fd))
	}
	return err
}

// sysRet makes a raw system call.
func sysRet(nr uintptr, args ...uintptr) (uintptr, error) {
	var a [6]uintptr
	copy(a[:], args)
	r, _, errno := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	if errno != 0 {
		return r, errno
	}
	return r, nil
}

// probeKeyctl asks for the thread keyring's id without creating it.
// Equivalent to: keyctl show @t
func probeKeyctl() error {
	return sys(unix.SYS_KEYCTL, unix.KEYCTL_GET_KEYRING_ID, minus1, 0)
}

// probePersona sets a persona on this thread and puts the old one back.
func probePersona(persona uintptr) error {
	old, err := sysRet(unix.SYS_PERSONALITY, 0xffffffff)
	if err != nil {
		return err
	}
	if err := sys(unix.SYS_PERSONALITY, persona); err != nil {
		return err
	}
	return sys(unix.SYS_PERSONALITY, old)
}

// probeUmount unmounts a path that does not exist.
func probeUmount(flags uintptr) error {
	path, _ := unix.BytePtrFromString("/nonexistent/syscallfilter-probe")
	err := sys(unix.SYS_UMOUNT2, uintptr(unsafe.Pointer(path)), flags)
	runtime.KeepAlive(path)
	return err
}

// probeSetns joins the uts namespace the thread is already in.
// Equivalent to: nsenter --uts=/proc/thread-self/ns/uts true
func probeSetns() error {
	fd, err := unix.Open("/proc/thread-self/ns/uts", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Setns(fd, unix.CLONE_NEWUTS)
}
