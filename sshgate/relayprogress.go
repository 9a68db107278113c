package sshgate

import (
	"bytes"
	"sync"
)

// maxRelayProgress bounds the progress text kept for a session not yet
// there to show it; more is dropped.
const maxRelayProgress = 16 << 10

// relayProgress is the writer a Relay's dial reports progress to. Writes
// never block on the client: the text is kept (within maxRelayProgress)
// and the session that shows it, the first with a terminal, copies it to
// its stderr from its own goroutine.
type relayProgress struct {
	wake chan struct{} // signalled after a write

	mu      sync.Mutex
	buf     bytes.Buffer
	claimed bool
}

// newRelayProgress returns an empty relayProgress.
func newRelayProgress() *relayProgress {
	return &relayProgress{wake: make(chan struct{}, 1)}
}

// Write implements io.Writer; it keeps p for the session that shows it.
func (p *relayProgress) Write(b []byte) (int, error) {
	p.mu.Lock()
	if room := maxRelayProgress - p.buf.Len(); room > 0 {
		p.buf.Write(b[:min(len(b), room)])
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return len(b), nil
}

// claim reports whether the caller is the first to show the progress.
func (p *relayProgress) claim() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.claimed {
		return false
	}
	p.claimed = true
	return true
}

// flushTo writes the text kept so far to ch's stderr, lines ending in CR
// LF for a terminal in raw mode.
func (p *relayProgress) flushTo(ch *meteredChannel) {
	p.mu.Lock()
	text := bytes.Clone(p.buf.Bytes())
	p.buf.Reset()
	p.mu.Unlock()
	if len(text) > 0 {
		crlfWriter{ch.Stderr()}.Write(text)
	}
}
