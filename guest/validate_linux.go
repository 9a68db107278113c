package guest

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// The daemon takes nothing a guest's init hands over on trust: the init runs
// in the guest, and a guest's root that got hold of its control socket could
// answer in its place. Every descriptor is checked to be of the kind the
// protocol.Request asked for before the daemon uses it, so a wrong one fails that
// protocol.Request and nothing else.

// checkProcessFiles checks the descriptors of a spawned process: with a
// terminal, the master side of a pseudo-terminal open for reading and
// writing; without, a pipe to write the process's input to and two to read
// its output from.
func checkProcessFiles(fds []int, tty bool) error {
	if tty {
		if len(fds) != 1 {
			return fmt.Errorf("guest init handed over %d files for a terminal, want 1", len(fds))
		}
		return checkTerminalMaster(fds[0])
	}
	if len(fds) != 3 {
		return fmt.Errorf("guest init handed over %d files for pipes, want 3", len(fds))
	}
	modes := []int{unix.O_WRONLY, unix.O_RDONLY, unix.O_RDONLY}
	for i, fd := range fds {
		if err := checkPipe(fd, modes[i]); err != nil {
			return fmt.Errorf("guest init handed over a bad file %d: %w", i, err)
		}
	}
	return nil
}

// checkTerminalMaster checks that fd is a pseudo-terminal master open for
// reading and writing.
// Equivalent to: ioctl(FD, TIOCGPTN) succeeding, and fcntl(FD, F_GETFL).
func checkTerminalMaster(fd int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR {
		return fmt.Errorf("guest init handed over a terminal that is not a character device")
	}
	if _, err := unix.IoctlGetInt(fd, unix.TIOCGPTN); err != nil {
		return fmt.Errorf("guest init handed over a terminal that is not a pseudo-terminal master: %w", err)
	}
	return checkAccess(fd, unix.O_RDWR)
}

// checkPipe checks that fd is a pipe open with the access mode mode.
func checkPipe(fd, mode int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("reading it: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return fmt.Errorf("not a pipe (mode %#o)", st.Mode)
	}
	return checkAccess(fd, mode)
}

// checkAccess checks fd's access mode (O_RDONLY, O_WRONLY or O_RDWR).
func checkAccess(fd, mode int) error {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return fmt.Errorf("reading its flags: %w", err)
	}
	if fl&unix.O_ACCMODE != mode {
		return fmt.Errorf("open with access mode %d, want %d", fl&unix.O_ACCMODE, mode)
	}
	return nil
}

// checkSocket checks that fd is a stream socket of network ("tcp", "tcp4",
// "tcp6" or "unix"), listening when listening is set and not otherwise.
// Equivalent to: getsockopt(FD, SOL_SOCKET, SO_DOMAIN, SO_TYPE, SO_ACCEPTCONN).
func checkSocket(fd int, network string, listening bool) error {
	domain, err1 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	typ, err2 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	acc, err3 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	if err1 != nil || err2 != nil || err3 != nil {
		return fmt.Errorf("guest init handed over something that is not a socket")
	}
	if !domainFits(network, domain) || typ != unix.SOCK_STREAM {
		return fmt.Errorf("guest init handed over a socket of domain %d, type %d for %s", domain, typ, network)
	}
	if (acc == 1) != listening {
		return fmt.Errorf("guest init handed over a socket that is listening=%v, want %v", acc == 1, listening)
	}
	return nil
}

// domainFits reports whether a socket domain is one network asks for.
func domainFits(network string, domain int) bool {
	switch network {
	case "tcp":
		return domain == unix.AF_INET || domain == unix.AF_INET6
	case "tcp4":
		return domain == unix.AF_INET
	case "tcp6":
		return domain == unix.AF_INET6
	case "unix":
		return domain == unix.AF_UNIX
	}
	return false
}
