package guestinit

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"vmhost/protocol"

	"golang.org/x/sys/unix"

	"vmhost/syscallfilter"
)

// spawner starts processes for the init and reaps every child of PID 1:
// sessions, and the orphans the guest leaves behind.
type spawner struct {
	mu      sync.Mutex
	waiters map[int]chan protocol.ExitStatus
	sigchld chan os.Signal
	forks   chan forkJob // to the fork thread
	proc    int          // the init's own /proc (openProc)
	log     *slog.Logger
	shell   atomic.Pointer[string]  // root's login shell, from setup or an incubator
	clock   guestClock              // of guest processes (unshareTime)
	sysinfo *syscallfilter.Listener // their sysinfo calls; nil without
	// logins says whether terminal sessions are recorded in utmp: only
	// by a guest's init (PID 1), never by a test's spawner on the host.
	logins bool
}

// forkJob is one fork and exec for the fork thread.
type forkJob struct {
	path string
	argv []string
	attr *syscall.ProcAttr
	done chan forkResult
}

// forkResult is what the fork thread made of a forkJob.
type forkResult struct {
	pid int
	err error
}

// newSpawner makes a spawner. It listens for SIGCHLD from the start, so no
// child can end unnoticed before reap runs.
func newSpawner(log *slog.Logger) (*spawner, error) {
	proc, err := openProc()
	if err != nil {
		return nil, err
	}
	s := &spawner{waiters: make(map[int]chan protocol.ExitStatus), sigchld: make(chan os.Signal, 1), forks: make(chan forkJob), proc: proc, log: log, logins: os.Getpid() == 1}
	signal.Notify(s.sigchld, unix.SIGCHLD)
	ready := make(chan error)
	go s.forkThread(ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	startSysinfo(s.sysinfo, proc, s.clock, log)
	return s, nil
}

// forkThread forks every guest process from one thread of its own, which
// gives up what guest processes must not have before the first fork: the
// system calls of package syscallfilter (sysinfo handed to the init), and
// the capabilities of restrictThread; a forked child starts with its
// thread's credentials. Its children start in the guest's time namespace
// (unshareTime). The
// goroutine stays locked to the thread for good, so the thread ends with it
// and no other goroutine ever runs there.
func (s *spawner) forkThread(ready chan<- error) {
	runtime.LockOSThread()
	s.clock = unshareTime(s.proc, s.log)
	// The filter first: without no_new_privs, installing it takes
	// CAP_SYS_ADMIN, which restrictThread leaves; but keep the order.
	if err := s.filterThread(); err != nil {
		ready <- fmt.Errorf("filtering the system calls of guest processes: %w", err)
		return
	}
	if err := restrictThread(); err != nil {
		ready <- fmt.Errorf("preparing the thread guest processes start from: %w", err)
		return
	}
	ready <- nil
	for job := range s.forks {
		job.done <- s.forkOne(job)
	}
}

// forkOne forks and executes job. A panic fails the job and leaves the fork
// thread serving: were it to end, no guest process could start again.
func (s *spawner) forkOne(job forkJob) (r forkResult) {
	defer handlePanic(s.log, "forking "+job.path, func(err error) { r = forkResult{-1, err} })
	pid, err := syscall.ForkExec(job.path, job.argv, job.attr)
	return forkResult{pid, err}
}

// forkExec starts path on the fork thread.
func (s *spawner) forkExec(path string, argv []string, attr *syscall.ProcAttr) (int, error) {
	done := make(chan forkResult, 1)
	s.forks <- forkJob{path: path, argv: argv, attr: attr, done: done}
	r := <-done
	return r.pid, r.err
}

// spawned is a process just started: its pid, the files the daemon gets, and
// where its exit status arrives.
type spawned struct {
	pid   int
	files []*os.File
	exit  chan protocol.ExitStatus
}

// spawn starts req and returns the daemon's ends of its terminal or pipes.
// A command given by its absolute path, without a terminal (what ssh HOST
// CMD and scp ask for) or the SFTP subsystem is started by PID 1 itself:
// nothing of the guest's files is read for it. Anything else (a login
// shell, a terminal, a PATH lookup) goes through an incubator.
//
// A shell command (req.Command) runs with root's login shell as the init
// read it from the guest's /etc/passwd at setup, or as the last incubator
// found it there (every login shell refreshes it), started by PID 1 itself;
// while none is known, through an incubator. A shell changed in
// /etc/passwd is used from the next interactive login or start on.
func (s *spawner) spawn(req *protocol.SpawnRequest) (*spawned, error) {
	if path, argv, ok := directCommand(req, s.rootShell()); ok {
		if req.Command != "" {
			r := *req
			r.Env = setEnv(req.Env, "SHELL", path)
			req = &r
		}
		return s.spawnDirect(req, path, argv)
	}
	return s.spawnIncubated(req)
}

// rootShell is root's login shell as the last incubator found it; "" until
// one has.
func (s *spawner) rootShell() string {
	if p := s.shell.Load(); p != nil {
		return *p
	}
	return ""
}

// spawnDirect starts path with pipes, from the fork thread, in the first
// of the working directories (workDirs) the kernel can enter.
func (s *spawner) spawnDirect(req *protocol.SpawnRequest, path string, argv []string) (*spawned, error) {
	ours, theirs, err := processPipes(nil)
	if err != nil {
		return nil, err
	}
	defer closeFiles(theirs)
	attr := &syscall.ProcAttr{
		Env:   req.Env,
		Files: []uintptr{theirs[0].Fd(), theirs[1].Fd(), theirs[2].Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pid := -1
	for _, dir := range workDirs(req.Dir) {
		attr.Dir = dir
		if pid, err = s.forkExec(path, argv, attr); err == nil {
			break
		}
	}
	if err != nil {
		closeFiles(ours)
		if path == "/proc/self/exe" {
			return nil, fmt.Errorf("starting %s (is something mounted over the guest's /proc?): %w", argv[0], err)
		}
		return nil, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	resetOOMScoreAdj(s.proc, pid) // best effort: the process may have ended
	exit := make(chan protocol.ExitStatus, 1)
	s.waiters[pid] = exit
	return &spawned{pid: pid, files: ours, exit: exit}, nil
}

// spawnIncubated makes the pipes, if any, and starts an incubator
// (RunIncubator), which does what touches the guest's files: it finds the
// command, opens the terminal, and executes the command, keeping its pid.
// A terminal session's logout is recorded when it ends (logoutAfter).
func (s *spawner) spawnIncubated(req *protocol.SpawnRequest) (*spawned, error) {
	ours, theirs, err := processPipes(req.TTY)
	if err != nil {
		return nil, err
	}
	defer closeFiles(theirs)
	h, err := s.startHelper(protocol.IncubatorName, theirs)
	if err != nil {
		closeFiles(ours)
		return nil, err
	}
	defer h.close()
	nfiles := 0
	if req.TTY != nil {
		nfiles = 1
	}
	fds, rep, err := h.ask(protocol.Request{Op: protocol.OpSpawn, Spawn: req}, nfiles, spawnTimeout)
	if err == nil {
		err = h.executed()
	}
	if err == nil && checkShell(rep.Shell) {
		s.shell.Store(&rep.Shell)
	}
	if err != nil {
		protocol.CloseAll(fds)
		closeFiles(ours)
		h.kill()
		return nil, err
	}
	exit := h.exit
	for _, fd := range fds {
		ours = append(ours, os.NewFile(uintptr(fd), "terminal"))
		if s.logins { // a terminal: sshd records the logout
			exit = s.logoutAfter(h.exit, h.pid, fd)
		}
	}
	return &spawned{pid: h.pid, files: ours, exit: exit}, nil
}

// bulkPipeSize is the capacity of a process's stdin and stdout pipes: 1 MiB,
// the kernel's default most (fs.pipe-max-size), against 64 KiB by default,
// so that a file transfer moves in fewer, larger reads and writes.
const bulkPipeSize = 1 << 20

// processPipes makes three pipes for a process without a terminal: ours are
// the daemon's ends (stdin writer, stdout reader, stderr reader), theirs the
// child's. With a terminal it makes nothing: the incubator opens it.
func processPipes(tty *protocol.TTY) (ours, theirs []*os.File, err error) {
	if tty != nil {
		return nil, nil, nil
	}
	for i := 0; i < 3; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			closeFiles(ours)
			closeFiles(theirs)
			return nil, nil, fmt.Errorf("making pipes: %w", err)
		}
		if i < 2 { // stdin and stdout carry bulk data (sftp, scp, rsync)
			unix.FcntlInt(r.Fd(), unix.F_SETPIPE_SZ, bulkPipeSize) // best effort
		}
		if i == 0 {
			ours, theirs = append(ours, w), append(theirs, r)
		} else {
			ours, theirs = append(ours, r), append(theirs, w)
		}
	}
	return ours, theirs, nil
}

// reap waits for every child of PID 1 when SIGCHLD comes, and hands exit
// statuses to whoever waits for them.
func (s *spawner) reap() {
	for range s.sigchld {
		s.reapAll()
	}
}

// reapAll collects every child that has ended. A panic is logged and
// reaping goes on at the next SIGCHLD.
func (s *spawner) reapAll() {
	defer handlePanic(s.log, "reaping", nil)
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
		s.mu.Lock()
		exit, ok := s.waiters[pid]
		delete(s.waiters, pid)
		s.mu.Unlock()
		if ok {
			exit <- exitStatus(ws)
		}
	}
}

// exitStatus converts a wait status.
func exitStatus(ws unix.WaitStatus) protocol.ExitStatus {
	if ws.Signaled() {
		return protocol.ExitStatus{Code: 128 + int(ws.Signal()), Signal: syscall.Signal(ws.Signal()), CoreDumped: ws.CoreDump()}
	}
	return protocol.ExitStatus{Code: ws.ExitStatus()}
}

// closeFiles closes every file in fs.
func closeFiles(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}
