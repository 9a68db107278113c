package sshgate

import "sync/atomic"

// startups counts the connections not yet authenticated, up to a cap, as
// OpenSSH's MaxStartups does (without its random early drop).
type startups struct {
	max  int64
	open atomic.Int64
}

// newStartups returns a counter that allows max connections at once.
func newStartups(max int) *startups {
	return &startups{max: int64(max)}
}

// acquire takes a slot for a new connection; it reports false when all are
// taken.
func (s *startups) acquire() bool {
	if s.open.Add(1) > s.max {
		s.open.Add(-1)
		return false
	}
	return true
}

// release gives a slot back, once the connection is authenticated or gone.
func (s *startups) release() {
	s.open.Add(-1)
}
