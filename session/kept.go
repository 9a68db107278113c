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

	watchers []*Watcher // watching or joined

	rec       Recorder // nil when not recorded, or no more
	recInput  bool
	recFailed func(*Kept, error)
	flushed   time.Time // when the recording was last flushed

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

// Recorder records a session: its output, input, resizes and markers
// (an asciicast writer).
type Recorder interface {
	Write(p []byte) (int, error)
	Input(p []byte) error
	Resize(cols, rows int) error
	Mark(label string) error
	Flush() error
	Close() error
}

// KeepOptions are the options of Keep.
type KeepOptions struct {
	Info Info // Command, Started, Cols and Rows
	// First, if not nil, is the client the session starts with: attached
	// before anything is read, it gets all the output, nothing drawn.
	First io.Writer
	// Budget bounds the emulation of the screen; nil does not.
	Budget *screen.Budget
	// Record, if not nil, records the output, resizes and markers, and
	// the input too with RecordInput. The first error stops the recording
	// and is told to RecordFailed (which may hang the session up).
	Record       Recorder
	RecordInput  bool
	RecordFailed func(k *Kept, err error)
	// Now is the clock.
	Now func() time.Time
	// Adopted says the session is one a daemon before this one kept,
	// detached since Since: its screen is not known (a client attaching
	// has the program redraw).
	Adopted bool
	Since   time.Time
}

// Keep starts reading the output of att, a process with a terminal, into
// the session's screen and recording, and to its first client if any.
func Keep(att *Attached, o KeepOptions) (*Kept, *Attachment) {
	k := &Kept{att: att, info: o.Info, now: o.Now, since: o.Now(), ended: make(chan struct{}),
		rec: o.Record, recInput: o.RecordInput, recFailed: o.RecordFailed}
	k.screen = screen.New(o.Info.Cols, o.Info.Rows, o.Budget)
	if o.Adopted {
		k.screen.Invalidate()
		k.since = o.Since
	}
	var first *Attachment
	if o.First != nil {
		first = &Attachment{k: k, out: gate{w: o.First}, done: make(chan struct{})}
		k.client = first
	}
	var pumped sync.WaitGroup
	pumped.Go(k.pump)
	go func() {
		k.status, k.err = att.Wait()
		pumped.Wait()
		k.mark("ended")
		k.closeRecording()
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
	k.recordLocked(func(r Recorder) error { _, err := r.Write(p); return err })
	for _, w := range k.watchers {
		w.send(p)
	}
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
	k.endWatchers()
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

// Input is where a client's keys go (recorded with RecordInput).
func (k *Kept) Input() io.Writer { return keys{k} }

// keys is the input of a kept session.
type keys struct{ k *Kept }

// Write sends p to the session's terminal, and to its recording.
func (in keys) Write(p []byte) (int, error) {
	if in.k.recInput {
		in.k.record(func(r Recorder) error { return r.Input(p) })
	}
	return in.k.att.Input().Write(p)
}

// Resize follows the attached client's window size.
func (k *Kept) Resize(rows, cols uint16) error {
	k.screen.Resize(int(cols), int(rows))
	k.record(func(r Recorder) error { return r.Resize(int(cols), int(rows)) })
	return k.att.Resize(rows, cols)
}

// Redraw has the program redraw its screen, by a change of window size and
// back, as full-screen programs do on SIGWINCH.
func (k *Kept) Redraw(rows, cols uint16) {
	k.att.Resize(rows, max(cols, 2)-1)
	k.att.Resize(rows, cols)
}

// mark records a marker: an attach, a detach, the end.
func (k *Kept) mark(label string) {
	k.record(func(r Recorder) error {
		if err := r.Mark(label); err != nil {
			return err
		}
		return r.Flush()
	})
}

// closeRecording closes the recording, if any, once the session ended.
func (k *Kept) closeRecording() {
	k.record(func(r Recorder) error {
		if err := r.Close(); err != nil {
			return err
		}
		k.rec = nil
		return nil
	})
}

// record does one thing to the recording, if any.
func (k *Kept) record(do func(Recorder) error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.recordLocked(do)
}

// recordLocked does one thing to the recording, if any, and flushes it at
// most once a second; the first error ends the recording and is told.
// k.mu is held.
func (k *Kept) recordLocked(do func(Recorder) error) {
	if k.rec == nil {
		return
	}
	err := do(k.rec)
	if now := k.now(); err == nil && now.Sub(k.flushed) >= time.Second {
		err, k.flushed = k.rec.Flush(), now
	}
	if err != nil {
		k.rec = nil
		if k.recFailed != nil {
			go k.recFailed(k, err)
		}
	}
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
	k.mark("hung up")
	k.att.HangUp()
	k.att.Signal(syscall.SIGHUP)
	k.att.Close()
	if c != nil {
		c.finish(ErrHungUp)
	}
}
