// Package guestinit is the guest's side of vmhost: the code that runs inside
// a guest, as its PID 1 (RunInit) and as the SFTP server of a session
// (RunSFTP). The daemon starts its own binary again under these names.
//
// The init sets the guest's root up (an overlay the daemon hands over,
// pivot_root, /proc, /sys and /dev; every path resolved inside the guest's
// root), runs the guest's start scripts, reaps orphans, and serves the
// daemon's requests on the control socket (package protocol): it starts
// processes from a thread that gave up CAP_SYS_PTRACE and carries the
// seccomp filter of package syscallfilter, connects and listens inside the
// guest, and hands the descriptors back.
//
// Trust: this code runs where the guest's root is. It decides nothing for the
// host, holds no descriptor to a host file, and the daemon checks everything
// it answers. It is not dumpable and guest processes cannot ptrace it, but
// the daemon does not rely on that.
package guestinit
