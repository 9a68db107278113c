package sshgate

// Tracker is told when an authenticated connection to a guest opens and
// closes, so that the daemon knows which guests are in use (for idle_stop
// and for the admin's "guest busy"). Its methods must not block.
type Tracker interface {
	// Opened is called once a connection to owner's guest name is
	// authenticated.
	Opened(owner, name string)
	// Closed is called once for every Opened, when the connection has ended.
	Closed(owner, name string)
}

// track tells the server's Tracker, if any, that c opened, and returns what
// tells it that c closed.
func (s *Server) track(c *conn) func() {
	if s.tracker == nil {
		return func() {}
	}
	s.tracker.Opened(c.owner, c.guest)
	return func() { s.tracker.Closed(c.owner, c.guest) }
}
