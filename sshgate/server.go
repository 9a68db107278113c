// Package sshgate is vmhost's SSH server. It authenticates users by public key
// only, maps the login name to an owner and one of the owner's guests (see
// ParseLogin), and runs login shells and commands inside that guest through
// Guests, with a pty or with pipes.
//
// Besides sessions (shells, commands and the "sftp" subsystem, served inside
// the guest), it serves what OpenSSH's toolbox needs: local and dynamic port
// forwarding (direct-tcpip) and remote forwarding (tcpip-forward) inside the
// guest's network namespace, Unix socket forwarding (streamlocal) inside the
// guest's files, agent forwarding through a socket inside the guest, and many
// sessions per connection. Connections get OpenSSH's hygiene: a cap on
// connections not yet authenticated (MaxStartups), a login grace time, a
// per-source penalty for failed authentication, server keepalives and an
// idle timeout. An audit log records every login, session, forward and file
// transfer. X11 forwarding is refused. For mosh, the UDP port a session's
// mosh-server reports is published to the client's address alone, for as
// long as the guest has it bound (see MoshOptions).
package sshgate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"vmhost/fdbudget"
)

// Defaults for Options.
const (
	DefaultLoginGraceTime    = 30 * time.Second
	DefaultMaxAuthTries      = 6
	DefaultMaxSessions       = 10
	DefaultMaxStartups       = 100
	DefaultKeepaliveCountMax = 3
	// DefaultMaxForwards bounds the remote forward listeners of a connection.
	DefaultMaxForwards = 32
	// DefaultMaxForwardChannels bounds the forwarded connections open at
	// once on a connection.
	DefaultMaxForwardChannels = 256
	// DefaultMaxConnectionsPerUser bounds the connections of one user.
	DefaultMaxConnectionsPerUser = 32
)

// errServerStopped is the cause of every connection's end when Serve's
// context is cancelled.
var errServerStopped = errors.New("server stopped")

// Options configure a Server.
type Options struct {
	// HostKeyDir holds the host keys, one per HostKeyFiles, each created on
	// first start (see LoadOrCreateHostKeys).
	HostKeyDir string
	// HostCertificates are host certificate files to offer with the host
	// keys they certify, as sshd's HostCertificate (see
	// LoadHostCertificates).
	HostCertificates []string
	// Users decides which keys may log in as which user.
	Users Users
	// GuestKeys, when set, also admits to a guest of a known user the keys
	// in that guest's own /root/.ssh/authorized_keys.
	GuestKeys GuestKeys
	// Guests opens the guest that a login goes to.
	Guests Guests
	// Logins maps logins to guests and says when owners may log in; nil:
	// a login reaches the guest it names, at any time.
	Logins Logins
	// Labs runs :lab and :check; nil runs them as any command.
	Labs Labs
	// Logger receives authentication, connection and session logs; nil
	// discards them.
	Logger *slog.Logger
	// LoginGraceTime bounds the handshake and authentication of a connection;
	// DefaultLoginGraceTime when zero.
	LoginGraceTime time.Duration
	// MaxAuthTries bounds the authentication attempts of a connection;
	// DefaultMaxAuthTries when zero.
	MaxAuthTries int
	// MaxSessions bounds the session channels open at once on one
	// connection, as OpenSSH's MaxSessions does; DefaultMaxSessions when zero.
	MaxSessions int
	// MaxStartups bounds the connections not yet authenticated; a connection
	// beyond it is closed at once, as with OpenSSH's MaxStartups.
	// DefaultMaxStartups when zero.
	MaxStartups int
	// PerSourceMaxStartups bounds the connections not yet authenticated
	// from one source (an IPv4 address, an IPv6 /64), as OpenSSH's
	// PerSourceMaxStartups does; a third of MaxStartups when zero.
	PerSourceMaxStartups int
	// StartupsDropStart and StartupsDropRate are the start and rate of
	// OpenSSH's MaxStartups start:rate:full: from StartupsDropStart
	// connections not yet authenticated, a new one is closed with a chance
	// of StartupsDropRate percent, rising to 100% at MaxStartups. Half of
	// MaxStartups and DefaultStartupsDropRate when zero.
	StartupsDropStart int
	// StartupsDropRate is the chance of a drop at StartupsDropStart, in
	// percent.
	StartupsDropRate int
	// KeepaliveInterval is how often the server checks that an idle client is
	// still there (keepalive@openssh.com, like OpenSSH's
	// ClientAliveInterval); zero sends none.
	KeepaliveInterval time.Duration
	// KeepaliveCountMax is how many keepalives may go unanswered before the
	// connection is closed; DefaultKeepaliveCountMax when zero.
	KeepaliveCountMax int
	// IdleTimeout closes a connection whose channels carried no data for
	// that long; zero never does.
	IdleTimeout time.Duration
	// Forwarding says which kinds of forwarding are refused.
	Forwarding Forwarding
	// Penalty limits failed authentication per source address.
	Penalty PenaltyOptions
	// Tracker, when set, is told of every authenticated connection.
	Tracker Tracker
	// MaxForwards bounds the remote forward listeners (tcpip-forward and
	// streamlocal-forward) of one connection; DefaultMaxForwards when zero.
	MaxForwards int
	// MaxForwardChannels bounds the forwarded connections open at once on
	// one connection: direct-tcpip and direct-streamlocal channels, and
	// connections accepted on its remote forwards and agent socket;
	// DefaultMaxForwardChannels when zero.
	MaxForwardChannels int
	// MaxConnectionsPerUser bounds the authenticated connections of one
	// user (a guests' owner) at once; DefaultMaxConnectionsPerUser when
	// zero.
	MaxConnectionsPerUser int
	// Budget, when set, is the daemon's descriptor budget: every
	// descriptor a client makes the daemon hold (a forward's listener or
	// connection, the agent socket) is taken from it, and refused when it
	// is spent. Logins take nothing from it.
	Budget *fdbudget.Budget
	// Sessions, when set, keeps terminal sessions across dropped
	// connections (see [Sessions]); nil keeps none.
	Sessions *Sessions
	// Mosh publishes the UDP port of each mosh-server a session starts in
	// a guest, to the client's address alone; the zero value publishes none.
	Mosh MoshOptions
	// Metrics, when set, is told what the server does, to be counted.
	Metrics Metrics
	// Web makes the links of the browser terminal (":web"); nil: none.
	Web WebLinks
	// Relay, when set, relays each authenticated connection to the
	// backend it dials instead of serving it with Guests, which may then
	// be nil (see [Relay]).
	Relay Relay
}

// Forwarding refuses kinds of forwarding; the zero value allows them all.
type Forwarding struct {
	NoTCP         bool // direct-tcpip and tcpip-forward (ssh -L, -D, -W, -R)
	NoStreamlocal bool // Unix socket forwarding (ssh -L/-R with a socket path)
	NoAgent       bool // agent forwarding (ssh -A)
}

// Server is an SSH server whose sessions run inside guests.
type Server struct {
	users     Users
	guestKeys GuestKeys
	guests    Guests
	logins    Logins
	labs      Labs
	log       *slog.Logger
	audit     *slog.Logger // log with audit=true
	grace     time.Duration
	config    *ssh.ServerConfig
	limits    connLimits
	startups  *startups
	penalties *penalties
	connIDs   atomic.Uint64
	tracker   Tracker
	userConns *userConns
	refusing  *counter         // connections being refused for their user's bound
	budget    *fdbudget.Budget // nil allows everything
	failures  *failureLog
	sessions  *Sessions   // nil keeps no session
	agents    *agentLinks // with sessions: the guests' agent links
	mosh      *moshPorts  // nil publishes no mosh ports
	metrics   Metrics
	web       WebLinks // nil makes no browser links
	relay     Relay    // nil serves connections with guests
}

// New returns a Server for opts, loading or creating its host key.
func New(opts Options) (*Server, error) {
	if opts.Users == nil || (opts.Guests == nil && opts.Relay == nil) {
		return nil, errors.New("creating ssh server: Options.Users and Options.Guests (or Options.Relay) are required")
	}
	hostKeys, err := loadHostKeys(opts)
	if err != nil {
		return nil, err
	}
	s := &Server{
		users:     opts.Users,
		guestKeys: opts.GuestKeys,
		guests:    opts.Guests,
		logins:    opts.Logins,
		labs:      opts.Labs,
		log:       opts.Logger,
		grace:     opts.LoginGraceTime,
		limits:    newConnLimits(opts),
		startups: newStartups(StartupsOptions{Max: opts.MaxStartups, PerSource: opts.PerSourceMaxStartups,
			DropStart: opts.StartupsDropStart, DropRate: opts.StartupsDropRate}),
		penalties: newPenalties(opts.Penalty, time.Now),
		tracker:   opts.Tracker,
		userConns: newUserConns(orDefault(opts.MaxConnectionsPerUser, DefaultMaxConnectionsPerUser)),
		refusing:  newCounter(maxRefusing),
		budget:    opts.Budget,
		sessions:  opts.Sessions,
		metrics:   metricsOr(opts.Metrics),
		web:       opts.Web,
		relay:     opts.Relay,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = slog.New(newCleanHandler(s.log.Handler()))
	s.audit = s.log.With("audit", true)
	if s.sessions != nil {
		s.agents = newAgentLinks()
	}
	s.failures = newFailureLog(s.audit)
	s.mosh = newMoshPorts(opts.Mosh, s.log)
	if s.grace <= 0 {
		s.grace = DefaultLoginGraceTime
	}
	s.config = s.serverConfig(hostKeys, opts.MaxAuthTries)
	return s, nil
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// loadHostKeys returns the host keys of opts and the host certificates for
// them.
func loadHostKeys(opts Options) ([]ssh.Signer, error) {
	keys, err := LoadOrCreateHostKeys(opts.HostKeyDir)
	if err != nil {
		return nil, err
	}
	certs, err := LoadHostCertificates(opts.HostCertificates, keys)
	if err != nil {
		return nil, err
	}
	return append(certs, keys...), nil
}

// serverConfig returns the ssh configuration: public key authentication only,
// with the per-connection callbacks of authAttempt.config added. It offers
// every key exchange x/crypto/ssh holds safe, OpenSSH 9's
// diffie-hellman-group16-sha512 and group-exchange-sha256 included.
func (s *Server) serverConfig(hostKeys []ssh.Signer, maxTries int) *ssh.ServerConfig {
	if maxTries == 0 {
		maxTries = DefaultMaxAuthTries
	}
	c := &ssh.ServerConfig{
		Config:                    ssh.Config{KeyExchanges: ssh.SupportedAlgorithms().KeyExchanges},
		MaxAuthTries:              maxTries,
		VerifiedPublicKeyCallback: s.keyVerified,
		ServerVersion:             "SSH-2.0-vmhost",
	}
	for _, k := range hostKeys {
		c.AddHostKey(k)
	}
	return c
}

// Serve accepts connections on ln and serves each in its own goroutine. It
// returns nil when ctx is cancelled, after closing ln and every connection in
// flight. When ln fails or is closed by someone else, Serve stops accepting,
// waits for the connections in flight to end (cancel ctx to end them) and
// returns the error.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.mosh != nil {
		defer s.mosh.start()() // after every connection, removing every mosh port
	}
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
			s.accept(connCtx, &conns, nc)
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

// accept serves nc unless too many connections are not yet authenticated.
func (s *Server) accept(ctx context.Context, conns *sync.WaitGroup, nc net.Conn) {
	src := sourceOf(nc.RemoteAddr())
	if ok, reason := s.startups.acquire(src); !ok {
		s.failures.log(s.audit, src, "login", "outcome", "refused", "remote", nc.RemoteAddr().String(), "reason", reason)
		nc.Close()
		return
	}
	conns.Go(func() { s.serveConn(ctx, nc) })
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
