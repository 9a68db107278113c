// Package view runs the host's view server, Debian's lxcfs, for the
// daemon's guests: one FUSE file system, mounted at a private mount point
// under the daemon's run_dir, whose /proc and /sys files (meminfo, cpuinfo,
// stat, swaps, diskstats, loadavg, cpu/online) show each reader the machine
// of its guest, told apart by the cgroup of the reader's pid namespace's
// init. Each guest's init binds those files over its own (package
// guestinit; the list is protocol.ViewFiles).
//
// lxcfs runs in a session of its own and outlives the daemon, as guests do:
// a daemon that starts adopts the lxcfs its run_dir's pid file names once
// the process is shown to be lxcfs serving that mount point, and
// supervises it through a pidfd. When lxcfs ends, its dead mount is
// detached, a new one started (with a backoff when it keeps failing) and
// the daemon told, to give running guests the new files. It is stopped only
// at a clean shutdown of the daemon with no guest running.
package view
