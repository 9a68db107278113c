package sshgate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// connLimits are the per-connection settings of a Server.
type connLimits struct {
	maxSessions  int
	maxForwards  int
	maxChannels  int
	keepalive    time.Duration
	keepaliveMax int
	idle         time.Duration
	fwd          Forwarding
}

// newConnLimits takes the per-connection settings from opts, with defaults.
func newConnLimits(opts Options) connLimits {
	return connLimits{
		maxSessions:  orDefault(opts.MaxSessions, DefaultMaxSessions),
		maxForwards:  orDefault(opts.MaxForwards, DefaultMaxForwards),
		maxChannels:  orDefault(opts.MaxForwardChannels, DefaultMaxForwardChannels),
		keepalive:    max(opts.KeepaliveInterval, 0),
		keepaliveMax: orDefault(opts.KeepaliveCountMax, DefaultKeepaliveCountMax),
		idle:         max(opts.IdleTimeout, 0),
		fwd:          opts.Forwarding,
	}
}

// conn is one authenticated SSH connection.
type conn struct {
	srv    *Server
	sc     *ssh.ServerConn
	id     uint64
	owner  string     // the guest's owner, from the login name
	guest  string     // the guest's name, from the login name
	source netip.Addr // the client's address, for failure lines
	grant  Grant      // what the login's key allows
	log    *slog.Logger
	audit  *slog.Logger // log with audit=true
	ctx    context.Context
	cancel context.CancelCauseFunc

	work           sync.WaitGroup // sessions, forwards and listeners
	open           atomic.Int32   // session channels open
	listeners      *counter       // remote forward listeners (ssh.max_forwards)
	channels       *counter       // forwarded connections open (ssh.max_forward_channels)
	noMoreSessions atomic.Bool
	lastActive     atomic.Int64 // Unix nanoseconds of the last channel data
	accepted       time.Time    // when the connection was accepted
	firstSession   sync.Once    // observes the login latency

	agentMu   sync.Mutex // serializes making the agent socket
	linkAgent bool       // the guest's agentLink may point at this connection's socket
	linked    bool       // it was pointed here (agentLinks.add)

	mu       sync.Mutex
	remote   map[forwardKey]*remoteForward // listeners of tcpip-forward and streamlocal-forward
	agent    *agentSocket                  // set by auth-agent-req
	closing  bool                          // teardown started: no new listeners
	leftover []leftover                    // socket files to remove inside the guest at the end
}

// serveConn runs one connection from handshake to close. Its context ends
// when the client disconnects or the server stops, closing the connection.
func (s *Server) serveConn(ctx context.Context, nc net.Conn) {
	defer s.recoverConn(nc)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(errors.New("connection handler returned"))
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()

	a, accepted := s.newAuthAttempt(ctx, nc), time.Now()
	sc, chans, reqs, err := s.handshakeStartup(nc, a)
	if err != nil {
		s.metrics.Error(ErrorHandshake)
		a.handshakeFailed()
		s.failures.log(s.log, a.source, "ssh handshake failed", "remote", nc.RemoteAddr().String(), "err", err)
		nc.Close()
		return
	}
	owner := sc.Permissions.Extensions[extOwner]
	if !s.userConns.take(owner) {
		s.refuseConn(ctx, sc, chans, reqs, a.source)
		return
	}
	defer s.userConns.give(owner)
	s.metrics.Handshake(time.Since(accepted))
	c := s.newConn(ctx, cancel, sc)
	c.accepted = accepted
	defer s.track(c)()
	c.log.Info("connection opened", "client", string(sc.ClientVersion()))
	start := time.Now()
	c.watch()
	if s.relay != nil {
		c.relay(chans, reqs)
	} else {
		c.goSafe("global requests", func() { c.serveGlobalRequests(reqs) })
		c.serveChannels(chans)
	}
	cancel(fmt.Errorf("connection closed: %w", sc.Wait()))
	c.teardown()
	c.log.Info("connection closed", "cause", context.Cause(ctx).Error(), "duration", time.Since(start).Round(time.Millisecond))
}

// handshakeStartup runs the handshake of a connection counted by
// s.startups, and gives its slot back once the handshake is over, however
// it ends.
func (s *Server) handshakeStartup(nc net.Conn, a *authAttempt) (*ssh.ServerConn, <-chan ssh.NewChannel, <-chan *ssh.Request, error) {
	defer s.startups.release(a.source)
	return s.handshake(withQuickAck(nc), a.config())
}

// handshake runs the SSH handshake and authentication within the login grace
// time.
func (s *Server) handshake(nc net.Conn, config *ssh.ServerConfig) (*ssh.ServerConn, <-chan ssh.NewChannel, <-chan *ssh.Request, error) {
	if err := nc.SetDeadline(time.Now().Add(s.grace)); err != nil {
		return nil, nil, nil, fmt.Errorf("setting login deadline: %w", err)
	}
	sc, chans, reqs, err := ssh.NewServerConn(nc, config)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		sc.Close()
		return nil, nil, nil, fmt.Errorf("clearing login deadline: %w", err)
	}
	return sc, chans, reqs, nil
}

// newConn wraps an authenticated connection, taking owner and guest from the
// permissions given by the authentication callbacks.
func (s *Server) newConn(ctx context.Context, cancel context.CancelCauseFunc, sc *ssh.ServerConn) *conn {
	ext := sc.Permissions.Extensions
	grant, _ := sc.Permissions.ExtraData[grantKey{}].(Grant)
	c := &conn{srv: s, sc: sc, id: s.connIDs.Add(1), owner: ext[extOwner], guest: ext[extGuest],
		source: sourceOf(sc.RemoteAddr()), grant: grant, ctx: ctx, cancel: cancel,
		listeners: newCounter(s.limits.maxForwards), channels: newCounter(s.limits.maxChannels),
		remote: make(map[forwardKey]*remoteForward)}
	attrs := []any{"user", sc.User(), "owner", c.owner, "guest", c.guest, "remote", sc.RemoteAddr().String()}
	if grant.Actor != "" {
		attrs = append(attrs, "actor", grant.Actor)
	}
	if grant.Origin != "" {
		attrs = append(attrs, "origin", grant.Origin)
	}
	c.log = s.log.With(attrs...)
	c.audit = s.audit.With(attrs...)
	c.touch()
	return c
}

// openGuest returns the connection's guest, running.
func (c *conn) openGuest(ctx context.Context) (Guest, error) {
	if err := c.checkLogin(); err != nil {
		return nil, err
	}
	g, err := c.srv.guests.Open(ctx, c.owner, c.guest)
	if err == nil && g == nil {
		err = errNoGuest
	}
	return g, err
}

// serveChannels handles channel requests until the connection ends, each in
// a goroutine of its own.
func (c *conn) serveChannels(chans <-chan ssh.NewChannel) {
	for nch := range chans {
		c.guard("channel open", func() { c.openChannel(nch) })()
	}
}

// openChannel starts serving a new channel, or refuses it.
func (c *conn) openChannel(nch ssh.NewChannel) {
	switch t := nch.ChannelType(); t {
	case "session":
		c.acceptSession(nch, c.serveSession)
	case "direct-tcpip":
		c.acceptForward(nch, c.directTCPIP)
	case "direct-streamlocal@openssh.com":
		c.acceptForward(nch, c.directStreamlocal)
	default:
		c.log.Debug("refusing channel", "type", t)
		nch.Reject(ssh.UnknownChannelType, clip("unsupported channel type "+t, maxLogValue))
	}
}

// acceptForward starts serving a forwarding channel with serve, unless the
// connection has too many open or the daemon is short of descriptors.
func (c *conn) acceptForward(nch ssh.NewChannel, serve func(ssh.NewChannel)) {
	if err := c.takeChannel(); err != nil {
		c.refused("forward", "kind", nch.ChannelType(), "outcome", "refused", "reason", err.Error())
		nch.Reject(ssh.ResourceShortage, err.Error())
		return
	}
	c.goWork(nch.ChannelType(), func() {
		defer c.giveChannel()
		serve(nch)
	})
}

// refused writes an audit line of something the connection was refused,
// within the source's share of failure lines.
func (c *conn) refused(msg string, args ...any) {
	c.srv.failures.log(c.audit, c.source, msg, args...)
}

// acceptSession starts serve on a session channel, unless too many are
// open or the client said it wants no more: serveSession in a guest, or a
// relay's to its backend.
func (c *conn) acceptSession(nch ssh.NewChannel, serve func(ssh.NewChannel)) {
	if c.noMoreSessions.Load() {
		nch.Reject(ssh.Prohibited, "no more sessions on this connection (no-more-sessions@openssh.com)")
		return
	}
	if c.open.Add(1) > int32(c.srv.limits.maxSessions) {
		c.open.Add(-1)
		c.refused("session", "outcome", "refused", "reason", "too many sessions on this connection (max_sessions)")
		nch.Reject(ssh.ResourceShortage, "too many sessions on this connection (ssh.max_sessions)")
		return
	}
	c.goWork("session", func() {
		defer c.open.Add(-1)
		serve(nch)
	})
}

// teardown ends what the connection left: its listeners inside the guest,
// its channels' goroutines and the socket files it made in the guest.
func (c *conn) teardown() {
	c.closeListeners()
	c.work.Wait()
	c.sc.Close()
	c.unlinkAgent()
	c.removeLeftovers()
}
