package session

import (
	"errors"
	"io"
	"sync"
)

// ErrEnded is returned by Attach for a session whose process has ended.
var ErrEnded = errors.New("the session has ended")

// errDetached ends an attachment whose client went away.
var errDetached = errors.New("the client detached")

// Attachment is a client attached to a kept session: the session's output
// goes to it until it detaches, another client takes the session over, the
// session is hung up or its process ends.
type Attachment struct {
	k    *Kept
	out  gate
	done chan struct{}
	once sync.Once
	err  error
}

// gate is a client's output: one writer at a time, so that the screen a
// client gets on attaching comes whole before any output that follows it.
type gate struct {
	mu sync.Mutex
	w  io.Writer
}

// Write writes p to the client.
func (g *gate) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.w.Write(p)
}

// Attach attaches out, a client whose window is cols×rows, to the session:
// out is sent what draws the screen as it is, then the output that follows.
// A client attached before is detached with ErrTakenOver.
//
// A notice, if not "", is shown above the screen (see screen.Repaint).
func (k *Kept) Attach(out io.Writer, rows, cols uint16, notice string) (*Attachment, error) {
	a := &Attachment{k: k, out: gate{w: out}, done: make(chan struct{})}
	a.out.mu.Lock() // until the screen is sent: output waits for it
	defer a.out.mu.Unlock()
	k.mu.Lock()
	select {
	case <-k.ended:
		k.mu.Unlock()
		return nil, ErrEnded
	default:
	}
	old := k.client
	k.client, k.since = a, k.now()
	paint := k.paint(rows, cols, notice)
	k.mu.Unlock()
	if old != nil {
		old.finish(ErrTakenOver)
	}
	k.mark("attached")
	k.tell()
	if _, err := out.Write(paint); err != nil {
		k.drop(a, err)
	}
	return a, nil
}

// paint resizes the session to the client's window and returns what draws
// its screen. The program is also made to redraw, by a change of window
// size and back, as full-screen programs do on SIGWINCH: the screen drawn
// is the emulator's idea of it, and a notice takes a line. A stale screen
// is cleared instead of drawn. k.mu is held.
func (k *Kept) paint(rows, cols uint16, notice string) []byte {
	k.screen.Resize(int(cols), int(rows))
	k.recordLocked(func(r Recorder) error { return r.Resize(int(cols), int(rows)) })
	k.att.Resize(rows, max(cols, 2)-1)
	k.att.Resize(rows, cols)
	if !k.screen.Stale() {
		return k.screen.Repaint(notice)
	}
	k.screen.Clear()
	if notice != "" {
		notice += "\r\n"
	}
	return []byte("\x1b[m\x1b[H\x1b[2J" + notice)
}

// drop detaches client c, if still attached, because of err.
func (k *Kept) drop(c *Attachment, err error) {
	k.mu.Lock()
	if k.client != c {
		k.mu.Unlock()
		return
	}
	k.client, k.since = nil, k.now()
	k.mu.Unlock()
	c.finish(err)
	k.mark("detached")
	k.tell()
}

// tell tells the session's table that a client attached or detached.
func (k *Kept) tell() {
	k.mu.Lock()
	f := k.changed
	k.mu.Unlock()
	if f != nil {
		f(k)
	}
}

// finish ends the attachment because of err (nil: the process ended).
func (a *Attachment) finish(err error) {
	a.once.Do(func() {
		a.err = err
		close(a.done)
	})
}

// Done is closed when the attachment ends.
func (a *Attachment) Done() <-chan struct{} { return a.done }

// Err says why the attachment ended, once Done is closed: nil when the
// process ended (see Kept.Status), ErrTakenOver, ErrHungUp, or why writing
// to the client failed.
func (a *Attachment) Err() error {
	<-a.done
	return a.err
}

// Detach detaches the client, which went away; the session goes on.
func (a *Attachment) Detach() { a.k.drop(a, errDetached) }
