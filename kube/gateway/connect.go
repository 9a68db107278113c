package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"golang.org/x/crypto/ssh"

	"vmhost/sshgate"
)

// connect dials the agent at ep over TLS and logs in there over SSH as
// t.Login, with a user certificate for t.
func (r *Relay) connect(ctx context.Context, ep Endpoint, t sshgate.RelayTarget) (*sshgate.Backend, error) {
	nc, err := r.dialTLS(ctx, ep)
	if err != nil {
		return nil, &agentError{err: err}
	}
	be, err := r.login(ctx, nc, ep, t)
	if err != nil {
		nc.Close()
		return nil, &agentError{err: err}
	}
	return be, nil
}

// dialTLS connects to the agent at ep within the dial timeout: TLS 1.3,
// with the gateway's client certificate, verifying the agent's against the
// cluster CA for the name ep.ServerName.
func (r *Relay) dialTLS(ctx context.Context, ep Endpoint) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, r.dial)
	defer cancel()
	d := tls.Dialer{Config: r.tlsConfig(ep.ServerName)}
	nc, err := d.DialContext(ctx, "tcp", ep.Addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to agent %s at %s: %w", ep.ServerName, ep.Addr, err)
	}
	return nc, nil
}

// tlsConfig is the TLS configuration for the agent named serverName.
func (r *Relay) tlsConfig(serverName string) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{r.creds.Certificate},
		RootCAs:      r.creds.ClusterCA,
		ServerName:   serverName,
	}
}

// login runs the SSH handshake over nc within the handshake timeout, or
// until ctx ends.
func (r *Relay) login(ctx context.Context, nc net.Conn, ep Endpoint, t sshgate.RelayTarget) (*sshgate.Backend, error) {
	signer, err := signedLogin(t, r.creds.UserCA, r.now())
	if err != nil {
		return nil, err
	}
	if err := nc.SetDeadline(time.Now().Add(r.handshake)); err != nil {
		return nil, fmt.Errorf("setting the handshake deadline: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	conn, chans, reqs, err := ssh.NewClientConn(nc, ep.Addr, &ssh.ClientConfig{
		User: t.Login,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		// The agent's SSH host key is not checked: the TLS handshake
		// already authenticated the agent with a certificate of the
		// cluster CA for this node's name, and SSH runs inside it.
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		ClientVersion:   "SSH-2.0-vmhost-gateway",
	})
	if cancelled := !stop(); cancelled && err == nil {
		conn.Close()
		err = context.Cause(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("logging in to agent %s as %s: %w", ep.ServerName, t.Login, err)
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("clearing the handshake deadline: %w", err)
	}
	return backend(conn, chans, reqs), nil
}

// newEd25519Signer returns a fresh ed25519 key as an ssh.Signer.
func newEd25519Signer() (ssh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("making a login key: %w", err)
	}
	return ssh.NewSignerFromKey(priv)
}
