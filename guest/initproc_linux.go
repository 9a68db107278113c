package guest

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"vmhost/pidfd"
)

// initProc is a guest's running init as the daemon knows it: through a pidfd
// the daemon opened itself, on the child it cloned or, after a restart, on the
// pid it recorded in guest.json, checked against the start time recorded with
// it. Nothing the guest says names it. The daemon signals and waits for an init
// only through its pidfd, so a pid that was reused after the init ended is
// never touched.
type initProc struct {
	hostPid int
	start   uint64 // clock ticks since boot, field 22 of /proc/PID/stat
	fd      *os.File
	done    chan struct{} // closed once the init has exited
}

// errInitGone is returned for an init that is not (or no longer) the process
// the daemon recorded.
var errInitGone = errors.New("the guest's init is not running")

// adoptChild takes the init the daemon just cloned as pid, not yet reaped, and
// reaps it when it exits. A pidfd opened on an unreaped child names that child
// and no other process.
func adoptChild(pid int) (*initProc, error) {
	p, err := openInit(pid)
	if err != nil {
		return nil, err
	}
	start, _, err := procStart(pid)
	if err != nil {
		p.fd.Close()
		return nil, fmt.Errorf("reading the start time of init %d: %w", pid, err)
	}
	p.start = start
	go p.watch(true)
	return p, nil
}

// reattachInit finds the init the daemon recorded as pid and start, as after a
// restart of the daemon. It returns errInitGone unless that very process still
// runs: the pidfd is opened first, then its start time is checked, so a pid
// reused in between is refused.
func reattachInit(pid int, start uint64) (*initProc, error) {
	if pid <= 1 {
		return nil, errInitGone
	}
	p, err := openInit(pid)
	if err != nil {
		return nil, errInitGone
	}
	got, zombie, err := procStart(pid)
	if err != nil || zombie || got != start {
		p.fd.Close()
		return nil, errInitGone
	}
	p.start = start
	go p.watch(false)
	return p, nil
}

// openInit opens a pidfd on pid.
// Equivalent to: pidfd_open(PID, PIDFD_NONBLOCK)
func openInit(pid int) (*initProc, error) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("opening a pidfd on init %d: %w", pid, err)
	}
	unix.CloseOnExec(fd)
	return &initProc{hostPid: pid, fd: os.NewFile(uintptr(fd), "pidfd"), done: make(chan struct{})}, nil
}

// watch closes p.done when the init exits, reaping it when it is the
// daemon's child. It waits through the runtime's poller: a pidfd becomes
// readable when its process exits, and no thread is held meanwhile.
func (p *initProc) watch(child bool) {
	defer close(p.done)
	pidfd.Wait(p.fd, child)
}

// pid implements initHandle.
func (p *initProc) pid() int { return p.hostPid }

// startTime implements initHandle.
func (p *initProc) startTime() uint64 { return p.start }

// alive reports whether the init still runs. It asks the pidfd itself, so
// an init that has just exited counts as gone before the watch has seen it.
func (p *initProc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
	}
	rc, err := p.fd.SyscallConn()
	if err != nil {
		return false
	}
	exited := false
	if err := rc.Control(func(fd uintptr) { exited = pidfd.Exited(int(fd)) }); err != nil {
		return false
	}
	return !exited
}

// exited returns a channel closed once the init has exited; nil for no init.
func (p *initProc) exited() <-chan struct{} {
	if p == nil {
		return nil
	}
	return p.done
}

// signal sends sig to the init.
// Equivalent to: pidfd_send_signal(PIDFD, SIG, NULL, 0)
func (p *initProc) signal(sig unix.Signal) error {
	if !p.alive() {
		return errInitGone
	}
	if err := unix.PidfdSendSignal(int(p.fd.Fd()), sig, nil, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return errInitGone
		}
		return fmt.Errorf("signalling init %d: %w", p.hostPid, err)
	}
	return nil
}

// wait waits up to timeout for the init to exit, and reports whether it did.
func (p *initProc) wait(timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// stop sends SIGTERM to the init, SIGKILL after grace, and waits until it is
// gone (the init's exit kills every process of its guest).
func (p *initProc) stop(grace time.Duration) error {
	if err := p.signal(unix.SIGTERM); errors.Is(err, errInitGone) {
		return nil
	}
	crashPoint(CrashStopAfterSignal)
	if p.wait(grace) {
		return nil
	}
	if err := p.signal(unix.SIGKILL); errors.Is(err, errInitGone) {
		return nil
	}
	if p.wait(5 * time.Second) {
		return nil
	}
	return fmt.Errorf("init %d did not end", p.hostPid)
}

// kill ends the init with SIGKILL and waits until it is gone.
func (p *initProc) kill() error {
	if err := p.signal(unix.SIGKILL); errors.Is(err, errInitGone) {
		return nil
	} else if err != nil {
		return err
	}
	if p.wait(5 * time.Second) {
		return nil
	}
	return fmt.Errorf("init %d did not end", p.hostPid)
}

// nsPath returns the path of one of the init's namespaces, such as "net".
// The pid in it names the init for as long as alive reports true.
func (p *initProc) nsPath(ns string) string {
	return fmt.Sprintf("/proc/%d/ns/%s", p.hostPid, ns)
}

// release closes the pidfd once the init has exited; until then the watch
// goroutine holds it.
func (p *initProc) release() {
	go func() {
		<-p.done
		p.fd.Close()
	}()
}

// nsLauncher is the daemon's launcher: inits in new namespaces, known by
// pidfds.
type nsLauncher struct{}

// start implements launcher.
func (nsLauncher) start(spec startSpec) (initHandle, error) {
	p, err := startInit(spec)
	if err != nil {
		return nil, err
	}
	protectInit(spec.log, p.hostPid)
	return p, nil
}

// reattach implements launcher.
func (nsLauncher) reattach(pid int, start uint64) (initHandle, error) {
	p, err := reattachInit(pid, start)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// find implements launcher.
func (nsLauncher) find(st *State, pids []int) initHandle {
	if p := findInit(st, pids); p != nil {
		return p
	}
	return nil
}
