// Package view runs the host's view servers for the daemon's guests: Debian's
// lxcfs, and vmhost's own server of /proc/stat (package view/procstat, the
// daemon's binary under StatServerName). Each is one FUSE file system,
// mounted at a private mount point under the daemon's run_dir, whose /proc
// and /sys files show each reader the machine of its guest: lxcfs's
// (meminfo, cpuinfo, swaps, diskstats, loadavg, cpu/online) told apart by
// the cgroup of the reader's pid namespace's init, /proc/stat by the
// reader's own cgroup and time namespace, from a file per guest. Each
// guest's init binds those files over its own (package guestinit; the list
// is protocol.ViewFiles). A Set gives guests the files of both.
//
// A server runs in a session of its own and outlives the daemon, as guests
// do: a daemon that starts adopts the server its run_dir's pid file names
// once the process is shown to be that server's binary serving that mount
// point, and supervises it through a pidfd. When a server ends, its dead
// mount is detached, a new one started (with a backoff when it keeps
// failing) and the daemon told, to give running guests the new files. It
// is stopped only at a clean shutdown of the daemon with no guest running.
package view
