package cluster

import (
	"log/slog"
	"net"
	"sync"
	"time"
)

// RefusalLog logs refused TLS handshakes, at most Burst lines a Window:
// past that, refusals are counted, and the next line logged says how many
// were not.
type RefusalLog struct {
	log    *slog.Logger
	burst  int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	start   time.Time // of the current window
	logged  int       // lines in the current window
	dropped int       // refusals not logged since the last line
}

// Default bounds of a RefusalLog.
const (
	DefaultRefusalBurst  = 10
	DefaultRefusalWindow = time.Minute
)

// NewRefusalLog returns a RefusalLog writing to log with the default
// bounds.
func NewRefusalLog(log *slog.Logger) *RefusalLog {
	return &RefusalLog{log: log, burst: DefaultRefusalBurst, window: DefaultRefusalWindow, now: time.Now}
}

// Refused logs the refusal of a handshake from remote, unless too many were
// logged lately. It is the refused function of Listen.
func (r *RefusalLog) Refused(remote net.Addr, err error) {
	dropped, ok := r.take()
	if !ok {
		return
	}
	attrs := []any{"audit", true, "remote", remote.String(), "err", err.Error()}
	if dropped > 0 {
		attrs = append(attrs, "not_logged_before", dropped)
	}
	r.log.Warn("cluster listener: TLS handshake refused", attrs...)
}

// take reports whether a line may be logged now, and how many refusals
// were not logged before it.
func (r *RefusalLog) take() (dropped int, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := r.now(); now.Sub(r.start) >= r.window {
		r.start, r.logged = now, 0
	}
	if r.logged >= r.burst {
		r.dropped++
		return 0, false
	}
	r.logged++
	dropped, r.dropped = r.dropped, 0
	return dropped, true
}
