// Package pidfd watches processes the daemon knows by a pidfd (a guest's
// init, the view server): when they exit, reaping its own children,
// through the runtime's poller, so that no thread waits.
package pidfd

import (
	"os"

	"golang.org/x/sys/unix"
)

// Wait returns once the process of f (a pidfd opened with PIDFD_NONBLOCK)
// has exited, reaping it when child says it is the daemon's own child. A
// pidfd becomes readable when its process exits.
// Equivalent to: poll(PIDFD, POLLIN); waitid(P_PIDFD, PIDFD, WEXITED) for a child
func Wait(f *os.File, child bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Read(func(fd uintptr) bool {
		if !child {
			return Exited(int(fd))
		}
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PIDFD, int(fd), &info, unix.WEXITED|unix.WNOHANG, nil)
		return err != nil || info.Signo != 0
	})
}

// Exited reports, without waiting, whether the process of pidfd fd has
// exited.
// Equivalent to: poll(PIDFD, POLLIN, 0)
func Exited(fd int) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0
}
