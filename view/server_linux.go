package view

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"vmhost/poll"
	"vmhost/protocol"

	"golang.org/x/sys/unix"
)

// startTimeout bounds how long a new server may take to mount its file system.
const startTimeout = 10 * time.Second

// stopGrace is how long lxcfs gets to end on SIGTERM before SIGKILL: it
// keeps no state, and its load average thread can take seconds to notice
// (the daemon detaches its mount either way).
const stopGrace = time.Second

// Options configure a Server.
type Options struct {
	// Kind is the server: LXCFS (the default) or StatKind's.
	Kind Kind
	// Binary is the server's executable (lxcfs, or vmhostd's own).
	Binary string
	// Dir is the server's directory, <run_dir>/view: its mount point and
	// pid file.
	Dir string
	Log *slog.Logger
}

// Server is one view server of the daemon (lxcfs, or vmhost's own
// /proc/stat server), supervised. It is safe for concurrent use.
type Server struct {
	kind          Kind
	bin, dir, mnt string
	log           *slog.Logger

	mu      sync.Mutex
	proc    *process // the running server; nil while down
	files   []string // the view files its mount has; nil while down
	gen     uint64   // changes at each start and end
	adopted bool     // the daemon found it running at its start
	watched bool     // Supervise was called

	quit chan struct{}
	done chan struct{}
}

// Start adopts the server of a previous daemon or starts one. A server that
// fails to start is no error: guests start with the kernel's files, and
// Supervise tries again.
func Start(opts Options) (*Server, error) {
	kind := opts.Kind
	if kind.name == "" {
		kind = LXCFS
	}
	bin, err := resolveBinary(opts.Binary)
	if err != nil {
		return nil, fmt.Errorf("finding %s: %w", kind.name, err)
	}
	s := &Server{kind: kind, bin: bin, dir: opts.Dir, mnt: filepath.Join(opts.Dir, kind.name), log: opts.Log,
		quit: make(chan struct{}), done: make(chan struct{})}
	if err := s.makeDirs(); err != nil {
		return nil, err
	}
	if p := adoptProcess(s.pidPath(), bin, s.mnt); p != nil && isLive(s.mnt, kind.probeRel()) {
		s.setUp(p)
		s.adopted = true
		s.log.Info("view server running", "server", kind.name, "pid", p.pid, "mount", s.mnt, "adopted", true)
		return s, nil
	} else if p != nil {
		s.log.Warn("view server does not answer; starting another", "server", kind.name, "pid", p.pid)
		p.stop(stopGrace)
	}
	if err := s.launch(); err != nil {
		s.log.Warn("view server not started; guests see the host's numbers until it is", "server", kind.name, "err", err)
	}
	return s, nil
}

// makeDirs makes the server's directory, traversable by guests' inits
// (unprivileged on the host) on their way to the mount point, as run_dir
// is, and the mount point (which may hold a live or dead mount already).
func (s *Server) makeDirs() error {
	if err := os.MkdirAll(s.dir, 0o711); err != nil {
		return fmt.Errorf("making %s: %w", s.dir, err)
	}
	if err := os.Chmod(s.dir, 0o711); err != nil {
		return fmt.Errorf("making %s traversable: %w", s.dir, err)
	}
	if err := os.Mkdir(s.mnt, 0o755); err != nil && !errors.Is(err, os.ErrExist) && !errors.Is(err, unix.ENOTCONN) {
		return fmt.Errorf("making %s: %w", s.mnt, err)
	}
	return nil
}

func (s *Server) pidPath() string { return filepath.Join(s.dir, s.kind.name+".pid") }

func (s *Server) servedPath() string { return filepath.Join(s.dir, s.kind.served) }

// launch starts a new server on the mount point, after detaching a dead
// one's mount, and waits until its file system answers.
func (s *Server) launch() error {
	if err := detachMounts(s.mnt); err != nil {
		return fmt.Errorf("detaching the old mount on %s: %w", s.mnt, err)
	}
	cmd, logr, err := s.command()
	if err != nil {
		return err
	}
	err = cmd.Start()
	cmd.Stdout.(*os.File).Close()
	if err != nil {
		logr.Close()
		return fmt.Errorf("starting %s: %w", s.kind.name, err)
	}
	go relayLog(logr, s.log.With("server", s.kind.name))
	pid := cmd.Process.Pid
	cmd.Process.Release()
	p, err := openProcess(pid, true)
	if err != nil {
		unix.Kill(pid, unix.SIGKILL) // our unreaped child: the pid is its own
		return err
	}
	if err := s.waitMounted(p); err != nil {
		p.stop(stopGrace)
		detachMounts(s.mnt)
		return err
	}
	s.setUp(p)
	s.log.Info("view server running", "server", s.kind.name, "pid", pid, "mount", s.mnt, "files", len(s.files))
	return nil
}

// command is the server's command: in a session of its own, so that it
// outlives the daemon, its output on a pipe whose reading end is returned.
func (s *Server) command() (*exec.Cmd, io.ReadCloser, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("making %s's log pipe: %w", s.kind.name, err)
	}
	cmd := exec.Command(s.bin, s.kind.args(s.mnt, s.pidPath())...)
	if s.kind.argv0 != "" {
		cmd.Args[0] = s.kind.argv0
	}
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd, r, nil
}

// waitMounted waits until p's file system answers on the mount point.
func (s *Server) waitMounted(p *process) error {
	err := poll.Until(startTimeout, 50*time.Millisecond, func() (bool, error) {
		if !p.alive() {
			return false, fmt.Errorf("%s ended at start (its log is in the daemon's)", s.kind.name)
		}
		// Mounted, and its pid file names it (both servers write it
		// themselves, after mounting): a daemon that starts right after
		// must find this server to adopt, not the one before it.
		return isLive(s.mnt, s.kind.probeRel()) && s.pidFileNames(p.pid), nil
	})
	if errors.Is(err, poll.ErrTimeout) {
		return fmt.Errorf("%s did not mount %s within %s", s.kind.name, s.mnt, startTimeout)
	}
	return err
}

// pidFileNames reports whether the pid file names pid.
func (s *Server) pidFileNames(pid int) bool {
	b, err := os.ReadFile(s.pidPath())
	got, ok := parsePid(b)
	return err == nil && ok && got == pid
}

// filesWait bounds how long a new server, mounted, may take to show every
// view file: right after its mount some are missing for a moment.
const filesWait = time.Second

// setUp makes p the running server, with the view files its mount shows
// (every one, or what it shows after filesWait).
func (s *Server) setUp(p *process) {
	var files []string
	poll.Until(filesWait, 20*time.Millisecond, func() (bool, error) {
		files = offered(s.kind.files, func(rel string) bool { return exists(s.mnt, s.kind.filesDir("probe")+rel) })
		return len(files) == len(s.kind.files), nil
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.proc, s.files = p, files
	s.gen++
}

// setDown records that the server has ended.
func (s *Server) setDown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.proc, s.files = nil, nil
	s.gen++
}

// Source returns where the view files of the guest id are (the mount
// point, or the guest's directory under it), the files it has (none while
// the server is down) and a generation that changes whenever the server
// starts or ends.
func (s *Server) Source(id string) (dir string, files []string, gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kind.perGuest && !validID(id) {
		return s.mnt, nil, s.gen
	}
	return filepath.Join(s.mnt, s.kind.filesDir(id)), s.files, s.gen
}

// validID reports whether id can name a directory of its own.
func validID(id string) bool {
	return id != "" && id != "." && id != ".." && !strings.ContainsAny(id, "/\x00")
}

// Clones returns detached bind mounts of the view files of the guest id,
// for its running init to attach; none while the server is down. The
// caller closes them.
func (s *Server) Clones(id string) (files []string, fds []int, gen uint64, err error) {
	dir, files, gen := s.Source(id)
	for _, f := range files {
		fd, err := cloneFile(filepath.Join(dir, f))
		if err != nil {
			protocol.CloseAll(fds)
			return nil, nil, gen, fmt.Errorf("cloning the view of %s: %w", f, err)
		}
		fds = append(fds, fd)
	}
	return files, fds, gen, nil
}

// Adopted reports whether the server was found running at Start.
func (s *Server) Adopted() bool { return s.adopted }

// Running reports whether the server runs.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil && s.proc.alive()
}

// Close stops supervising. With stop set it also ends the server and
// detaches its mount (at a clean shutdown with no guest running); else it keeps
// serving the guests that run on, for the next daemon to adopt.
func (s *Server) Close(stop bool) error {
	s.mu.Lock()
	watched := s.watched
	s.mu.Unlock()
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	if watched {
		<-s.done
	}
	if !stop {
		return nil
	}
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	var err error
	if p != nil {
		err = p.stop(stopGrace)
	}
	s.setDown()
	if derr := detachMounts(s.mnt); err == nil {
		err = derr
	}
	os.Remove(s.pidPath())
	os.Remove(s.servedPath())
	return err
}
