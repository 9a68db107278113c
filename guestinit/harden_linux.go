package guestinit

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// The guest's root must not reach into its init: ptrace it, read its memory
// or take its descriptors (pidfd_getfd, /proc/1/fd). runc gets this by
// executing its init in the host's user namespace, so that the init's memory
// belongs to a namespace where container root has no rights; a Go init
// cannot enter a user namespace after exec (the runtime is multithreaded
// from the start), so here the init's memory belongs to the guest's user
// namespace, where guest root holds every capability. What keeps guest root
// out instead:
//   - the init is not dumpable (PR_SET_DUMPABLE 0): reaching into it needs
//     CAP_SYS_PTRACE in the guest's user namespace;
//   - every guest process is started without CAP_SYS_PTRACE: the thread the
//     init forks them from drops it from its bounding, permitted, effective
//     and inheritable sets, so no exec, setuid or file capability brings it
//     back, and the init's own permitted set is not a subset of theirs.
//
// Root in a guest can still ptrace its own processes (strace, gdb): the same
// user with the same capabilities needs no CAP_SYS_PTRACE. It cannot trace
// processes of other users or non-dumpable ones, as in Docker's default.

// guestDroppedCaps are the capabilities no guest process gets.
var guestDroppedCaps = []uintptr{unix.CAP_SYS_PTRACE}

// restrictThread makes the calling thread one that guest processes may be
// forked from: guestDroppedCaps gone from every set. The caller has locked
// its goroutine to the thread and never unlocks it, so the thread dies with
// the goroutine and no other code runs on it.
// Equivalent to: capsh --drop=cap_sys_ptrace (for one thread)
func restrictThread() error {
	for _, c := range guestDroppedCaps {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, c, 0, 0, 0); err != nil {
			return fmt.Errorf("dropping capability %d from the bounding set: %w", c, err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clearing ambient capabilities: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("reading capabilities: %w", err)
	}
	for _, c := range guestDroppedCaps {
		bit := uint32(1) << (c % 32)
		d := &data[c/32]
		d.Effective &^= bit
		d.Permitted &^= bit
		d.Inheritable &^= bit
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("dropping capabilities: %w", err)
	}
	return nil
}
