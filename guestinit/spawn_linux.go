package guestinit

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"vmhost/inroot"
	"vmhost/protocol"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"vmhost/syscallfilter"
	"vmhost/ttymodes"
)

// spawner starts processes for the init and reaps every child of PID 1:
// sessions, and the orphans the guest leaves behind.
type spawner struct {
	mu      sync.Mutex
	waiters map[int]chan protocol.ExitStatus
	sigchld chan os.Signal
	forks   chan forkJob // to the fork thread
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
func newSpawner() (*spawner, error) {
	s := &spawner{waiters: make(map[int]chan protocol.ExitStatus), sigchld: make(chan os.Signal, 1), forks: make(chan forkJob)}
	signal.Notify(s.sigchld, unix.SIGCHLD)
	ready := make(chan error)
	go s.forkThread(ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return s, nil
}

// forkThread forks every guest process from one thread of its own, which
// gives up what guest processes must not have before the first fork: the
// system calls of package syscallfilter, and the capabilities of
// restrictThread; a forked child starts with its thread's credentials. The
// goroutine stays locked to the thread for good, so the thread ends with it
// and no other goroutine ever runs there.
func (s *spawner) forkThread(ready chan<- error) {
	runtime.LockOSThread()
	// The filter first: without no_new_privs, installing it takes
	// CAP_SYS_ADMIN, which restrictThread leaves; but keep the order.
	if err := syscallfilter.InstallThread(); err != nil {
		ready <- fmt.Errorf("filtering the system calls of guest processes: %w", err)
		return
	}
	if err := restrictThread(); err != nil {
		ready <- fmt.Errorf("preparing the thread guest processes start from: %w", err)
		return
	}
	ready <- nil
	for job := range s.forks {
		pid, err := syscall.ForkExec(job.path, job.argv, job.attr)
		job.done <- forkResult{pid, err}
	}
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

// spawn starts req. The daemon's ends of the process's terminal or pipes are
// returned; the child's ends are closed here.
func (s *spawner) spawn(req *protocol.SpawnRequest) (*spawned, error) {
	argv, path, err := resolveCommand(req)
	if err != nil {
		return nil, err
	}
	ours, theirs, err := processFiles(req.TTY)
	if err != nil {
		return nil, err
	}
	defer closeFiles(theirs)
	attr := &syscall.ProcAttr{
		Dir:   workDir(req.Dir),
		Env:   req.Env,
		Files: []uintptr{theirs[0].Fd(), theirs[len(theirs)/2].Fd(), theirs[len(theirs)-1].Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true, Setctty: req.TTY != nil, Ctty: 0},
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pid, err := s.forkExec(path, argv, attr)
	if err != nil {
		closeFiles(ours)
		return nil, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	resetOOMScoreAdj(pid) // not the init's; best effort: the process may have ended
	exit := make(chan protocol.ExitStatus, 1)
	s.waiters[pid] = exit
	return &spawned{pid: pid, files: ours, exit: exit}, nil
}

// bulkPipeSize is the capacity of a process's stdin and stdout pipes: 1 MiB,
// the kernel's default most (fs.pipe-max-size), against 64 KiB by default,
// so that a file transfer moves in fewer, larger reads and writes.
const bulkPipeSize = 1 << 20

// processFiles makes a terminal, or three pipes. ours are the daemon's ends
// (master; or stdin writer, stdout reader, stderr reader), theirs the child's.
func processFiles(tty *protocol.TTY) (ours, theirs []*os.File, err error) {
	if tty != nil {
		return openTerminal(tty)
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

// openTerminal opens a terminal of the guest's own devpts, with the client's
// modes and size.
func openTerminal(tty *protocol.TTY) (ours, theirs []*os.File, err error) {
	master, slave, err := pty.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("opening a terminal: %w", err)
	}
	err = ttymodes.Apply(int(slave.Fd()), tty.Modes)
	if err == nil && tty.Rows > 0 && tty.Cols > 0 {
		err = ttymodes.SetSize(int(slave.Fd()), tty.Rows, tty.Cols)
	}
	if err != nil {
		master.Close()
		slave.Close()
		return nil, nil, fmt.Errorf("setting up the terminal: %w", err)
	}
	return []*os.File{master}, []*os.File{slave}, nil
}

// reap waits for every child of PID 1 when SIGCHLD comes, and hands exit
// statuses to whoever waits for them.
func (s *spawner) reap() {
	for range s.sigchld {
		s.reapAll()
	}
}

// reapAll collects every child that has ended.
func (s *spawner) reapAll() {
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

// resolveCommand returns argv and the file to execute: the login shell of
// root for a login, else argv[0] searched in the protocol.Request's PATH.
func resolveCommand(req *protocol.SpawnRequest) ([]string, string, error) {
	switch req.Subsystem {
	case "":
	case "sftp":
		// The init's own binary, the sealed copy, in its SFTP role.
		return []string{protocol.SFTPName}, "/proc/self/exe", nil
	default:
		return nil, "", fmt.Errorf("unknown subsystem %q", req.Subsystem)
	}
	if len(req.Argv) == 0 {
		if !req.Login {
			return nil, "", errors.New("spawn protocol.Request without a command")
		}
		shell := rootShell()
		return []string{"-" + filepath.Base(shell)}, shell, nil
	}
	path, err := lookPath(req.Argv[0], envValue(req.Env, "PATH"))
	if err != nil {
		return nil, "", err
	}
	return req.Argv, path, nil
}

// rootShell is root's shell from the guest's /etc/passwd, or /bin/sh when
// the file is missing, not a regular file or bigger than maxGuestFile: it is
// read inside the guest's root file system, without blocking.
func rootShell() string {
	root, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "/bin/sh"
	}
	defer unix.Close(root)
	passwd, err := inroot.ReadFile(root, "/etc/passwd", inroot.SameFS, maxGuestFile)
	if err != nil {
		if !errors.Is(err, unix.ENOENT) {
			slog.Warn("guest init: root's shell is /bin/sh", "err", err)
		}
		return "/bin/sh"
	}
	for _, line := range strings.Split(string(passwd), "\n") {
		fields := strings.Split(line, ":")
		if len(fields) == 7 && fields[2] == "0" && isExecutable(fields[6]) {
			return fields[6]
		}
	}
	return "/bin/sh"
}

// lookPath finds name in path, unless it has a slash.
func lookPath(name, path string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	if path == "" {
		path = protocol.DefaultPath
	}
	for _, dir := range filepath.SplitList(path) {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: command not found", name)
}

// isExecutable says whether path is an executable regular file.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// envValue returns the value of key in env.
func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}

// workDir is dir if it exists, else root's home, else /.
func workDir(dir string) string {
	for _, d := range []string{dir, "/root", "/"} {
		if fi, err := os.Stat(d); d != "" && err == nil && fi.IsDir() {
			return d
		}
	}
	return "/"
}

// closeFiles closes every file in fs.
func closeFiles(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// resetOOMScoreAdj gives a process the init started the default
// oom_score_adj, 0, instead of the init's.
func resetOOMScoreAdj(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/oom_score_adj", pid), []byte("0"), 0)
}
