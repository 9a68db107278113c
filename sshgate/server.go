// Package sshgate is vmhost's SSH server. It authenticates users by public key
// only, maps the login name to an owner and one of the owner's guests (see
// ParseLogin), and runs login shells and commands inside that guest through
// Guests, with a pty or with pipes.
//
// Only "session" channels are served. Port forwarding, agent and X11
// forwarding and subsystems (SFTP) are refused for now; global requests are
// answered with failure.
package sshgate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// Defaults for Options.
const (
	DefaultLoginGraceTime = 30 * time.Second
	DefaultMaxAuthTries   = 6
)

// errServerStopped is the cause of every connection's end when Serve's
// context is cancelled.
var errServerStopped = errors.New("server stopped")

// Options configure a Server.
type Options struct {
	// HostKeyPath is the ed25519 host key file, created on first start (see
	// LoadOrCreateHostKey).
	HostKeyPath string
	// Users decides which keys may log in as which user.
	Users Users
	// Guests opens the guest that a login goes to.
	Guests Guests
	// Logger receives authentication, connection and session logs; nil
	// discards them.
	Logger *slog.Logger
	// LoginGraceTime bounds the handshake and authentication of a connection;
	// DefaultLoginGraceTime when zero.
	LoginGraceTime time.Duration
	// MaxAuthTries bounds the authentication attempts of a connection;
	// DefaultMaxAuthTries when zero.
	MaxAuthTries int
}

// Server is an SSH server whose sessions run inside guests.
type Server struct {
	users  Users
	guests Guests
	log    *slog.Logger
	grace  time.Duration
	config *ssh.ServerConfig
}

// New returns a Server for opts, loading or creating its host key.
func New(opts Options) (*Server, error) {
	if opts.Users == nil || opts.Guests == nil {
		return nil, errors.New("creating ssh server: Options.Users and Options.Guests are required")
	}
	signer, err := LoadOrCreateHostKey(opts.HostKeyPath)
	if err != nil {
		return nil, err
	}
	s := &Server{
		users:  opts.Users,
		guests: opts.Guests,
		log:    opts.Logger,
		grace:  opts.LoginGraceTime,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.grace <= 0 {
		s.grace = DefaultLoginGraceTime
	}
	s.config = s.serverConfig(signer, opts.MaxAuthTries)
	return s, nil
}

// serverConfig returns the ssh configuration: public key authentication only.
func (s *Server) serverConfig(hostKey ssh.Signer, maxTries int) *ssh.ServerConfig {
	if maxTries == 0 {
		maxTries = DefaultMaxAuthTries
	}
	c := &ssh.ServerConfig{
		MaxAuthTries:              maxTries,
		PublicKeyCallback:         s.checkKey,
		VerifiedPublicKeyCallback: s.keyVerified,
		AuthLogCallback:           s.logAuthMethod,
		ServerVersion:             "SSH-2.0-vmhost",
	}
	c.AddHostKey(hostKey)
	return c
}

// Serve accepts connections on ln and serves each in its own goroutine. It
// returns nil when ctx is cancelled, after closing ln and every connection in
// flight. When ln fails or is closed by someone else, Serve stops accepting,
// waits for the connections in flight to end (cancel ctx to end them) and
// returns the error.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// Connections get a context of their own so that its cause says the
	// server stopped rather than "context canceled".
	connCtx, stopConns := context.WithCancelCause(context.WithoutCancel(ctx))
	defer stopConns(errServerStopped)
	stop := context.AfterFunc(ctx, func() {
		stopConns(errServerStopped)
		ln.Close()
	})
	defer stop()

	var conns sync.WaitGroup
	defer conns.Wait()
	s.log.Info("ssh server listening", "addr", ln.Addr().String())
	for delay := time.Duration(0); ; {
		nc, err := ln.Accept()
		if err == nil {
			delay = 0
			conns.Go(func() { s.serveConn(connCtx, nc) })
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		if !isTemporary(err) {
			return fmt.Errorf("accepting ssh connections on %s: %w", ln.Addr(), err)
		}
		delay = backoff(delay)
		s.log.Warn("accepting ssh connection", "err", err, "retry_in", delay)
		sleep(ctx, delay)
	}
}

// isTemporary reports whether an Accept error is worth retrying.
func isTemporary(err error) bool {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// backoff returns the next retry delay after d: 5ms doubling up to 1s.
func backoff(d time.Duration) time.Duration {
	if d == 0 {
		return 5 * time.Millisecond
	}
	return min(2*d, time.Second)
}

// sleep waits for d or for ctx to end.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
