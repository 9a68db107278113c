// Package procstat serves each guest its own /proc/stat: a FUSE file
// system with one file, proc/stat, whose content depends on who reads it.
// The reader's thread (the pid FUSE gives with each request) names its
// cgroup, which names its guest (the group below the daemon's cgroup
// parent); the guest's cgroup gives its CPUs (cpuset and CPU quota,
// numbered from 0 as lxcfs numbers them in /proc/cpuinfo) and their times,
// and the reader's time namespace gives btime and the guest's uptime, as
// the kernel's own /proc/stat takes them. A reader in no guest gets EACCES.
//
// The server is the daemon's own binary under another name (StatServerName
// in package view), in a process of its own that outlives the daemon, and
// package view supervises it as it does lxcfs. Content making is pure
// (Format and the parsers); the Linux side reads the files it needs with
// bounded sizes and caches what it made per guest for a moment, so a
// guest reading in a loop costs the server little.
package procstat
