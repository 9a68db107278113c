package view

import (
	"bufio"
	"io"
	"log/slog"
	"time"
)

// Bounds on the lines of lxcfs's output the daemon logs: guests' reads can
// make lxcfs complain.
const (
	logLine   = 1024        // longest line kept
	logBurst  = 20          // lines logged per logWindow
	logWindow = time.Minute //
)

// relayLog copies lxcfs's output lines from r into the daemon's log, each cut
// to logLine bytes, at most logBurst per minute; the lines dropped are
// counted in the next one logged. It returns when lxcfs and the daemon's
// copy have closed the pipe.
func relayLog(r io.ReadCloser, log *slog.Logger) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	lim := windowLimiter{now: time.Now}
	for sc.Scan() {
		line := sc.Text()
		if len(line) > logLine {
			line = line[:logLine] + " [cut]"
		}
		if dropped, ok := lim.allow(); ok {
			log.Info("lxcfs", "line", line, "dropped_before", dropped)
		}
	}
}

// windowLimiter allows logBurst events per logWindow.
type windowLimiter struct {
	now     func() time.Time
	start   time.Time
	n       int
	dropped int
}

// allow reports whether one more event may pass, and how many were dropped
// since the last one that did.
func (l *windowLimiter) allow() (int, bool) {
	t := l.now()
	if t.Sub(l.start) >= logWindow {
		l.start, l.n = t, 0
	}
	if l.n >= logBurst {
		l.dropped++
		return 0, false
	}
	l.n++
	d := l.dropped
	l.dropped = 0
	return d, true
}
