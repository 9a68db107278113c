package guest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
	"vmhost/protocol"
)

// dialTimeout bounds connecting to an init and getting its answer to a spawn.
const dialTimeout = 10 * time.Second

// initEndWait is how long a process whose control connection ended without
// its exit waits to learn that the init ended: the kernel closes a dying
// process's sockets a moment before its pidfd tells it has exited.
const initEndWait = 2 * time.Second

// spawnVia asks the init listening on sock to start req, and returns the
// running process. initDone, closed when the init exits (nil if unknown),
// tells a process that ends with its guest apart.
func spawnVia(ctx context.Context, sock string, req SpawnRequest, initDone <-chan struct{}) (Process, error) {
	p, err := handOverProcess(ctx, sock, protocol.Request{Op: protocol.OpSpawn, Spawn: &req}, req.TTY != nil, initDone)
	if err != nil {
		return nil, fmt.Errorf("spawning in guest: %w", err)
	}
	return p, nil
}

// reattachVia asks the init listening on sock for kept session id, and
// returns its process, with its terminal, as a spawn does.
func reattachVia(ctx context.Context, sock string, id uint64, initDone <-chan struct{}) (Process, error) {
	p, err := handOverProcess(ctx, sock, protocol.Request{Op: protocol.OpReattach, Session: id}, true, initDone)
	if err != nil {
		return nil, fmt.Errorf("reattaching a kept session of the guest: %w", err)
	}
	return p, nil
}

// handOverProcess sends req, which hands a process over (a spawn or a reattach),
// and checks the answer: a pid, and a terminal or three pipes.
func handOverProcess(ctx context.Context, sock string, req protocol.Request, tty bool, initDone <-chan struct{}) (Process, error) {
	d := net.Dialer{Timeout: dialTimeout}
	nc, err := d.DialContext(ctx, "unixpacket", sock)
	if err != nil {
		return nil, fmt.Errorf("reaching the guest's init: %w", err)
	}
	c := nc.(*net.UnixConn)
	c.SetDeadline(time.Now().Add(dialTimeout))
	if err := protocol.SendMessage(c, req); err != nil {
		c.Close()
		return nil, err
	}
	var rep protocol.Reply
	fds, err := protocol.RecvMessage(c, &rep)
	if err == nil && rep.Error != "" {
		err = errors.New(guestText(rep.Error))
	}
	if err == nil {
		err = checkPid(rep.Pid)
	}
	if err == nil {
		err = checkProcessFiles(fds, tty)
	}
	if err != nil {
		protocol.CloseAll(fds)
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	p, err := newProcess(c, rep.Pid, fds, tty)
	if err != nil {
		return nil, err
	}
	p.initDone = initDone
	return p, nil
}

// process is a process of a guest, seen from the daemon.
type process struct {
	conn   *net.UnixConn
	pid    int // in the guest's pid namespace
	files  []*os.File
	tty    bool
	once   sync.Once
	status ExitStatus
	err    error
	// initDone is closed when the guest's init exits; nil if unknown.
	initDone <-chan struct{}
}

// newProcess wraps the files of a spawned process. They are made non-blocking
// so reads can time out and close can interrupt them.
func newProcess(c *net.UnixConn, pid int, fds []int, tty bool) (*process, error) {
	p := &process{conn: c, pid: pid, tty: tty}
	for _, fd := range fds {
		if err := syscall.SetNonblock(fd, true); err != nil {
			protocol.CloseAll(fds)
			c.Close()
			return nil, fmt.Errorf("using process files: %w", err)
		}
		p.files = append(p.files, os.NewFile(uintptr(fd), "guest-process"))
	}
	return p, nil
}

// Stdin implements Process.
func (p *process) Stdin() io.WriteCloser { return p.files[0] }

// Stdout implements Process.
func (p *process) Stdout() io.Reader {
	if p.tty {
		return p.files[0]
	}
	return p.files[1]
}

// Stderr implements Process.
func (p *process) Stderr() io.Reader {
	if p.tty {
		return nil
	}
	return p.files[2]
}

// PTY implements Process.
func (p *process) PTY() *os.File {
	if p.tty {
		return p.files[0]
	}
	return nil
}

// Signal implements Process.
func (p *process) Signal(sig syscall.Signal) error {
	return protocol.SendMessage(p.conn, protocol.Request{Op: protocol.OpSignal, Signal: int(sig)})
}

// Wait implements Process.
func (p *process) Wait() (ExitStatus, error) {
	p.once.Do(func() {
		var rep protocol.Reply
		fds, err := protocol.RecvMessage(p.conn, &rep)
		protocol.CloseAll(fds)
		switch {
		case err != nil:
			p.status, p.err = ExitStatus{Code: 255}, fmt.Errorf("waiting for process %d: %w", p.pid, p.lost(err))
		case rep.Exit == nil:
			p.status, p.err = ExitStatus{Code: 255}, fmt.Errorf("waiting for process %d: no exit status", p.pid)
		case checkExit(*rep.Exit) != nil:
			p.status, p.err = ExitStatus{Code: 255}, fmt.Errorf("waiting for process %d: %w", p.pid, checkExit(*rep.Exit))
		default:
			p.status = *rep.Exit
		}
	})
	return p.status, p.err
}

// lost explains why the control connection ended before the process's
// exit was told: ErrGuestStopped when the init ended, which ends every
// process of its guest; else err.
func (p *process) lost(err error) error {
	if p.initDone == nil {
		return err
	}
	t := time.NewTimer(initEndWait)
	defer t.Stop()
	select {
	case <-p.initDone:
		return ErrGuestStopped
	case <-t.C:
		return err
	}
}

// HangUp has the init drop its copy of a kept process's terminal and hang
// the process up (SIGHUP); the daemon's copy is the caller's to close.
func (p *process) HangUp() error {
	return protocol.SendMessage(p.conn, protocol.Request{Op: protocol.OpHangUp})
}

// Close implements Process.
func (p *process) Close() error {
	closeFiles(p.files)
	return p.conn.Close()
}

// closeFiles closes every file in fs.
func closeFiles(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}
