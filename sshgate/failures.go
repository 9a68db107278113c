package sshgate

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Bounds of the failure lines of one source.
const (
	// failureBurst is how many failure lines of one source are written in a
	// window; the rest are counted.
	failureBurst = 10
	// failureWindow is how long a window lasts; at its end, one line sums
	// up the failures that were not written.
	failureWindow = time.Minute
	// maxFailureSources bounds the sources followed at once; past it, new
	// sources share one allowance.
	maxFailureSources = 4096
)

// failureLog writes the log lines of failures (refused logins, refused
// requests and channels) so that one source cannot flood the log: per source
// address and kind of line (its message and outcome), the first
// failureBurst lines of a window are written, and the rest are counted and
// summed up in one line when the window ends. It is safe for concurrent use.
type failureLog struct {
	summary *slog.Logger // where the summing-up lines go
	burst   int
	window  time.Duration
	now     func() time.Time
	after   func(time.Duration, func()) // time.AfterFunc, as tests need it

	mu      sync.Mutex
	sources map[failureKey]*failureCount
}

// failureKey is what shares an allowance of failure lines: a source and a
// kind of line.
type failureKey struct {
	src  netip.Addr
	kind string
}

// failureCount is the failures of one source in the current window.
type failureCount struct {
	start      time.Time
	written    int
	suppressed int
}

// newFailureLog returns a failureLog that writes its summing-up lines to
// summary.
func newFailureLog(summary *slog.Logger) *failureLog {
	return &failureLog{
		summary: summary, burst: failureBurst, window: failureWindow, now: time.Now,
		after:   func(d time.Duration, f func()) { time.AfterFunc(d, f) },
		sources: make(map[failureKey]*failureCount),
	}
}

// log writes msg with args to l at level Info, unless src has written its
// share of such lines in this window.
func (f *failureLog) log(l *slog.Logger, src netip.Addr, msg string, args ...any) {
	if f.allow(failureKey{src, lineKind(msg, args)}) {
		l.Info(msg, args...)
	}
}

// lineKind names the kind of a line: its message, and its outcome if it has
// one.
func lineKind(msg string, args []any) string {
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == "outcome" {
			return fmt.Sprintf("%s %v", msg, args[i+1])
		}
	}
	return msg
}

// allow reports whether a failure line of key may be written now, and
// counts it when not.
func (f *failureLog) allow(key failureKey) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	key, w := f.windowOf(key, now)
	if w.written < f.burst {
		w.written++
		return true
	}
	w.suppressed++
	if w.suppressed == 1 {
		f.after(w.start.Add(f.window).Sub(now), func() { f.flush(key) })
	}
	return false
}

// windowOf returns the current window of key, starting a new one when the
// last is over and has nothing left to sum up, and the key it counts: key,
// or the zero key that all share once too many are followed. f.mu must be
// held.
func (f *failureLog) windowOf(key failureKey, now time.Time) (failureKey, *failureCount) {
	if w := f.sources[key]; w != nil && (w.suppressed > 0 || now.Sub(w.start) < f.window) {
		return key, w
	}
	if len(f.sources) >= maxFailureSources-1 && f.sources[key] == nil {
		f.sweep(now)
		if len(f.sources) >= maxFailureSources-1 {
			key = failureKey{}
			if w := f.sources[key]; w != nil {
				return key, w
			}
		}
	}
	w := &failureCount{start: now}
	f.sources[key] = w
	return key, w
}

// sweep forgets the sources whose window is over with nothing to sum up.
// f.mu must be held.
func (f *failureLog) sweep(now time.Time) {
	for key, w := range f.sources {
		if w.suppressed == 0 && now.Sub(w.start) >= f.window {
			delete(f.sources, key)
		}
	}
}

// flush ends the window of key with a line that sums up the failures that
// were not written.
func (f *failureLog) flush(key failureKey) {
	f.mu.Lock()
	w := f.sources[key]
	delete(f.sources, key)
	f.mu.Unlock()
	if w == nil || w.suppressed == 0 {
		return
	}
	f.summary.Warn("repeated failures", "remote", sourceString(key), "kind", key.kind,
		"not_logged", w.suppressed, "window", f.window)
}

// sourceString names the source of key in a summing-up line.
func sourceString(key failureKey) string {
	if key == (failureKey{}) {
		return "(many sources)"
	}
	return key.src.String()
}

// sourceOf returns the IP address of a, or the zero Addr.
func sourceOf(a net.Addr) netip.Addr {
	if a == nil {
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
