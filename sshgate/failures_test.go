package sshgate

import (
	"bytes"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// fakeFailureLog is a failureLog with a clock and timers the test moves.
type fakeFailureLog struct {
	*failureLog
	buf    *bytes.Buffer
	clock  time.Time
	timers []func()
}

func newFakeFailureLog() *fakeFailureLog {
	buf := &bytes.Buffer{}
	f := &fakeFailureLog{buf: buf, clock: time.Unix(1000, 0)}
	f.failureLog = newFailureLog(slog.New(slog.NewTextHandler(buf, nil)))
	f.now = func() time.Time { return f.clock }
	f.after = func(d time.Duration, fn func()) {
		if d <= 0 || d > failureWindow {
			panic("timer outside the window")
		}
		f.timers = append(f.timers, fn)
	}
	return f
}

// fire runs the timers due.
func (f *fakeFailureLog) fire() {
	timers := f.timers
	f.timers = nil
	for _, fn := range timers {
		fn()
	}
}

func TestFailureLog(t *testing.T) {
	f := newFakeFailureLog()
	logger := slog.New(slog.NewTextHandler(f.buf, nil))
	mallory, bob := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	for range 1000 {
		f.log(logger, mallory, "login", "outcome", "refused")
	}
	f.log(logger, bob, "login", "outcome", "refused")
	if got := strings.Count(f.buf.String(), "msg=login"); got != failureBurst+1 {
		t.Errorf("%d lines for 1000 failures of one source and 1 of another, want %d", got, failureBurst+1)
	}
	if len(f.timers) != 1 {
		t.Fatalf("%d summary timers, want 1", len(f.timers))
	}
	f.clock = f.clock.Add(failureWindow)
	f.fire()
	want := `msg="repeated failures" remote=192.0.2.1 kind="login refused" not_logged=990 window=1m0s`
	if !strings.Contains(f.buf.String(), want) {
		t.Errorf("log %q lacks the summary %q", f.buf.String(), want)
	}
	// Another kind of line from the source has its own share.
	f.log(logger, mallory, "login", "outcome", "delayed")
	if !strings.Contains(f.buf.String(), "outcome=delayed") {
		t.Errorf("a delayed login line was not written after 1000 refused ones")
	}
	// A new window writes its burst again.
	f.buf.Reset()
	for range 2 * failureBurst {
		f.log(logger, mallory, "forward", "outcome", "refused")
	}
	if got := strings.Count(f.buf.String(), "msg=forward"); got != failureBurst {
		t.Errorf("%d lines in the next window, want %d", got, failureBurst)
	}
}

func TestFailureLogManySources(t *testing.T) {
	f := newFakeFailureLog()
	logger := slog.New(slog.DiscardHandler)
	for i := range maxFailureSources + 100 {
		src := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		for range failureBurst + 1 {
			f.log(logger, src, "login")
		}
	}
	if len(f.sources) > maxFailureSources {
		t.Errorf("%d sources followed, want at most %d", len(f.sources), maxFailureSources)
	}
	f.clock = f.clock.Add(failureWindow)
	f.fire()
	if !strings.Contains(f.buf.String(), `remote="(many sources)"`) {
		t.Errorf("no summary for the sources past the bound")
	}
	if len(f.sources) != 0 {
		t.Errorf("%d sources followed after every window ended, want 0", len(f.sources))
	}
}
