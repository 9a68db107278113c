package view

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// lxcfsArgs is the command line of lxcfs for the mount point mnt and the pid
// file pid: in the foreground (the daemon supervises it), with CPU views
// from the CPU quota (--enable-cfs), load averages of each guest's own
// (--enable-loadavg) and processes tracked by pidfds. Its file system is
// read-only as a whole (-o ro): a guest's root that remounts its bind of a
// view file read-write still cannot open it for writing. (An open with
// O_TRUNC that reached lxcfs would set the size of the file that every
// guest shares to 0, and another guest's next sendfile of it would read
// nothing.)
func lxcfsArgs(mnt, pid string) []string {
	return []string{"--foreground", "--enable-cfs", "--enable-loadavg", "--enable-pidfd", "-o", "ro", "--pidfile=" + pid, mnt}
}

// parsePid reads a pid file's content.
func parsePid(b []byte) (int, bool) {
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid, err == nil && pid > 1
}

// isServerOf reports whether a process with executable exe (as
// /proc/PID/exe reads) and command line argv (/proc/PID/cmdline, NUL
// separated) is the view server binary bin (lxcfs, or vmhostd) serving
// mount point mnt. An executable
// replaced since it started (a package upgrade) reads "BIN (deleted)" and
// counts as bin.
func isServerOf(exe string, cmdline []byte, bin, mnt string) bool {
	exe = strings.TrimSuffix(exe, " (deleted)")
	if exe != bin {
		return false
	}
	argv := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	return len(argv) > 1 && filepath.Clean(argv[len(argv)-1]) == filepath.Clean(mnt)
}

// offered returns which of files (guest paths) the mount point has, as
// exists says, in order.
func offered(files []string, exists func(rel string) bool) []string {
	var out []string
	for _, f := range files {
		if exists(strings.TrimPrefix(f, "/")) {
			out = append(out, f)
		}
	}
	return slices.Clip(out)
}
