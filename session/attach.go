package session

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"vmhost/guest"
)

// Drain is how long the output of a terminal is still read once its process
// has ended, while data keeps coming: background processes may keep the
// terminal open, so its end is not waited for.
const Drain = 100 * time.Millisecond

// Attached is a process of a guest as a front end uses it.
type Attached struct {
	proc  guest.Process
	pty   *os.File // a pollable duplicate of the terminal; nil for pipes
	out   io.Reader
	ended atomic.Bool
}

// Attach takes the files of proc. With a terminal, its master side is
// duplicated in non-blocking mode so that reads can time out (the drain) and
// are interrupted by Close; the process's own copy is left to it.
func Attach(proc guest.Process) (*Attached, error) {
	if proc == nil {
		return nil, errors.New("the guest returned no process")
	}
	a := &Attached{proc: proc}
	if proc.PTY() == nil {
		if proc.Stdin() == nil || proc.Stdout() == nil {
			return nil, errors.New("the guest returned a process without its pipes")
		}
		a.out = proc.Stdout()
		return a, nil
	}
	f, err := pollable(proc.PTY())
	if err != nil {
		return nil, fmt.Errorf("using the terminal of the process: %w", err)
	}
	a.pty = f
	a.out = &ptyReader{a: a}
	return a, nil
}

// TTY reports whether the process has a terminal.
func (a *Attached) TTY() bool { return a.pty != nil }

// Input is where the process's input goes: its terminal, or its stdin.
func (a *Attached) Input() io.WriteCloser {
	if a.pty != nil {
		return a.pty
	}
	return a.proc.Stdin()
}

// Output is the process's output: its terminal, read until the terminal
// hangs up or, once the process has ended, until it is quiet for Drain; or
// its stdout.
func (a *Attached) Output() io.Reader { return a.out }

// Errors is the process's stderr; nil with a terminal.
func (a *Attached) Errors() io.Reader {
	if a.pty != nil {
		return nil
	}
	return a.proc.Stderr()
}

// Resize sets the window size of the process's terminal; without one it
// does nothing.
func (a *Attached) Resize(rows, cols uint16) error {
	if a.pty == nil {
		return nil
	}
	return setSize(a.pty, rows, cols)
}

// Signal sends sig to the process.
func (a *Attached) Signal(sig syscall.Signal) error { return a.proc.Signal(sig) }

// Wait waits for the process to end and says how; then the terminal's
// output is drained (see Output).
func (a *Attached) Wait() (guest.ExitStatus, error) {
	st, err := a.proc.Wait()
	if a.pty != nil {
		a.ended.Store(true)
		a.pty.SetReadDeadline(time.Now().Add(Drain))
	}
	return st, err
}

// HangUp has the guest drop its own copy of the terminal of a kept process
// (see guest.SpawnRequest.Keep), if it keeps one, so that closing the
// daemon's hangs the process up; otherwise it does nothing.
func (a *Attached) HangUp() {
	if h, ok := a.proc.(interface{ HangUp() error }); ok {
		h.HangUp()
	}
}

// Close releases the files; the process itself is not touched.
func (a *Attached) Close() error {
	if a.pty != nil {
		a.pty.Close()
	}
	return a.proc.Close()
}

// ptyReader reads the terminal of a; once the process has ended, a read
// that gets no data for Drain ends the output.
type ptyReader struct {
	a *Attached
}

// Read reads output; the terminal's hangup (EIO) or the drain timeout end
// it.
func (r *ptyReader) Read(p []byte) (int, error) {
	if r.a.ended.Load() {
		r.a.pty.SetReadDeadline(time.Now().Add(Drain))
	}
	return r.a.pty.Read(p)
}
