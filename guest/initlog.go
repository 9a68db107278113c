package guest

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"strconv"
	"time"
)

// Bounds on what the daemon takes from an init's log pipe: the init runs in
// the guest, and what it writes is the guest's to influence.
const (
	initLogLine   = 1024            // longest line kept; the rest is cut
	initLogBurst  = 50              // lines logged at once
	initLogRefill = 2 * time.Second // one more line allowed this often
)

// relayInitLog copies the lines an init writes on its log pipe r into the
// daemon's log, each cut to initLogLine bytes and at most initLogBurst at
// once plus one per initLogRefill; lines past that are counted and reported
// in one line. It returns when the init and its processes have closed the
// pipe, as when the guest stops.
func relayInitLog(r io.ReadCloser, log *slog.Logger) {
	defer r.Close()
	br := bufio.NewReaderSize(r, initLogLine)
	lim := newLineLimiter(time.Now)
	for {
		line, err := readLine(br)
		if len(line) > 0 {
			if dropped, ok := lim.allow(); ok {
				if dropped > 0 {
					log.Warn("guest init: log lines dropped (too many)", "count", dropped)
				}
				log.Info("guest init", "line", string(line))
			}
		}
		if err != nil {
			return
		}
	}
}

// readLine reads one line of at most initLogLine bytes, without its newline;
// the rest of a longer line is read and dropped.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	out := bytes.Clone(bytes.TrimRight(line, "\n"))
	cut := 0
	for err == bufio.ErrBufferFull {
		var more []byte
		more, err = br.ReadSlice('\n')
		cut += len(bytes.TrimRight(more, "\n"))
	}
	if cut > 0 {
		out = append(out, " [cut: "+strconv.Itoa(cut)+" more bytes]"...)
	}
	return out, err
}

// lineLimiter is a token bucket of log lines.
type lineLimiter struct {
	now     func() time.Time
	tokens  float64
	last    time.Time
	dropped int
}

// newLineLimiter returns a full bucket.
func newLineLimiter(now func() time.Time) *lineLimiter {
	return &lineLimiter{now: now, tokens: initLogBurst, last: now()}
}

// allow takes a token. It returns true and the lines dropped since the last
// allowed one, or false when the bucket is empty.
func (l *lineLimiter) allow() (int, bool) {
	t := l.now()
	l.tokens = min(initLogBurst, l.tokens+t.Sub(l.last).Seconds()/initLogRefill.Seconds())
	l.last = t
	if l.tokens < 1 {
		l.dropped++
		return 0, false
	}
	l.tokens--
	dropped := l.dropped
	l.dropped = 0
	return dropped, true
}

// initStopGrace is how long an init gives its processes to end when the
// daemon stops it with grace: a fifth less, so the init exits on its own
// before the daemon's SIGKILL.
func initStopGrace(grace time.Duration) time.Duration {
	return grace - grace/5
}
