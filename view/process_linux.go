package view

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"vmhost/pidfd"
)

// process is a running view server, known by a pidfd the daemon opened: on the
// child it started, or on the pid of the pid file once the process was
// shown to be the server serving the daemon's mount point.
type process struct {
	pid     int
	fd      *os.File
	started time.Time     // when the daemon started or adopted it
	exited  chan struct{} // closed once it has exited
}

// openProcess opens a pidfd on pid and watches it, reaping it when it is the
// daemon's child.
// Equivalent to: pidfd_open(PID, PIDFD_NONBLOCK)
func openProcess(pid int, child bool) (*process, error) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("opening a pidfd on view server %d: %w", pid, err)
	}
	unix.CloseOnExec(fd)
	p := &process{pid: pid, fd: os.NewFile(uintptr(fd), "pidfd"), started: time.Now(), exited: make(chan struct{})}
	go p.watch(child)
	return p, nil
}

// watch closes p.exited when the process exits, reaping it when it is the
// daemon's child, through the runtime's poller (a pidfd becomes readable
// when its process exits). It closes the pidfd then.
func (p *process) watch(child bool) {
	defer close(p.exited)
	pidfd.Wait(p.fd, child)
}

// alive reports whether the process still runs.
func (p *process) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
	}
	exited := true
	if rc, err := p.fd.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { exited = pidfd.Exited(int(fd)) })
	}
	return !exited
}

// signal sends sig to the process through its pidfd.
// Equivalent to: pidfd_send_signal(PIDFD, SIG, NULL, 0)
func (p *process) signal(sig unix.Signal) error {
	if !p.alive() {
		return nil
	}
	rc, err := p.fd.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	rc.Control(func(fd uintptr) { serr = unix.PidfdSendSignal(int(fd), sig, nil, 0) })
	if errors.Is(serr, unix.ESRCH) {
		return nil
	}
	return serr
}

// stop ends the process: SIGTERM, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) error {
	for _, sig := range []unix.Signal{unix.SIGTERM, unix.SIGKILL} {
		if err := p.signal(sig); err != nil {
			return fmt.Errorf("stopping view server %d: %w", p.pid, err)
		}
		select {
		case <-p.exited:
			return nil
		case <-time.After(grace):
		}
	}
	return fmt.Errorf("view server %d did not end", p.pid)
}

// adoptProcess returns the server that the pid file names when it is bin
// serving mnt, or nil. The pidfd is opened first and the process checked
// after: a pid reused meanwhile fails the check or leaves the pidfd on an
// exited process, and is refused either way.
func adoptProcess(pidPath, bin, mnt string) *process {
	b, err := os.ReadFile(pidPath)
	if err != nil {
		return nil
	}
	pid, ok := parsePid(b)
	if !ok {
		return nil
	}
	p, err := openProcess(pid, false)
	if err != nil {
		return nil
	}
	exe, err1 := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	cmdline, err2 := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err1 != nil || err2 != nil || !isServerOf(exe, cmdline, bin, mnt) || !p.alive() {
		p.fd.Close()
		return nil
	}
	return p
}

// resolveBinary returns bin with its symlinks resolved, as /proc/PID/exe
// names it.
func resolveBinary(bin string) (string, error) {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}
