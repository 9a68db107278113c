package sshgate

import (
	"fmt"
	"net"
	"runtime/debug"
)

// A panic in one of a connection's goroutines (a channel handler, a global
// request, a forward, a session, a listener) must end that connection, never
// the daemon: every goroutine of a connection runs its function through
// guard. A panic in the goroutine of a connection that is not yet
// authenticated is recovered by serveConn with recoverConn.

// guard returns fn wrapped so that a panic in it is recovered, logged with
// its stack, and ends the connection; what names the work for the log.
func (c *conn) guard(what string, fn func()) func() {
	return func() {
		defer c.recoverPanic(what)
		fn()
	}
}

// goSafe runs fn in a goroutine of its own, guarded.
func (c *conn) goSafe(what string, fn func()) {
	go c.guard(what, fn)()
}

// goWork runs fn in a goroutine of its own that teardown waits for, guarded.
func (c *conn) goWork(what string, fn func()) {
	c.work.Go(c.guard(what, fn))
}

// recoverPanic, deferred, turns a panic into the end of the connection.
func (c *conn) recoverPanic(what string) {
	v := recover()
	if v == nil {
		return
	}
	c.log.Error("internal error: panic in a connection; closing it", "in", what,
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	c.cancel(fmt.Errorf("internal error in %s: %v", what, v))
}

// recoverConn, deferred by serveConn, turns a panic in a connection's own
// goroutine (its handshake, its authentication callbacks) into the end of
// the connection.
func (s *Server) recoverConn(nc net.Conn) {
	v := recover()
	if v == nil {
		return
	}
	s.metrics.Error(ErrorPanic)
	s.log.Error("internal error: panic in a connection; closing it", "remote", nc.RemoteAddr().String(),
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	nc.Close()
}
