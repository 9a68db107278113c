package sshgate

import (
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
// address, the first failureBurst lines of a window are written, and the rest
// are counted and summed up in one line when the window ends. It is safe for
// concurrent use.
type failureLog struct {
	summary *slog.Logger // where the summing-up lines go
	burst   int
	window  time.Duration
	now     func() time.Time
	after   func(time.Duration, func()) // time.AfterFunc, as tests need it

	mu      sync.Mutex
	sources map[netip.Addr]*failureCount
}

// failureCount is the failures of one source in the current window.
type failureCount struct {
	start      time.Time
	written    int
	suppressed int
	last       string // the message of the last line not written
}

// newFailureLog returns a failureLog that writes its summing-up lines to
// summary.
func newFailureLog(summary *slog.Logger) *failureLog {
	return &failureLog{
		summary: summary, burst: failureBurst, window: failureWindow, now: time.Now,
		after:   func(d time.Duration, f func()) { time.AfterFunc(d, f) },
		sources: make(map[netip.Addr]*failureCount),
	}
}

// log writes msg with args to l at level Info, unless src has written its
// share of failure lines in this window.
func (f *failureLog) log(l *slog.Logger, src netip.Addr, msg string, args ...any) {
	if f.allow(src, msg) {
		l.Info(msg, args...)
	}
}

// allow reports whether a failure line of src may be written now, and
// counts it when not.
func (f *failureLog) allow(src netip.Addr, msg string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	src, w := f.windowOf(src, now)
	if w.written < f.burst {
		w.written++
		return true
	}
	w.suppressed++
	w.last = msg
	if w.suppressed == 1 {
		f.after(w.start.Add(f.window).Sub(now), func() { f.flush(src) })
	}
	return false
}

// windowOf returns the current window of src, starting a new one when the
// last is over and has nothing left to sum up, and the source it counts:
// src, or the zero Addr that all sources share once too many are followed.
// f.mu must be held.
func (f *failureLog) windowOf(src netip.Addr, now time.Time) (netip.Addr, *failureCount) {
	if w := f.sources[src]; w != nil && (w.suppressed > 0 || now.Sub(w.start) < f.window) {
		return src, w
	}
	if len(f.sources) >= maxFailureSources-1 && f.sources[src] == nil {
		f.sweep(now)
		if len(f.sources) >= maxFailureSources-1 {
			src = netip.Addr{}
			if w := f.sources[src]; w != nil {
				return src, w
			}
		}
	}
	w := &failureCount{start: now}
	f.sources[src] = w
	return src, w
}

// sweep forgets the sources whose window is over with nothing to sum up.
// f.mu must be held.
func (f *failureLog) sweep(now time.Time) {
	for src, w := range f.sources {
		if w.suppressed == 0 && now.Sub(w.start) >= f.window {
			delete(f.sources, src)
		}
	}
}

// flush ends the window of src with a line that sums up the failures that
// were not written.
func (f *failureLog) flush(src netip.Addr) {
	f.mu.Lock()
	w := f.sources[src]
	delete(f.sources, src)
	f.mu.Unlock()
	if w == nil || w.suppressed == 0 {
		return
	}
	f.summary.Warn("repeated failures", "remote", sourceString(src), "not_logged", w.suppressed,
		"last", w.last, "window", f.window)
}

// sourceString names src in a summing-up line.
func sourceString(src netip.Addr) string {
	if !src.IsValid() {
		return "(many sources)"
	}
	return src.String()
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
