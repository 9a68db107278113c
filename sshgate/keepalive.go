package sshgate

import (
	"errors"
	"fmt"
	"time"
)

// errKeepalive is the cause of a connection closed because the client stopped
// answering keepalives.
var errKeepalive = errors.New("client did not answer keepalives (keepalive_count_max)")

// watch starts the connection's keepalives and idle timeout, as configured;
// both end with the connection.
func (c *conn) watch() {
	if l := c.srv.limits; l.keepalive > 0 {
		c.goSafe("keepalive", func() { c.keepalive(l.keepalive, l.keepaliveMax) })
	}
	if idle := c.srv.limits.idle; idle > 0 {
		c.goSafe("idle timeout", func() { c.idleTimeout(idle) })
	}
}

// keepalive sends keepalive@openssh.com every interval, as OpenSSH's
// ClientAliveInterval does, and closes the connection when countMax of them
// in a row went unanswered. Any answer counts: clients refuse the request.
func (c *conn) keepalive(interval time.Duration, countMax int) {
	t := time.NewTicker(interval)
	defer t.Stop()
	answered := make(chan error, 1)
	pending, missed := false, 0
	for {
		select {
		case <-c.ctx.Done():
			return
		case err := <-answered:
			if err != nil {
				return // the connection is gone
			}
			pending, missed = false, 0
		case <-t.C:
			if pending {
				if missed++; missed >= countMax {
					c.log.Info("closing connection: keepalives unanswered", "missed", missed)
					c.cancel(errKeepalive)
					return
				}
				continue
			}
			pending = true
			c.goSafe("keepalive request", func() {
				_, _, err := c.sc.SendRequest("keepalive@openssh.com", true, nil)
				answered <- err
			})
		}
	}
}

// idleTimeout closes the connection once its channels carried no data for
// idle.
func (c *conn) idleTimeout(idle time.Duration) {
	t := time.NewTimer(idle)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-t.C:
			left := idle - c.idleFor(now)
			if left <= 0 {
				c.log.Info("closing idle connection", "idle_timeout", idle)
				c.cancel(fmt.Errorf("no data for %v (idle_timeout)", idle))
				return
			}
			t.Reset(left)
		}
	}
}
