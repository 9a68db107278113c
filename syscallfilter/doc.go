// Package syscallfilter builds the seccomp filter every guest process runs
// under and installs it on one thread of the guest's init (InstallThread).
//
// It is a deny list modelled on what Docker's default profile and LXC's
// default policy refuse, for a guest whose root holds every capability in
// its own user namespace and must feel like a VM: clone, clone3, unshare and
// setns with namespace flags, mount and the new mount API, pivot_root,
// ptrace, reboot (it ends the guest's pid namespace), chroot, mknod, seccomp
// (filters only stack) and setuid binaries all work; no_new_privs is never
// set. Denied calls fail with EPERM:
//
//   - keyctl, add_key, request_key: kernel keyrings are not namespaced.
//   - kexec_load, kexec_file_load, create_module, init_module, finit_module,
//     delete_module, bpf, perf_event_open, lookup_dcookie: kernel code,
//     kernel programs and tracing.
//   - userfaultfd, unless with UFFD_USER_MODE_ONLY: stalling the kernel's
//     own faults is a classic race-widening tool.
//   - io_uring_setup, io_uring_enter, io_uring_register: a large, often
//     vulnerable surface that bypasses per-call filters (Docker too).
//   - open_by_handle_at: file handles reach past a mount's root.
//   - acct, swapon, swapoff, syslog, quotactl, quotactl_fd, settimeofday,
//     stime, clock_settime(64): host-wide state; the clock is not namespaced.
//     adjtimex and clock_adjtime stay allowed, as in Docker: their read-only
//     form serves timedatectl and chronyc, and changes need CAP_SYS_TIME in
//     the host's namespace anyway. quotactl is denied as in Docker: the
//     quotas on the filesystems under a guest are the host's.
//   - iopl, ioperm, vm86, vm86old, pciconfig_*: hardware access.
//   - uselib, ustat, sysfs, _sysctl, nfsservctl: obsolete.
//   - personality, except Linux with any of PER_LINUX32, UNAME26 and
//     ADDR_NO_RANDOMIZE (gdb, setarch -R; the kernel drops it on setuid
//     exec), and the query: READ_IMPLIES_EXEC, MMAP_PAGE_ZERO and the old
//     address-space layouts are refused, as in Docker.
//   - umount2 with MNT_FORCE, as LXC: a forced unmount aborts a shared
//     FUSE or NFS superblock for everyone using it.
//   - socket with AF_VSOCK (no network namespace confines it: it reaches the
//     hypervisor, and other guests over loopback) or AF_ALG (kernel crypto;
//     Docker too).
//
// With InstallThreadNotify, sysinfo is handed to a listener instead
// (SECCOMP_RET_USER_NOTIF, Linux 5.0) on every ABI, so that the guest's
// init answers it with the guest's own memory, swap and uptime (free in
// busybox calls it), as Incus does; Listener receives and answers such
// calls. A kernel allows one listener on a filter chain: a guest process
// cannot install a filter with a listener of its own (EBUSY), and a
// guest's init inside a guest falls back to the plain filter.
//
// fanotify_init stays allowed: its privileged modes need CAP_SYS_ADMIN in
// the host's namespace. Most of the list is refused by the kernel too; the
// filter keeps those paths unreachable when a kernel bug lets one through.
// ptrace cannot carry a tracee past the filter since Linux 4.8.
//
// Architectures: on x86_64 the i386 ABI (int 0x80, 32-bit programs) is
// filtered with the same list, and on arm64 the AArch32 one; x32 calls and
// any other audit architecture get ENOSYS, so x32 binaries do not run. On
// i386 socket(2) arrives through socketcall(2), whose arguments seccomp
// cannot see: AF_VSOCK and AF_ALG stay reachable to 32-bit programs, as in
// Docker. Syscall numbers come from github.com/elastic/go-seccomp-bpf/arch,
// copied into tables_gen.go as static data by go generate.
package syscallfilter
