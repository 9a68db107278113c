package guestinit

import (
	"fmt"
	"strconv"
	"vmhost/inroot"

	"golang.org/x/sys/unix"
)

// inProc is how the init resolves a path under its own /proc: beneath it,
// through no symlink and into no other mount, so that nothing the guest's
// root mounts over /proc or inside it leads the init elsewhere.
const inProc = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV

// openProc opens the guest's /proc, which the init mounted itself, before
// any guest process runs: what the guest's root later mounts over it is not
// seen through the descriptor. It is checked to be a proc file system.
// Equivalent to: exec {fd}</proc (a path descriptor)
func openProc() (int, error) {
	fd, err := unix.Open("/proc", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("opening /proc: %w", err)
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil || st.Type != unix.PROC_SUPER_MAGIC {
		unix.Close(fd)
		return -1, fmt.Errorf("/proc is not a proc file system (%v)", err)
	}
	return fd, nil
}

// resetOOMScoreAdj gives pid, a child the init started, the default
// oom_score_adj, 0, instead of the init's (its children inherit it).
// Equivalent to: echo 0 > /proc/PID/oom_score_adj (on the init's own /proc)
func resetOOMScoreAdj(proc, pid int) error {
	name := strconv.Itoa(pid) + "/oom_score_adj"
	fd, err := inroot.Open(proc, name, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_NOCTTY, inProc)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, []byte("0")); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}
