// Package gateway is the cluster side of the SSH gateway (vmhost-kube
// gateway): the sshgate.Relay that carries an authenticated login to the
// agent of the node its guest runs on. A Locator finds (and starts) the
// guest; the relay then connects to that node's agent over mutually
// authenticated TLS, verifying the agent against the cluster CA, and logs in
// over SSH inside it with a short-lived user certificate, signed by the
// gateways' user CA, that names the owner and carries the login key's
// restrictions.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/crypto/ssh"

	"vmhost/sshgate"
)

// Defaults for Options.
const (
	// DefaultDialTimeout bounds the TCP connection and TLS handshake to an
	// agent.
	DefaultDialTimeout = 10 * time.Second
	// DefaultHandshakeTimeout bounds the SSH handshake and authentication
	// with an agent.
	DefaultHandshakeTimeout = 15 * time.Second
)

// Locator finds the node a guest runs on.
type Locator interface {
	// Locate returns the endpoint of the agent that serves owner's guest,
	// starting the guest if it is not running and waiting until it is,
	// writing to progress what the user should see meanwhile. Its errors
	// are shown to the user: they say what is wrong (a guest that does not
	// fit: Pending with the scheduler's reason) and what to do.
	Locate(ctx context.Context, owner, guest string, progress io.Writer) (Endpoint, error)
}

// Endpoint is where a node's agent listens for gateways.
type Endpoint struct {
	Addr       string // host:port of the agent's cluster listener
	ServerName string // the name its TLS certificate must carry: the node's name
}

// Options configure a Relay.
type Options struct {
	// Locator finds the guest's node.
	Locator Locator
	// Credentials are the gateway's TLS and SSH credentials.
	Credentials Credentials
	// DialTimeout bounds the TCP connection and TLS handshake to an agent;
	// DefaultDialTimeout when zero.
	DialTimeout time.Duration
	// HandshakeTimeout bounds the SSH handshake with an agent;
	// DefaultHandshakeTimeout when zero.
	HandshakeTimeout time.Duration
	// Now is the clock for certificates' validity; time.Now when nil.
	Now func() time.Time
}

// Relay is an sshgate.Relay to the agents of a cluster.
type Relay struct {
	locator   Locator
	creds     Credentials
	dial      time.Duration
	handshake time.Duration
	now       func() time.Time
}

var _ sshgate.Relay = (*Relay)(nil)

// New returns a Relay for opts.
func New(opts Options) (*Relay, error) {
	if opts.Locator == nil {
		return nil, errors.New("creating the gateway relay: Options.Locator is required")
	}
	if err := opts.Credentials.check(); err != nil {
		return nil, fmt.Errorf("creating the gateway relay: %w", err)
	}
	r := &Relay{locator: opts.Locator, creds: opts.Credentials, dial: opts.DialTimeout,
		handshake: opts.HandshakeTimeout, now: opts.Now}
	if r.dial <= 0 {
		r.dial = DefaultDialTimeout
	}
	if r.handshake <= 0 {
		r.handshake = DefaultHandshakeTimeout
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r, nil
}

// Dial implements sshgate.Relay: it locates the guest, then connects to
// its node's agent and logs in there as t.Login.
func (r *Relay) Dial(ctx context.Context, t sshgate.RelayTarget, progress io.Writer) (*sshgate.Backend, error) {
	ep, err := r.locator.Locate(ctx, t.Owner, t.Guest, progress)
	if err != nil {
		return nil, err
	}
	if ep.Addr == "" || ep.ServerName == "" {
		return nil, &agentError{err: fmt.Errorf("locating guest %s of %s: no agent address or name", t.Guest, t.Owner)}
	}
	return r.connect(ctx, ep, t)
}

// agentError is a failure to reach or log in to an agent: its details go
// to the log, and the user is told the guest's node does not answer.
type agentError struct{ err error }

func (e *agentError) Error() string { return e.err.Error() }
func (e *agentError) Unwrap() error { return e.err }

// UserMessage is what the user is told (see sshgate's userMessage).
func (e *agentError) UserMessage() string {
	return "the node your guest runs on does not answer; try again in a minute, and tell your administrator if it persists"
}

// backend wraps an SSH client connection as an sshgate.Backend.
func backend(conn ssh.Conn, chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request) *sshgate.Backend {
	return &sshgate.Backend{Conn: conn, Channels: chans, Requests: reqs}
}
