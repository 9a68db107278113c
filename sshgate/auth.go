package sshgate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"

	"golang.org/x/crypto/ssh"

	"vmhost/authkeys"
)

// Users decides which public keys may log in as which user, and what such
// a login may do.
type Users interface {
	// Authorize returns what key may do logged in as user, an owner name,
	// from source; or an error wrapping errNotAuthorized that says why it
	// may not log in, for the log (the client is told nothing).
	Authorize(user string, key ssh.PublicKey, source netip.Addr) (Grant, error)
}

// Grant is what an accepted key allows its connection: the restrictions of
// its authorized_keys options or certificate, and where it was found.
type Grant struct {
	authkeys.Restrictions
	// Via says which line or certificate admitted the key, for the audit
	// log.
	Via string
	// Actor is the user whose key it is when that is not the owner: a
	// teacher of the owner's class. Audit lines name them.
	Actor string
	// FromGuest says the key was found in the guest's own authorized
	// keys, which its root writes: it reaches that guest, nothing of the
	// daemon's (no :lab).
	FromGuest bool
	// Origin, when set, is who connected as the connection's peer says
	// (a gateway's certificate key ID: the user's key and address); every
	// audit line of the connection carries it.
	Origin string
}

// grantKey is the key of a connection's Grant in ssh.Permissions.ExtraData.
type grantKey struct{}

// Permission extensions set by authentication for the connection.
const (
	extOwner = "vmhost-owner"
	extGuest = "vmhost-guest"
	extKey   = "vmhost-key-fingerprint"
	extVia   = "vmhost-key-via"
	extActor = "vmhost-actor"
)

// errNotAuthorized refuses a key without saying whether the user exists.
var errNotAuthorized = errors.New("unknown user or key")

// ErrUnknownUser is the refusal of a user Users does not know; it is an
// errNotAuthorized, so the client is not told the difference.
var ErrUnknownUser = fmt.Errorf("%w: no such user", errNotAuthorized)

// authAttempt is the authentication of one connection: the ssh callbacks
// with what they need to penalize its failures.
type authAttempt struct {
	srv    *Server
	ctx    context.Context // ends with the connection
	nc     net.Conn
	source netip.Addr
	// keyOK is set when a key was accepted, so that a connection that then
	// fails (a signature that did not verify, or none sent) counts as a
	// failure.
	keyOK atomic.Bool
}

// newAuthAttempt returns the authentication state of the connection nc.
func (s *Server) newAuthAttempt(ctx context.Context, nc net.Conn) *authAttempt {
	return &authAttempt{srv: s, ctx: ctx, nc: nc, source: sourceOf(nc.RemoteAddr())}
}

// config returns the server configuration with this connection's callbacks.
func (a *authAttempt) config() *ssh.ServerConfig {
	c := *a.srv.config
	c.PublicKeyCallback = a.checkKey
	c.AuthLogCallback = a.logAuth
	return &c
}

// checkKey is the PublicKeyCallback: it accepts key when the login name is
// valid and Users authorizes the key for its owner. Nothing is created here.
func (a *authAttempt) checkKey(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	fp := ssh.FingerprintSHA256(key)
	owner, name, err := ParseLogin(meta.User())
	var grant Grant
	if err == nil {
		name = a.srv.loginGuest(owner, name)
		grant, err = a.srv.users.Authorize(owner, key, a.source)
		if err != nil && !errors.Is(err, ErrUnknownUser) && a.srv.guestKeys != nil {
			grant, err = a.srv.guestKeyGrant(owner, name, key, a.source, err)
		}
	}
	if err != nil {
		a.srv.metrics.Login(refusal(err))
		a.srv.failures.log(a.srv.audit, a.source, "login", "outcome", "refused", "user", meta.User(),
			"remote", meta.RemoteAddr().String(), "key", fp, "reason", err.Error())
		return nil, err
	}
	a.keyOK.Store(true)
	return &ssh.Permissions{
		Extensions: map[string]string{extOwner: owner, extGuest: name, extKey: fp, extVia: grant.Via, extActor: grant.Actor},
		ExtraData:  map[any]any{grantKey{}: grant},
	}, nil
}

// keyVerified is the VerifiedPublicKeyCallback: the client proved it holds the
// accepted key, so the login succeeds.
func (s *Server) keyVerified(meta ssh.ConnMetadata, key ssh.PublicKey, perms *ssh.Permissions, _ string) (*ssh.Permissions, error) {
	s.metrics.Login(LoginAccepted)
	attrs := []any{"outcome", "accepted", "user", meta.User(),
		"owner", perms.Extensions[extOwner], "guest", perms.Extensions[extGuest],
		"remote", meta.RemoteAddr().String(), "key", perms.Extensions[extKey], "via", perms.Extensions[extVia]}
	if actor := perms.Extensions[extActor]; actor != "" {
		attrs = append(attrs, "actor", actor)
	}
	s.audit.Info("login", attrs...)
	return perms, nil
}

// logAuth is the AuthLogCallback. A refused public key counts against the
// source's allowance, and once that is spent the refusal is delayed or the
// connection closed. Other methods are always refused and not counted: the
// OpenSSH client tries "none" first.
func (a *authAttempt) logAuth(meta ssh.ConnMetadata, method string, err error) {
	if err == nil {
		return
	}
	if method != "publickey" {
		a.srv.log.Debug("auth method refused", "user", meta.User(), "remote", meta.RemoteAddr().String(),
			"method", method)
		return
	}
	a.penalize(meta, a.srv.penalties.fail(a.source))
}

// penalize applies p to the connection after a failed attempt.
func (a *authAttempt) penalize(meta ssh.ConnMetadata, p penalty) {
	a.srv.countPenalty(p)
	switch p {
	case penaltyDelay:
		a.srv.failures.log(a.srv.audit, a.source, "login", "outcome", "delayed", "user", meta.User(),
			"remote", meta.RemoteAddr().String(), "reason", "too many failed logins from this address",
			"delay", a.srv.penalties.opts.Delay)
		sleep(a.ctx, a.srv.penalties.opts.Delay)
		a.srv.penalties.done(a.source)
	case penaltyClose:
		a.srv.failures.log(a.srv.audit, a.source, "login", "outcome", "refused", "user", meta.User(),
			"remote", meta.RemoteAddr().String(), "reason", "too many failed logins from this address; connection closed")
		a.nc.Close()
	}
}

// handshakeFailed counts a connection that had a key accepted but did not
// log in: its signature did not verify, or never came.
func (a *authAttempt) handshakeFailed() {
	if a.keyOK.Load() {
		if a.srv.penalties.fail(a.source) == penaltyDelay {
			a.srv.penalties.done(a.source)
		}
	}
}
