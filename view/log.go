package view

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Bounds on the lines of a view server's output the daemon logs: guests'
// reads can make it complain.
const (
	logLine   = 1024        // longest line kept
	logBurst  = 20          // lines logged per logWindow
	logWindow = time.Minute // the window of logBurst
	// startBanner is how long after its start lxcfs prints its banner.
	startBanner = 2 * time.Second
)

// relayLog copies a view server's output lines from r into the daemon's log (its
// start banner at debug level), each cut to logLine bytes, at most logBurst
// per minute; the lines dropped are
// counted in the next one logged. It returns when lxcfs and the daemon's
// copy have closed the pipe.
func relayLog(r io.ReadCloser, log *slog.Logger) {
	defer r.Close()
	br := bufio.NewReaderSize(r, logLine)
	lim := windowLimiter{now: time.Now}
	start := time.Now()
	for {
		line, err := readLine(br)
		if len(line) > 0 {
			if dropped, ok := lim.allow(); ok {
				log.Log(context.Background(), lineLevel(line, time.Since(start)), "view server output", "line", line, "dropped_before", dropped)
			}
		}
		if err != nil {
			return
		}
	}
}

// lineLevel is the level of a line of lxcfs's output written after ran: the
// banner it prints as it starts is for debugging, unless it says something
// failed.
func lineLevel(line string, ran time.Duration) slog.Level {
	switch {
	case strings.Contains(line, "ailed") || strings.Contains(line, "rror"):
		return slog.LevelWarn
	case ran < startBanner:
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// readLine reads one line, without its newline, cut to the reader's
// buffer size; the rest of a longer line is read and dropped.
func readLine(br *bufio.Reader) (string, error) {
	b, err := br.ReadSlice('\n')
	line := strings.TrimRight(string(b), "\n")
	if err == bufio.ErrBufferFull {
		line += " [cut]"
		for err == bufio.ErrBufferFull {
			_, err = br.ReadSlice('\n')
		}
	}
	return line, err
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
