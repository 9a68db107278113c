// Package guestinit is the guest's side of vmhost: the code that runs inside
// a guest, as its PID 1 (RunInit), and as the short-lived children PID 1
// starts from its own binary: the incubator a process starts from
// (RunIncubator), the net helper (RunNetHelper) and the SFTP server of a
// session (RunSFTP). The daemon starts its own binary again under these
// names (package protocol has them).
//
// The init sets the guest's root up (an overlay the daemon hands over,
// pivot_root, /proc, /sys and /dev; every path resolved inside the guest's
// root), runs the guest's start scripts, reaps orphans, and serves the
// daemon's requests on the control socket (package protocol). It keeps
// itself small: what reads or opens the guest's files after setup runs in a
// child, as Tailscale's incubator does. Every process is forked from a
// thread that gave up CAP_SYS_PTRACE and carries the seccomp filter of
// package syscallfilter. A command given by its absolute path without a
// terminal (ssh HOST CMD, scp, rsync) and the SFTP server are started by PID
// 1 itself, which reads nothing of the guest's for them: the kernel enters
// the working directory and finds the executable, and the oom_score_adj is
// written through the init's own /proc. Anything else goes through an
// incubator, which opens the terminal, finds the command (root's shell in
// /etc/passwd, PATH) and executes it. A unix socket, or a host name to look
// up, is made by a net helper; only numeric TCP is dialled or listened on
// in PID 1. Guest processes live in a time namespace whose clocks since
// boot start with PID 1 (unshareTime), and their sysinfo calls are handed
// to PID 1, which answers with the guest's memory, swap and uptime from
// its own cgroup (sysinfoServer). Each child answers within a bound or is
// killed through its pidfd, and every request handler recovers from a
// panic: a hostile file costs that request, never the guest.
//
// Trust: this code runs where the guest's root is. It decides nothing for the
// host, holds no descriptor to a host file (the cgroup files sysinfo reads
// are the guest's own, through its cgroup namespace), and the daemon checks everything
// it answers. The init trusts its helper children no more than the daemon
// trusts the init: the guest's root may put its own program at
// /proc/self/exe. It is not dumpable and guest processes cannot ptrace it,
// but the daemon does not rely on that.
package guestinit
