package guestinit

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
	"vmhost/protocol"

	"golang.org/x/sys/unix"
)

// helperFD is the descriptor on which a helper child (an incubator or a
// net helper) talks with the init: a SOCK_SEQPACKET of a socket pair.
const helperFD = 3

// spawnTimeout bounds how long the init waits for an incubator to start its
// command: less than the daemon waits for the init, so that the daemon
// hears why.
const spawnTimeout = 5 * time.Second

// helper is a child the init started from its own binary in a helper role,
// to do work on the guest's files away from PID 1. The init trusts nothing
// it says beyond the framing of its messages: the guest's root can put its
// own program where the helper is started from (/proc/self/exe).
type helper struct {
	pid   int
	pidfd int
	conn  *net.UnixConn
	exit  chan protocol.ExitStatus // its exit status, from the reaper
}

// startHelper starts the init's own binary as role, from the fork thread
// (so with what guest processes may not do taken away), in a new session,
// with stdio as its stdin, stdout and stderr (its helper socket when stdio
// is empty) and its end of a new socket pair at helperFD.
// Equivalent to: setsid /proc/self/exe (argv[0] ROLE) 3<>SOCKET
func (s *spawner) startHelper(role string, stdio []*os.File) (*helper, error) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("making a socket for %s: %w", role, err)
	}
	defer unix.Close(pair[1])
	conn, err := protocol.FileConn(pair[0])
	if err != nil {
		unix.Close(pair[1])
		return nil, err
	}
	files := []uintptr{uintptr(pair[1]), uintptr(pair[1]), uintptr(pair[1]), uintptr(pair[1])}
	for i, f := range stdio {
		files[i] = f.Fd()
	}
	h := &helper{pidfd: -1, conn: conn, exit: make(chan protocol.ExitStatus, 1)}
	attr := &syscall.ProcAttr{Dir: "/", Files: files, Sys: &syscall.SysProcAttr{Setsid: true, PidFD: &h.pidfd}}
	s.mu.Lock()
	defer s.mu.Unlock()
	if h.pid, err = s.forkExec("/proc/self/exe", []string{role}, attr); err != nil {
		conn.Close()
		return nil, fmt.Errorf("executing /proc/self/exe as %s (is something mounted over the guest's /proc?): %w", role, err)
	}
	s.waiters[h.pid] = h.exit
	return h, nil
}

// ask sends req to the helper and waits up to timeout for its answer, which
// must carry nfiles descriptors.
func (h *helper) ask(req protocol.Request, nfiles int, timeout time.Duration) ([]int, error) {
	h.conn.SetDeadline(time.Now().Add(timeout))
	if err := protocol.SendMessage(h.conn, req); err != nil {
		return nil, err
	}
	var rep protocol.Reply
	fds, err := protocol.RecvMessage(h.conn, &rep)
	switch {
	case err != nil:
		err = helperError(err, timeout)
	case rep.Error != "":
		err = errors.New(rep.Error)
	case len(fds) != nfiles:
		err = fmt.Errorf("the guest's helper handed over %d files, want %d", len(fds), nfiles)
	}
	if err != nil {
		protocol.CloseAll(fds)
		return nil, err
	}
	return fds, nil
}

// executed waits until an incubator has executed its command, which closes
// its end of the socket. An answer instead says why the command did not
// start.
func (h *helper) executed() error {
	var rep protocol.Reply
	fds, err := protocol.RecvMessage(h.conn, &rep)
	protocol.CloseAll(fds)
	switch {
	case errors.Is(err, protocol.ErrClosed):
		return nil
	case err != nil:
		return helperError(err, spawnTimeout)
	case rep.Error != "":
		return errors.New(rep.Error)
	}
	return errors.New("the guest's incubator answered twice")
}

// helperError explains a failed exchange with a helper.
func helperError(err error, timeout time.Duration) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("the guest's helper did not answer within %v", timeout)
	}
	if errors.Is(err, protocol.ErrClosed) {
		return errors.New("the guest's helper ended without an answer")
	}
	return err
}

// kill ends a helper that failed, through its pidfd, so that a pid the
// reaper has collected and the kernel given to another process is never
// signalled.
// Equivalent to: kill -KILL PID (by pidfd)
func (h *helper) kill() {
	if h.pidfd >= 0 {
		unix.PidfdSendSignal(h.pidfd, unix.SIGKILL, nil, 0)
	}
}

// close closes the init's end of the helper's socket and its pidfd.
func (h *helper) close() {
	h.conn.Close()
	if h.pidfd >= 0 {
		unix.Close(h.pidfd)
	}
}
