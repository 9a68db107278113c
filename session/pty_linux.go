package session

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// pollable returns a duplicate of the terminal master f in non-blocking
// mode, registered with Go's poller. The non-blocking mode is shared with
// f's open file description.
// Equivalent to: fcntl(F_DUPFD_CLOEXEC), fstat (a character device),
// fcntl(F_SETFL, O_NONBLOCK).
func pollable(f *os.File) (*os.File, error) {
	if f == nil {
		return nil, errors.New("the guest returned no terminal")
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	dup, dupErr := -1, error(nil)
	if err := rc.Control(func(fd uintptr) { dup, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, err
	}
	if dupErr != nil {
		return nil, fmt.Errorf("duplicating the terminal: %w", dupErr)
	}
	if err := checkCharDevice(dup); err != nil {
		unix.Close(dup)
		return nil, err
	}
	if err := unix.SetNonblock(dup, true); err != nil {
		unix.Close(dup)
		return nil, fmt.Errorf("making the terminal non-blocking: %w", err)
	}
	return os.NewFile(uintptr(dup), f.Name()), nil
}

// checkCharDevice wants fd, the terminal a guest returned, to be a
// character device (a pty's master side), not a file or a socket.
func checkCharDevice(fd int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("checking the terminal: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR {
		return fmt.Errorf("the guest returned a terminal that is not one (mode %#o)", st.Mode)
	}
	return nil
}

// setSize sets the window size of the terminal f.
// Equivalent to: ioctl(TIOCSWINSZ)
func setSize(f *os.File, rows, cols uint16) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
	}); err != nil {
		return err
	}
	return serr
}
