package sshgate

import (
	"io"

	"vmhost/guest"
)

// moshTap returns the output of the session's process as the client gets
// it: for an exec session that runs mosh-server, with the port of its
// MOSH CONNECT line published (see moshFilter); else out itself.
func (s *session) moshTap(out io.Reader) io.Reader {
	ports := s.conn.srv.mosh
	s.mu.Lock()
	kind, command := s.kind, s.command
	s.mu.Unlock()
	if ports == nil || kind != "exec" || !isMoshServer(command) {
		return out
	}
	c := s.conn
	id := guest.GuestID(c.owner, c.guest)
	return newMoshFilter(out, func(port uint16) (uint16, bool) {
		return ports.publish(c.audit, id, c.source, port)
	})
}
