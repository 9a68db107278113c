package sshgate

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// ptyIdle is how long the output of a terminal is read after its process
// ended while data keeps coming: background processes may keep the terminal
// open, so its end is not waited for.
const ptyIdle = 100 * time.Millisecond

// pollable returns a duplicate of the terminal master f in non-blocking mode,
// registered with Go's poller so that its reads can time out and are
// interrupted by Close. f itself is left for the process to close; note that
// the non-blocking mode is shared with f's open file description.
func pollable(f *os.File) (*os.File, error) {
	if f == nil {
		return nil, errors.New("the guest returned no terminal")
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	dup := -1
	var dupErr error
	if err := rc.Control(func(fd uintptr) {
		dup, dupErr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, err
	}
	if dupErr != nil {
		return nil, fmt.Errorf("duplicating terminal: %w", dupErr)
	}
	if err := checkCharDevice(dup); err != nil {
		unix.Close(dup)
		return nil, err
	}
	if err := unix.SetNonblock(dup, true); err != nil {
		unix.Close(dup)
		return nil, fmt.Errorf("making terminal non-blocking: %w", err)
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

// ptyReader reads a terminal's master side. Once its process has ended, a
// read that gets no data for ptyIdle ends the output with a timeout.
type ptyReader struct {
	f     *os.File
	ended atomic.Bool
}

// newPTYReader returns a reader of f, a file from pollable.
func newPTYReader(f *os.File) *ptyReader {
	return &ptyReader{f: f}
}

// Read reads output; the terminal's hangup (EIO) or the idle timeout end it.
func (r *ptyReader) Read(p []byte) (int, error) {
	if r.ended.Load() {
		r.f.SetReadDeadline(time.Now().Add(ptyIdle))
	}
	return r.f.Read(p)
}

// processEnded starts the idle timeout, also for a read in progress.
func (r *ptyReader) processEnded() {
	r.ended.Store(true)
	r.f.SetReadDeadline(time.Now().Add(ptyIdle))
}
