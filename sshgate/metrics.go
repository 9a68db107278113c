package sshgate

import (
	"errors"
	"time"
)

// Login outcomes told to Metrics.Login.
const (
	LoginAccepted    = "accepted"
	LoginRefusedKey  = "refused_key"
	LoginUnknownUser = "unknown_user"
	LoginPenalty     = "penalty"
	LoginTooMany     = "too_many_connections"
)

// Error kinds told to Metrics.Error.
const (
	ErrorHandshake    = "ssh_handshake"
	ErrorSessionStart = "session_start"
	ErrorForwardDial  = "forward_dial"
	ErrorPanic        = "panic"
)

// Metrics is told what the server does, to be counted (by the daemon's
// Prometheus metrics); its methods must be safe for concurrent use and must
// not block. Options.Metrics nil counts nothing.
type Metrics interface {
	// Login counts one authentication outcome, one of the Login*
	// constants.
	Login(outcome string)
	// Handshake observes the time from a connection's accept to its end of
	// key exchange and authentication.
	Handshake(d time.Duration)
	// LoggedIn observes the time from a connection's accept to its first
	// session's process running in the guest.
	LoggedIn(d time.Duration)
	// SessionOpened and SessionClosed count the session channels open to
	// guest id.
	SessionOpened(guestID string)
	SessionClosed(guestID string)
	// ForwardOpened and ForwardClosed count the forwarded connections open;
	// ForwardClosed adds the bytes that came from the client (in) and went
	// to it (out).
	ForwardOpened()
	ForwardClosed(in, out int64)
	// SFTP adds the bytes of one file read and written over SFTP, as the
	// SFTP server in the guest answered them.
	SFTP(read, written int64)
	// Error counts one error of kind, one of the Error* constants.
	Error(kind string)
}

// noMetrics counts nothing.
type noMetrics struct{}

// Login implements Metrics.
func (noMetrics) Login(string) {}

// Handshake implements Metrics.
func (noMetrics) Handshake(time.Duration) {}

// LoggedIn implements Metrics.
func (noMetrics) LoggedIn(time.Duration) {}

// SessionOpened implements Metrics.
func (noMetrics) SessionOpened(string) {}

// SessionClosed implements Metrics.
func (noMetrics) SessionClosed(string) {}

// ForwardOpened implements Metrics.
func (noMetrics) ForwardOpened() {}

// ForwardClosed implements Metrics.
func (noMetrics) ForwardClosed(int64, int64) {}

// SFTP implements Metrics.
func (noMetrics) SFTP(int64, int64) {}

// Error implements Metrics.
func (noMetrics) Error(string) {}

// metricsOr returns m, or what counts nothing when m is nil.
func metricsOr(m Metrics) Metrics {
	if m == nil {
		return noMetrics{}
	}
	return m
}

// refusal is the login outcome of a key refused with err.
func refusal(err error) string {
	if errors.Is(err, ErrUnknownUser) {
		return LoginUnknownUser
	}
	return LoginRefusedKey
}

// countPenalty counts a failed attempt that p delays or closes.
func (s *Server) countPenalty(p penalty) {
	if p != penaltyNone {
		s.metrics.Login(LoginPenalty)
	}
}

// loggedIn observes, once per connection, the time from its accept to
// its first session's process.
func (c *conn) loggedIn() {
	c.firstSession.Do(func() { c.srv.metrics.LoggedIn(time.Since(c.accepted)) })
}

// PreAuthConnections returns the connections accepted but not yet
// authenticated, those max_startups bounds.
func (s *Server) PreAuthConnections() int {
	s.startups.mu.Lock()
	defer s.startups.mu.Unlock()
	return s.startups.open
}

// PenalizedSources returns the source addresses whose failed logins are
// penalized now (delayed or refused): those past their allowance.
func (s *Server) PenalizedSources() int {
	return s.penalties.penalized()
}

// penalized counts the sources with less than one failure allowed now. It
// reads the buckets without refilling them.
func (p *penalties) penalized() int {
	if p.opts.Disabled {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now, n := p.now(), 0
	for _, b := range p.sources {
		if b.tokens+float64(now.Sub(b.updated))/float64(p.opts.Refill) < 1 {
			n++
		}
	}
	return n
}
