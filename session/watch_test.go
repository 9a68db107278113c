package session

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"vmhost/guest"
)

// slowWriter takes one write, then blocks until released.
type slowWriter struct {
	syncBuffer
	once    sync.Once
	release chan struct{}
}

func (w *slowWriter) Write(p []byte) (int, error) {
	n, err := w.syncBuffer.Write(p)
	w.once.Do(func() { <-w.release })
	return n, err
}

func TestWatchSeesScreenThenOutput(t *testing.T) {
	k, p, prog := keep(t)
	var user syncBuffer
	k.Attach(&user, 24, 80, "")
	prog.say(t, "before watching")
	waitFor(t, "the screen has the output", func() bool { return strings.Contains(k.screen.Text(), "before watching") })
	var admin syncBuffer
	w, err := k.Watch(&admin, "the admin", false)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the watcher gets the screen", func() bool { return strings.Contains(admin.String(), "before watching") })
	waitFor(t, "the user is told", func() bool { return strings.Contains(user.String(), "vmhost: the admin is watching this session") })
	prog.say(t, " and after")
	waitFor(t, "the watcher gets later output", func() bool { return strings.HasSuffix(admin.String(), " and after") })
	if _, err := w.Input().Write([]byte("x")); !errors.Is(err, ErrWatchOnly) {
		t.Errorf("a watcher's input = %v, want %v", err, ErrWatchOnly)
	}
	w.Stop()
	<-w.Done()
	waitFor(t, "the user is told the watcher left", func() bool {
		return strings.Contains(user.String(), "vmhost: the admin is no longer watching this session")
	})
	prog.say(t, "unseen")
	waitFor(t, "the user gets it", func() bool { return strings.Contains(user.String(), "unseen") })
	if strings.Contains(admin.String(), "unseen") {
		t.Error("a stopped watcher was sent output")
	}
	p.exit <- guest.ExitStatus{}
}

func TestJoinTypes(t *testing.T) {
	k, _, prog := keep(t)
	var admin syncBuffer
	w, err := k.Watch(&admin, "tina", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Input().Write([]byte("typed by tina\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, err := prog.f.(interface{ Read([]byte) (int, error) }).Read(buf)
	if err != nil || !strings.Contains(string(buf[:n]), "typed by tina") {
		t.Errorf("the program read %q, %v; want the joined watcher's keys", buf[:n], err)
	}
	w.Stop()
}

// TestWatchSlowNeverBlocks: a watcher that takes nothing does not slow the
// session, and gets the screen as it is once it reads again.
func TestWatchSlowNeverBlocks(t *testing.T) {
	k, p, prog := keep(t)
	slow := &slowWriter{release: make(chan struct{})}
	w, err := k.Watch(slow, "slow", false)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 3000; i++ {
			prog.f.Write([]byte(strings.Repeat("y", 200) + "\r\n"))
		}
		prog.f.Write([]byte("\x1b[H\x1b[2Jlatest screen"))
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the session blocked on a watcher that reads nothing")
	}
	waitFor(t, "the screen has the end", func() bool { return strings.HasPrefix(k.screen.Text(), "latest screen") })
	close(slow.release)
	waitFor(t, "the watcher catches up with a fresh screen", func() bool { return strings.Contains(slow.String(), "latest screen") })
	if len(slow.String()) > 3000*202 {
		t.Errorf("the slow watcher was sent %d bytes, more than all the output: nothing was dropped", len(slow.String()))
	}
	p.exit <- guest.ExitStatus{}
	<-w.Done()
}
