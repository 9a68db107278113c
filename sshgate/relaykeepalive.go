package sshgate

import (
	"errors"
	"time"
)

// errBackendKeepalive is the cause of a relayed connection closed because
// its backend stopped answering keepalives.
var errBackendKeepalive = errors.New("the backend did not answer keepalives (keepalive_count_max)")

// keepBackendAlive sends the backend keepalive@openssh.com every keepalive
// interval, as to the client, and ends the connection when one goes
// unanswered for keepalive_count_max intervals: a backend on a node that
// vanished without closing its connections is noticed as a client is.
func (l *relayLink) keepBackendAlive(be *Backend) {
	interval, countMax := l.c.srv.limits.keepalive, l.c.srv.limits.keepaliveMax
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-l.c.ctx.Done():
			return
		case <-t.C:
		}
		answered := make(chan error, 1)
		l.c.goSafe("backend keepalive request", func() {
			_, _, err := be.Conn.SendRequest("keepalive@openssh.com", true, nil)
			answered <- err
		})
		select {
		case <-l.c.ctx.Done():
			return
		case err := <-answered:
			if err != nil {
				return // the backend is gone; the connection ends with it
			}
		case <-time.After(time.Duration(countMax) * interval):
			l.c.log.Info("closing connection: backend keepalives unanswered", "missed", countMax)
			l.c.cancel(errBackendKeepalive)
			return
		}
	}
}
