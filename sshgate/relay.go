package sshgate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"golang.org/x/crypto/ssh"
)

// Relay carries authenticated connections to another SSH server, the
// backend that holds the guest (a node's agent, for a gateway in a
// cluster). With Options.Relay set, a connection is not served by Guests:
// once its user is authenticated, the server dials the backend for it and
// relays every channel and global request both ways (see relayLink).
type Relay interface {
	// Dial connects to the backend of the guest t names, starting it if
	// needed, and writes to progress what the user should see while they
	// wait (a pty session's terminal shows it). Its error is shown to the
	// user (see [userMessage]): it says what is wrong and what to do. The
	// backend must enforce t.Grant: the relay enforces only what it can
	// check itself (no-pty, no-port-forwarding, permitopen, permitlisten,
	// no-agent-forwarding), never a forced command.
	Dial(ctx context.Context, t RelayTarget, progress io.Writer) (*Backend, error)
}

// RelayTarget is what a Relay dials for: an authenticated login.
type RelayTarget struct {
	Login          string // the login name as the user typed it (alice, alice+web)
	Owner          string // the guest's owner
	Guest          string // the guest's name
	Grant          Grant  // what the login's key allows
	Source         netip.Addr
	KeyFingerprint string // the SHA256 fingerprint of the key that logged in
}

// Backend is an SSH client connection to a backend, as
// ssh.NewClientConn returns it: the relay owns it from Dial on, and closes
// it when the client's connection ends.
type Backend struct {
	Conn     ssh.Conn
	Channels <-chan ssh.NewChannel
	Requests <-chan *ssh.Request
}

// relayFailGrace is how long a connection whose backend could not be
// dialed stays open, so that the session the client opens is told why; a
// variable for tests.
var relayFailGrace = 10 * time.Second

// errNoBackend is the error of a Relay that returned neither a backend nor
// an error.
var errNoBackend = errors.New("the relay returned no connection to the guest")

// relayLink is the backend side of one relayed connection: the dial, then
// the backend connection once it is up.
type relayLink struct {
	c        *conn
	progress *relayProgress
	ready    chan struct{} // closed once the dial ended; then be or err is set
	be       *Backend
	err      error
}

// relay serves an authenticated connection by relaying it to the backend
// that the server's Relay dials: it returns when the client's channels end.
func (c *conn) relay(chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request) {
	l := &relayLink{c: c, progress: newRelayProgress(), ready: make(chan struct{})}
	c.goWork("relay dial", l.dial)
	c.goSafe("global requests", func() { l.serveGlobalRequests(reqs) })
	for nch := range chans {
		c.guard("channel open", func() { l.openChannel(nch) })()
	}
}

// target is what the connection's relay dials for.
func (l *relayLink) target() RelayTarget {
	c := l.c
	return RelayTarget{Login: c.sc.User(), Owner: c.owner, Guest: c.guest, Grant: c.grant,
		Source: c.source, KeyFingerprint: c.sc.Permissions.Extensions[extKey]}
}

// dial connects to the backend, then starts relaying what it sends. On
// failure, the connection ends after relayFailGrace.
func (l *relayLink) dial() {
	defer close(l.ready)
	c := l.c
	start := time.Now()
	be, err := l.connect()
	if err != nil {
		l.err = err
		c.srv.metrics.Error(ErrorSessionStart)
		c.refused("relay", "outcome", "refused", "err", err.Error())
		c.goSafe("relay failure", func() {
			sleep(c.ctx, relayFailGrace)
			c.cancel(fmt.Errorf("dialing the guest's backend: %w", err))
		})
		return
	}
	l.be = be
	c.log.Info("relay connected", "duration", time.Since(start).Round(time.Millisecond))
	context.AfterFunc(c.ctx, func() { be.Conn.Close() })
	c.goSafe("backend requests", func() { refuseBackendRequests(be.Requests) })
	c.goWork("backend channels", func() { l.serveBackendChannels(be.Channels) })
	if c.srv.limits.keepalive > 0 {
		c.goSafe("backend keepalive", func() { l.keepBackendAlive(be) })
	}
	c.goSafe("backend wait", func() {
		c.cancel(fmt.Errorf("the backend closed the connection: %w", be.Conn.Wait()))
	})
}

// connect checks that the owner may log in now and dials the backend.
func (l *relayLink) connect() (*Backend, error) {
	if err := l.c.checkLogin(); err != nil {
		return nil, err
	}
	be, err := l.c.srv.relay.Dial(l.c.ctx, l.target(), l.progress)
	if err == nil && (be == nil || be.Conn == nil) {
		err = errNoBackend
	}
	if err != nil && be != nil && be.Conn != nil {
		be.Conn.Close()
	}
	if err != nil {
		return nil, err
	}
	return be, nil
}

// backend waits for the dial and returns the backend, or why there is
// none.
func (l *relayLink) backend() (*Backend, error) {
	select {
	case <-l.ready:
	case <-l.c.ctx.Done():
		return nil, context.Cause(l.c.ctx)
	}
	if l.be == nil {
		return nil, l.err
	}
	return l.be, nil
}

// refuseBackendRequests answers every global request of the backend with
// failure, as an OpenSSH client does: its keepalives are answered so, and
// hostkeys-00@openssh.com must not reach the client, whose known hosts
// name the relay's keys, not the backend's.
func refuseBackendRequests(reqs <-chan *ssh.Request) {
	ssh.DiscardRequests(reqs)
}
