package guestinit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
	"vmhost/protocol"

	"golang.org/x/sys/unix"
)

// The descriptors a helper child (an incubator or a net helper) talks with
// the init on, after its stdin, stdout and stderr: two pipes, so that no
// socket to PID 1 is ever in a guest process and PID 1 never receives a
// descriptor from one.
const (
	helperInFD  = 3 // from the init: the request, then end of file when the init is done
	helperOutFD = 4 // to the init: the answer, then why the exec failed, if it did
)

// spawnTimeout bounds how long the init waits for an incubator to start its
// command: less than the daemon waits for the init, so that the daemon
// hears why.
const spawnTimeout = 5 * time.Second

// helperReply is a helper's answer: why it failed, or the numbers of its
// descriptors that the init takes (pidfd_getfd) and hands to the daemon.
type helperReply struct {
	Error string `json:"error,omitempty"`
	FDs   []int  `json:"fds,omitempty"`
	// Shell is root's login shell, as an incubator found it in the
	// guest's /etc/passwd; untrusted (see checkShell).
	Shell string `json:"shell,omitempty"`
}

// helper is a child the init started from its own binary in a helper role,
// to do work on the guest's files away from PID 1. The init trusts nothing
// it says beyond the framing of its answers: the guest's root can put its
// own program where the helper is started from (/proc/self/exe).
type helper struct {
	pid   int
	pidfd int
	in    *os.File      // the init's end of the request pipe
	out   *os.File      // the init's end of the answer pipe
	dec   *json.Decoder // the answers, protocol.MaxMessage bytes at most
	exit  chan protocol.ExitStatus
}

// startHelper starts the init's own binary as role, with args after it,
// from the fork thread (so with what guest processes may not do taken
// away), in a new session, with stdio as its stdin, stdout and stderr (the
// pipes to the init when stdio is empty) and the pipes to the init at
// helperInFD and helperOutFD.
// Equivalent to: setsid /proc/self/exe (argv[0] ROLE) ARGS... 3<REQUESTS 4>ANSWERS
func (s *spawner) startHelper(role string, stdio []*os.File, args ...string) (*helper, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("making a pipe for %s: %w", role, err)
	}
	defer inR.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		inW.Close()
		return nil, fmt.Errorf("making a pipe for %s: %w", role, err)
	}
	defer outW.Close()
	files := []uintptr{inR.Fd(), outW.Fd(), outW.Fd(), inR.Fd(), outW.Fd()}
	for i, f := range stdio {
		files[i] = f.Fd()
	}
	h := &helper{pidfd: -1, in: inW, out: outR, exit: make(chan protocol.ExitStatus, 1)}
	h.dec = json.NewDecoder(io.LimitReader(outR, protocol.MaxMessage))
	attr := &syscall.ProcAttr{Dir: "/", Files: files, Sys: &syscall.SysProcAttr{Setsid: true, PidFD: &h.pidfd}}
	s.mu.Lock()
	defer s.mu.Unlock()
	if h.pid, err = s.forkExec("/proc/self/exe", append([]string{role}, args...), attr); err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("executing /proc/self/exe as %s (is something mounted over the guest's /proc?): %w", role, err)
	}
	s.waiters[h.pid] = h.exit
	resetOOMScoreAdj(s.proc, h.pid) // best effort; what it executes keeps it
	return h, nil
}

// ask sends req to the helper and waits up to timeout for its answer, which
// must name nfiles descriptors; it takes them from the helper and returns
// them. Then it closes the request pipe: the helper may go on.
func (h *helper) ask(req protocol.Request, nfiles int, timeout time.Duration) ([]int, helperReply, error) {
	deadline := time.Now().Add(timeout)
	h.in.SetWriteDeadline(deadline)
	h.out.SetReadDeadline(deadline)
	if err := json.NewEncoder(h.in).Encode(req); err != nil {
		return nil, helperReply{}, helperError(err, timeout)
	}
	var rep helperReply
	if err := h.dec.Decode(&rep); err != nil {
		return nil, helperReply{}, helperError(err, timeout)
	}
	if rep.Error != "" {
		return nil, helperReply{}, errors.New(rep.Error)
	}
	if len(rep.FDs) != nfiles {
		return nil, helperReply{}, fmt.Errorf("the guest's helper named %d files, want %d", len(rep.FDs), nfiles)
	}
	fds, err := h.takeFiles(rep.FDs)
	if err != nil {
		return nil, helperReply{}, err
	}
	h.in.Close()
	return fds, rep, nil
}

// takeFiles copies the helper's descriptors nums into the init.
// Equivalent to: pidfd_getfd(PIDFD, N) for each N
func (h *helper) takeFiles(nums []int) ([]int, error) {
	var fds []int
	for _, n := range nums {
		fd, err := unix.PidfdGetfd(h.pidfd, n, 0)
		if err != nil {
			protocol.CloseAll(fds)
			return nil, fmt.Errorf("taking descriptor %d of the guest's helper: %w", n, err)
		}
		fds = append(fds, fd)
	}
	return fds, nil
}

// executed waits until an incubator has executed its command, which closes
// its end of the answer pipe. An answer instead says why the command did
// not start.
func (h *helper) executed() error {
	var rep helperReply
	err := h.dec.Decode(&rep)
	switch {
	case errors.Is(err, io.EOF):
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
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("the guest's helper did not answer within %v", timeout)
	case errors.Is(err, io.EOF), errors.Is(err, syscall.EPIPE):
		return errors.New("the guest's helper ended without an answer")
	}
	return fmt.Errorf("talking with the guest's helper: %w", err)
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

// close closes the init's ends of the helper's pipes and its pidfd.
func (h *helper) close() {
	h.in.Close()
	h.out.Close()
	if h.pidfd >= 0 {
		unix.Close(h.pidfd)
	}
}
