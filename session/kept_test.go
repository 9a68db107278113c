package session

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"vmhost/guest"
	"vmhost/session/asciicast"
)

// syncBuffer is a client's terminal: what it was sent.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("after 5 s: %s", what)
}

// keep starts a kept 80x24 session of a fake process with a terminal.
func keep(t *testing.T) (*Kept, *fakeProcess, *syncWriter) {
	t.Helper()
	p, slave := ptyProcess(t)
	att, err := Attach(p)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := Keep(att, KeepOptions{Info: Info{Started: time.Now(), Cols: 80, Rows: 24}, Now: time.Now})
	t.Cleanup(func() {
		select {
		case p.exit <- guest.ExitStatus{}:
		default:
		}
		att.Close()
	})
	return k, p, &syncWriter{f: slave}
}

// syncWriter is the program's side of the terminal.
type syncWriter struct {
	f interface{ Write([]byte) (int, error) }
}

func (w *syncWriter) say(t *testing.T, s string) {
	t.Helper()
	if _, err := w.f.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

// TestKeptReadsWhileDetached: a program writing far more than a terminal
// buffers does not block while no client is attached.
func TestKeptReadsWhileDetached(t *testing.T) {
	k, _, prog := keep(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 2000; i++ {
			prog.f.Write([]byte(strings.Repeat("x", 500) + "\r\n"))
		}
		prog.f.Write([]byte("\x1b[H\x1b[2Jthe end"))
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a detached program blocked on its terminal")
	}
	waitFor(t, "the screen shows the last output", func() bool { return strings.HasPrefix(k.screen.Text(), "the end") })
}

func TestKeptAttachShowsScreenThenOutput(t *testing.T) {
	k, _, prog := keep(t)
	prog.say(t, "$ cd /tmp; X=42\r\n$ ")
	waitFor(t, "the screen has the prompt", func() bool { return strings.Contains(k.screen.Text(), "X=42") })
	var client syncBuffer
	a, err := k.Attach(&client, 30, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(client.String(), "$ cd /tmp; X=42") {
		t.Errorf("attaching sent %q, want the screen with the earlier lines", client.String())
	}
	prog.say(t, "echo after")
	waitFor(t, "output after attaching reaches the client", func() bool { return strings.HasSuffix(client.String(), "echo after") })
	if i := k.Info(); !i.Attached || i.Cols != 100 || i.Rows != 30 {
		t.Errorf("Info = %+v, want attached at 100x30", i)
	}
	a.Detach()
	if err := a.Err(); !errors.Is(err, errDetached) {
		t.Errorf("Err after Detach = %v, want %v", err, errDetached)
	}
	prog.say(t, "while away")
	waitFor(t, "output while detached reaches the screen", func() bool { return strings.Contains(k.screen.Text(), "while away") })
	if strings.Contains(client.String(), "while away") {
		t.Error("a detached client was sent output")
	}
}

func TestKeptTakeOver(t *testing.T) {
	k, _, _ := keep(t)
	var one, two syncBuffer
	a, _ := k.Attach(&one, 24, 80, "")
	b, err := k.Attach(&two, 24, 80, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Err(); !errors.Is(err, ErrTakenOver) {
		t.Errorf("first client: Err = %v, want %v", err, ErrTakenOver)
	}
	select {
	case <-b.Done():
		t.Error("the client that took over was ended")
	default:
	}
}

func TestKeptEnd(t *testing.T) {
	k, p, _ := keep(t)
	var client syncBuffer
	a, _ := k.Attach(&client, 24, 80, "")
	p.exit <- guest.ExitStatus{Code: 3}
	if err := a.Err(); err != nil {
		t.Errorf("Err after the process ended = %v, want nil", err)
	}
	if st, err := k.Status(); err != nil || st.Code != 3 {
		t.Errorf("Status = %v, %v; want exit 3", st, err)
	}
	if _, err := k.Attach(&client, 24, 80, ""); !errors.Is(err, ErrEnded) {
		t.Errorf("Attach after the end = %v, want %v", err, ErrEnded)
	}
}

func TestKeptHangUp(t *testing.T) {
	k, p, _ := keep(t)
	var client syncBuffer
	a, _ := k.Attach(&client, 24, 80, "")
	k.HangUp()
	if err := a.Err(); !errors.Is(err, ErrHungUp) {
		t.Errorf("Err after HangUp = %v, want %v", err, ErrHungUp)
	}
	if sig := <-p.sigs; sig != syscall.SIGHUP {
		t.Errorf("HangUp sent %v, want SIGHUP", sig)
	}
}

// TestKeptFirstClient: the client a session starts with gets every byte of
// its output, and nothing drawn.
func TestKeptFirstClient(t *testing.T) {
	p, slave := ptyProcess(t)
	att, err := Attach(p)
	if err != nil {
		t.Fatal(err)
	}
	slave.Write([]byte("early "))
	var client syncBuffer
	k, a := Keep(att, KeepOptions{Info: Info{Cols: 80, Rows: 24}, First: &client, Now: time.Now})
	defer func() { p.exit <- guest.ExitStatus{} }()
	slave.Write([]byte("later"))
	waitFor(t, "the first client gets the output", func() bool { return client.String() == "early later" })
	if !k.Info().Attached || a == nil {
		t.Errorf("Info = %+v, attachment %v; want attached", k.Info(), a)
	}
}

// castRecorder records into an asciicast file in memory.
type castRecorder struct {
	*asciicast.Writer
	buf    *syncBuffer
	closed bool
}

func (r *castRecorder) Close() error { r.closed = true; return r.Flush() }

// events reads back what was recorded.
func (r *castRecorder) events(t *testing.T) []asciicast.Event {
	t.Helper()
	_, rd, err := asciicast.NewReader(strings.NewReader(r.buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	var out []asciicast.Event
	for {
		e, err := rd.Next()
		if err != nil {
			return out
		}
		out = append(out, e)
	}
}

func TestKeptRecords(t *testing.T) {
	p, slave := ptyProcess(t)
	att, err := Attach(p)
	if err != nil {
		t.Fatal(err)
	}
	buf := &syncBuffer{}
	w, err := asciicast.NewWriter(buf, asciicast.Header{Width: 80, Height: 24}, time.Now(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	rec := &castRecorder{Writer: w, buf: buf}
	var client syncBuffer
	k, a := Keep(att, KeepOptions{Info: Info{Cols: 80, Rows: 24}, First: &client, Record: rec, RecordInput: true, Now: time.Now})
	k.Input().Write([]byte("typed"))
	slave.Write([]byte("shown"))
	waitFor(t, "output reaches the client", func() bool { return strings.Contains(client.String(), "shown") })
	k.Resize(30, 100)
	a.Detach()
	p.exit <- guest.ExitStatus{}
	<-k.Ended()
	got := map[string]bool{}
	var output string
	for _, e := range rec.events(t) {
		got[e.Code+":"+e.Data] = true
		if e.Code == asciicast.Output {
			output += e.Data
		}
	}
	if !strings.Contains(output, "shown") {
		t.Errorf("recorded output %q, want it to hold what was shown", output)
	}
	for _, want := range []string{"i:typed", "r:100x30", "m:detached", "m:ended"} {
		if !got[want] {
			t.Errorf("recording lacks %q; it has %v", want, got)
		}
	}
	if !rec.closed {
		t.Error("the recording was not closed when the session ended")
	}
}

// failingRecorder fails every write.
type failingRecorder struct{}

func (failingRecorder) Write(p []byte) (int, error) { return 0, errors.New("no space left on device") }
func (failingRecorder) Input([]byte) error          { return errors.New("no space left on device") }
func (failingRecorder) Resize(int, int) error       { return errors.New("no space left on device") }
func (failingRecorder) Mark(string) error           { return errors.New("no space left on device") }
func (failingRecorder) Flush() error                { return nil }
func (failingRecorder) Close() error                { return nil }

func TestKeptRecordFailure(t *testing.T) {
	p, slave := ptyProcess(t)
	att, err := Attach(p)
	if err != nil {
		t.Fatal(err)
	}
	failed := make(chan error, 4)
	var client syncBuffer
	k, _ := Keep(att, KeepOptions{Info: Info{Cols: 80, Rows: 24}, First: &client, Record: failingRecorder{}, Now: time.Now,
		RecordFailed: func(_ *Kept, err error) { failed <- err }})
	defer func() { p.exit <- guest.ExitStatus{} }()
	slave.Write([]byte("one"))
	if err := <-failed; err == nil {
		t.Fatal("RecordFailed told nil")
	}
	slave.Write([]byte("two"))
	waitFor(t, "the session goes on", func() bool { return strings.Contains(client.String(), "onetwo") })
	select {
	case err := <-failed:
		t.Errorf("RecordFailed told twice: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	_ = k
}
