package sshgate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// maxSessions bounds the session channels open at once on one connection, as
// OpenSSH's MaxSessions does.
const maxSessions = 10

// conn is one authenticated SSH connection.
type conn struct {
	srv   *Server
	sc    *ssh.ServerConn
	owner string // the guest's owner, from the login name
	guest string // the guest's name, from the login name
	log   *slog.Logger

	sessions sync.WaitGroup
	open     atomic.Int32 // session channels open
}

// serveConn runs one connection from handshake to close. Its context ends
// when the client disconnects or the server stops, closing the connection.
func (s *Server) serveConn(ctx context.Context, nc net.Conn) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(errors.New("connection handler returned"))
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()

	sc, chans, reqs, err := s.handshake(nc)
	if err != nil {
		s.log.Info("ssh handshake failed", "remote", nc.RemoteAddr().String(), "err", err)
		nc.Close()
		return
	}
	c := s.newConn(sc)
	c.log.Info("connection opened")
	start := time.Now()
	go ssh.DiscardRequests(reqs) // replies false to all, keepalives included
	c.serveChannels(ctx, chans)
	cancel(fmt.Errorf("connection closed: %w", sc.Wait()))
	c.sessions.Wait()
	sc.Close()
	c.log.Info("connection closed", "cause", context.Cause(ctx).Error(), "duration", time.Since(start).Round(time.Millisecond))
}

// handshake runs the SSH handshake and authentication within the login grace
// time.
func (s *Server) handshake(nc net.Conn) (*ssh.ServerConn, <-chan ssh.NewChannel, <-chan *ssh.Request, error) {
	if err := nc.SetDeadline(time.Now().Add(s.grace)); err != nil {
		return nil, nil, nil, fmt.Errorf("setting login deadline: %w", err)
	}
	sc, chans, reqs, err := ssh.NewServerConn(nc, s.config)
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
func (s *Server) newConn(sc *ssh.ServerConn) *conn {
	ext := sc.Permissions.Extensions
	c := &conn{srv: s, sc: sc, owner: ext[extOwner], guest: ext[extGuest]}
	c.log = s.log.With("user", sc.User(), "owner", c.owner, "guest", c.guest,
		"remote", sc.RemoteAddr().String())
	return c
}

// serveChannels handles channel requests until the connection ends: sessions
// are served, anything else is refused.
func (c *conn) serveChannels(ctx context.Context, chans <-chan ssh.NewChannel) {
	for nch := range chans {
		switch t := nch.ChannelType(); t {
		case "session":
			c.acceptSession(ctx, nch)
		case "direct-tcpip":
			nch.Reject(ssh.Prohibited, "port forwarding comes later")
		default:
			c.log.Debug("refusing channel", "type", t)
			nch.Reject(ssh.UnknownChannelType, "unsupported channel type "+t)
		}
	}
}

// acceptSession starts serving a session channel, unless too many are open.
func (c *conn) acceptSession(ctx context.Context, nch ssh.NewChannel) {
	if c.open.Add(1) > maxSessions {
		c.open.Add(-1)
		nch.Reject(ssh.ResourceShortage, "too many sessions on this connection")
		return
	}
	c.sessions.Go(func() {
		defer c.open.Add(-1)
		c.serveSession(ctx, nch)
	})
}
