package sshgate

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/creack/pty"

	"vmhost/guest"
	"vmhost/protocol"
	"vmhost/sftpserve"
	"vmhost/ttymodes"
)

// openCall is one call of fakeGuests.Open.
type openCall struct{ Owner, Name string }

// fakeGuests is a Guests whose guests run processes on the host, recording
// the Open calls and the processes' requests.
type fakeGuests struct {
	mu      sync.Mutex
	opens   []openCall
	spawns  []guest.SpawnRequest
	procs   []*hostProcess
	openErr error // returned by Open when set
	// spawnErrArgv makes Spawn fail, as for a command that cannot start.
	spawnErrArgv bool
	// progress, when set, is what Open writes to the context's progress
	// writer, as a first login's image build does.
	progress string
	// wrap, when set, makes the guest Open returns out of the host guest,
	// as a guest whose init answers oddly.
	wrap func(Guest) Guest
}

// setWrap sets wrap.
func (f *fakeGuests) setWrap(wrap func(Guest) Guest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wrap = wrap
}

func (f *fakeGuests) Open(ctx context.Context, owner, name string) (Guest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opens = append(f.opens, openCall{owner, name})
	if f.progress != "" {
		io.WriteString(guest.Progress(ctx), f.progress)
	}
	if f.openErr != nil {
		return nil, f.openErr
	}
	if f.wrap != nil {
		return f.wrap(hostGuest{f}), nil
	}
	return hostGuest{f}, nil
}

// openCalls returns the Open calls so far.
func (f *fakeGuests) openCalls() []openCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]openCall(nil), f.opens...)
}

// lastProcess returns the last process started, or nil.
func (f *fakeGuests) lastProcess() *hostProcess {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.procs) == 0 {
		return nil
	}
	return f.procs[len(f.procs)-1]
}

// spawnCalls returns the spawn requests so far.
func (f *fakeGuests) spawnCalls() []guest.SpawnRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]guest.SpawnRequest(nil), f.spawns...)
}

// allProcesses returns the host processes started so far.
func (f *fakeGuests) allProcesses() []*hostProcess {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*hostProcess(nil), f.procs...)
}

// hostGuest is a guest that is the host itself.
type hostGuest struct{ f *fakeGuests }

// Spawn runs req on the host; a login shell is /bin/sh -l.
func (g hostGuest) Spawn(ctx context.Context, req guest.SpawnRequest) (guest.Process, error) {
	if req.Subsystem == "sftp" {
		g.f.mu.Lock()
		g.f.spawns = append(g.f.spawns, req)
		g.f.mu.Unlock()
		return startSFTP(req.Env)
	}
	argv := req.Argv
	switch {
	case len(argv) == 0 && req.Command != "":
		argv = []string{"/bin/sh", "-c", req.Command}
	case len(argv) == 0:
		argv = []string{"/bin/sh", "-l"}
	}
	g.f.mu.Lock()
	if g.f.spawnErrArgv {
		argv = []string{"/nonexistent/sh"}
	}
	g.f.mu.Unlock()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = req.Env
	cmd.Dir = "/"
	var p *hostProcess
	var err error
	if req.TTY != nil {
		p, err = startTTY(cmd, req.TTY)
	} else {
		p, err = startPipes(cmd)
	}
	if err != nil {
		return nil, err
	}
	g.f.mu.Lock()
	g.f.spawns = append(g.f.spawns, req)
	g.f.procs = append(g.f.procs, p)
	g.f.mu.Unlock()
	return p, nil
}

// hostProcess is a process on the host, as a guest.Process.
type hostProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.Reader
	stderr io.Reader
	pty    *os.File
	files  []*os.File // closed by Close

	mu     sync.Mutex
	closed bool
}

// startPipes starts cmd with its stdio on pipes. The parent's ends are our
// own, so that Wait does not close them before the output is read.
func startPipes(cmd *exec.Cmd) (*hostProcess, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	err = cmd.Start()
	inR.Close()
	outW.Close()
	errW.Close()
	p := &hostProcess{cmd: cmd, stdin: inW, stdout: outR, stderr: errR, files: []*os.File{inW, outR, errR}}
	if err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// startTTY starts cmd on a new pty set up as tty asks, like the guest's init.
func startTTY(cmd *exec.Cmd, tty *guest.TTY) (*hostProcess, error) {
	ptm, pts, err := pty.Open()
	if err != nil {
		return nil, err
	}
	defer pts.Close()
	if err := setUpTTY(pts, tty); err != nil {
		ptm.Close()
		return nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pts, pts, pts
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		ptm.Close()
		return nil, err
	}
	return &hostProcess{cmd: cmd, stdin: ptm, stdout: ptm, pty: ptm, files: []*os.File{ptm}}, nil
}

// setUpTTY applies the terminal modes and size of tty to the slave side.
func setUpTTY(pts *os.File, tty *guest.TTY) error {
	fd := int(pts.Fd())
	if err := ttymodes.Apply(fd, tty.Modes); err != nil {
		return err
	}
	return ttymodes.SetSize(fd, tty.Rows, tty.Cols)
}

func (p *hostProcess) Stdin() io.WriteCloser { return p.stdin }
func (p *hostProcess) Stdout() io.Reader     { return p.stdout }
func (p *hostProcess) Stderr() io.Reader     { return p.stderr }
func (p *hostProcess) PTY() *os.File         { return p.pty }

func (p *hostProcess) Signal(sig syscall.Signal) error { return p.cmd.Process.Signal(sig) }

func (p *hostProcess) Wait() (guest.ExitStatus, error) {
	err := p.cmd.Wait()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return guest.ExitStatus{}, err
	}
	ws := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return guest.ExitStatus{Signal: ws.Signal(), CoreDumped: ws.CoreDump()}, nil
	}
	return guest.ExitStatus{Code: ws.ExitStatus()}, nil
}

func (p *hostProcess) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, f := range p.files {
		f.Close()
	}
	return nil
}

// isClosed reports whether Close was called.
func (p *hostProcess) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// Dial connects on the host: the fake guest's network is the host's.
func (g hostGuest) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// Listen listens on the host. As in a guest, a Unix socket's missing
// directories are made 0700 and the socket file stays when the listener
// closes.
func (g hostGuest) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	if network == "unix" {
		if err := os.MkdirAll(filepath.Dir(address), 0o700); err != nil {
			return nil, err
		}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, network, address)
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
	}
	return ln, err
}

// sftpProcess is the fake guest's sftp subsystem: pkg/sftp serving the
// host's files on pipes, in the test process.
type sftpProcess struct {
	stdin  *os.File // the server's input, written by the session
	stdout *os.File // the server's output, read by the session
	done   chan struct{}
	err    error
}

// startSFTP starts an SFTP server on new pipes, vmhost's own (package
// sftpserve) with the environment a spawn request gives it.
func startSFTP(env []string) (*sftpProcess, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	opts := sftpserve.Options{
		Home:       "/",
		Login:      envValue(env, protocol.SFTPLoginEnv),
		RFCSymlink: sftpserve.RFCSymlinkClient(envValue(env, protocol.SFTPClientVersionEnv)),
	}
	p := &sftpProcess{stdin: inW, stdout: outR, done: make(chan struct{})}
	go func() {
		p.err = sftpserve.Serve(inR, outW, opts)
		inR.Close()
		outW.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *sftpProcess) Stdin() io.WriteCloser           { return p.stdin }
func (p *sftpProcess) Stdout() io.Reader               { return p.stdout }
func (p *sftpProcess) Stderr() io.Reader               { return nil }
func (p *sftpProcess) PTY() *os.File                   { return nil }
func (p *sftpProcess) Signal(sig syscall.Signal) error { return p.stdin.Close() }

func (p *sftpProcess) Wait() (guest.ExitStatus, error) {
	<-p.done
	if p.err != nil && !errors.Is(p.err, io.EOF) {
		return guest.ExitStatus{Code: 1}, nil
	}
	return guest.ExitStatus{}, nil
}

func (p *sftpProcess) Close() error {
	p.stdin.Close()
	p.stdout.Close()
	return nil
}

// envValue returns the value of key in env, "" when unset.
func envValue(env []string, key string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}
