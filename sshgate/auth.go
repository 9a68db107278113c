package sshgate

import (
	"errors"

	"golang.org/x/crypto/ssh"
)

// Users decides which public keys may log in as which user.
type Users interface {
	// Authorized reports whether key may log in as user, an owner name.
	Authorized(user string, key ssh.PublicKey) bool
}

// Permission extensions set by authentication for the connection.
const (
	extOwner = "vmhost-owner"
	extGuest = "vmhost-guest"
	extKey   = "vmhost-key-fingerprint"
)

// errNotAuthorized refuses a key without saying whether the user exists.
var errNotAuthorized = errors.New("unknown user or key")

// checkKey is the PublicKeyCallback: it accepts key when the login name is
// valid and Users authorizes the key for its owner. Nothing is created here.
func (s *Server) checkKey(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	fp := ssh.FingerprintSHA256(key)
	log := s.log.With("user", meta.User(), "remote", meta.RemoteAddr().String(), "key", fp)
	owner, name, err := ParseLogin(meta.User())
	if err != nil {
		log.Info("ssh auth", "outcome", "refused", "reason", err.Error())
		return nil, err
	}
	if !s.users.Authorized(owner, key) {
		log.Info("ssh auth", "outcome", "refused", "reason", errNotAuthorized.Error())
		return nil, errNotAuthorized
	}
	return &ssh.Permissions{Extensions: map[string]string{
		extOwner: owner,
		extGuest: name,
		extKey:   fp,
	}}, nil
}

// keyVerified is the VerifiedPublicKeyCallback: the client proved it holds the
// accepted key, so the login succeeds.
func (s *Server) keyVerified(meta ssh.ConnMetadata, key ssh.PublicKey, perms *ssh.Permissions, _ string) (*ssh.Permissions, error) {
	s.log.Info("ssh auth", "outcome", "accepted", "user", meta.User(),
		"remote", meta.RemoteAddr().String(), "key", perms.Extensions[extKey])
	return perms, nil
}

// logAuthMethod logs attempts with methods other than public key, which are
// always refused; public key outcomes are logged by checkKey and keyVerified.
func (s *Server) logAuthMethod(meta ssh.ConnMetadata, method string, err error) {
	if method == "publickey" || err == nil {
		return
	}
	s.log.Debug("auth method refused", "user", meta.User(), "remote", meta.RemoteAddr().String(),
		"method", method)
}
