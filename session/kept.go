package session

import (
	"errors"
	"io"
	"sync"
	"syscall"
	"time"

	"vmhost/guest"
	"vmhost/session/screen"
)

// ErrTakenOver ends an attachment whose session another client attached to.
var ErrTakenOver = errors.New("the session was attached from another connection")

// ErrHungUp ends an attachment whose session was hung up (:kill, the detach
// timeout, a bound on detached sessions).
var ErrHungUp = errors.New("the session was hung up")

// readBuffer is how much of a terminal's output one read takes.
const readBuffer = 32 << 10

// Kept is a terminal session that outlives its client: its output is read
// all the time, into its screen and to the client attached, if any, so a
// detached program never blocks on a full terminal, and a client attaching
// later is shown the screen as it is.
type Kept struct {
	att    *Attached
	screen *screen.Screen
	info   Info

	mu     sync.Mutex
	client *Attachment // nil while detached
	since  time.Time   // attached or detached since
	now    func() time.Time

	changed func(*Kept) // told when a client attaches or detaches; set by a Table

	ended  chan struct{} // closed once the process ended and its output is read
	status guest.ExitStatus
	err    error
}

// Info describes a kept session, for lists.
type Info struct {
	N        int       // its number in its guest, from 1
	Command  string    // what was asked for; "" for a login shell
	Started  time.Time // when it started
	Attached bool      // a client is attached
	Since    time.Time // attached or detached since
	Cols     int       // emulated window size
	Rows     int
}

// Keep starts reading the output of att, a process with a terminal of
// cols×rows, into a screen whose emulation draws on budget (nil: none). A
// first client, out, if not nil, is attached before anything is read: it
// gets all the output, and nothing is drawn for it.
func Keep(att *Attached, info Info, out io.Writer, budget *screen.Budget, now func() time.Time) (*Kept, *Attachment) {
	k := &Kept{att: att, info: info, now: now, since: now(), ended: make(chan struct{})}
	k.screen = screen.New(info.Cols, info.Rows, budget)
	var first *Attachment
	if out != nil {
		first = &Attachment{k: k, out: gate{w: out}, done: make(chan struct{})}
		k.client = first
	}
	var pumped sync.WaitGroup
	pumped.Go(k.pump)
	go func() {
		k.status, k.err = att.Wait()
		pumped.Wait()
		k.end()
		att.Close()
	}()
	return k, first
}

// pump reads the terminal until it hangs up, or is quiet for Drain once
// the process has ended.
func (k *Kept) pump() {
	buf := make([]byte, readBuffer)
	for {
		n, err := k.att.Output().Read(buf)
		if n > 0 {
			k.show(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// show puts output on the screen and sends it to the client attached. A
// client that cannot take it any more is detached.
func (k *Kept) show(p []byte) {
	k.mu.Lock()
	k.screen.Write(p)
	c := k.client
	k.mu.Unlock()
	if c == nil {
		return
	}
	if _, err := c.out.Write(p); err != nil {
		k.drop(c, err)
	}
}

// end tells the attached client that the process ended.
func (k *Kept) end() {
	k.mu.Lock()
	c := k.client
	k.client = nil
	k.mu.Unlock()
	close(k.ended)
	if c != nil {
		c.finish(nil)
	}
	k.tell()
}

// Ended is closed once the process has ended and its output is read.
func (k *Kept) Ended() <-chan struct{} { return k.ended }

// Status says how the process ended, once Ended is closed.
func (k *Kept) Status() (guest.ExitStatus, error) {
	<-k.ended
	return k.status, k.err
}

// Info describes the session now.
func (k *Kept) Info() Info {
	k.mu.Lock()
	defer k.mu.Unlock()
	i := k.info
	i.Attached, i.Since = k.client != nil, k.since
	i.Cols, i.Rows = k.screen.Size()
	return i
}

// Input is where a client's keys go.
func (k *Kept) Input() io.Writer { return k.att.Input() }

// Resize follows the attached client's window size.
func (k *Kept) Resize(rows, cols uint16) error {
	k.screen.Resize(int(cols), int(rows))
	return k.att.Resize(rows, cols)
}

// Signal sends sig to the process.
func (k *Kept) Signal(sig syscall.Signal) error { return k.att.Signal(sig) }

// HangUp ends the session as a dropped connection did before sessions were
// kept: its terminal is closed, which hangs up its processes.
func (k *Kept) HangUp() {
	k.mu.Lock()
	c := k.client
	k.client = nil
	k.mu.Unlock()
	k.att.Signal(syscall.SIGHUP)
	k.att.Close()
	if c != nil {
		c.finish(ErrHungUp)
	}
}
