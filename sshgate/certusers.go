package sshgate

import (
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"golang.org/x/crypto/ssh"
)

// CertUsers is the Users of a listener where only certificates log in, as
// the cluster agent's listener for gateways: any owner, with an SSH user
// certificate signed by a CA key of a file (read at each login, in the
// format of ssh.trusted_user_ca_keys) whose principal is the owner and
// that is valid now. Its extensions and force-command restrict the login
// as a trusted_user_ca_keys certificate's do; a plain key is refused. The
// grant's Origin is the certificate's key ID, for the audit log.
type CertUsers struct {
	k *KeyStore
}

// NewCertUsers returns a CertUsers trusting the user CA keys in caFile. A
// nil log discards logs.
func NewCertUsers(caFile string, log *slog.Logger) *CertUsers {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &CertUsers{k: &KeyStore{caFile: caFile, log: log, now: time.Now}}
}

// Authorize implements Users.
func (c *CertUsers) Authorize(user string, key ssh.PublicKey, source netip.Addr) (Grant, error) {
	cert, ok := key.(*ssh.Certificate)
	if !ok {
		return Grant{}, fmt.Errorf("%w: a plain key; only user certificates of the trusted CA log in here", errNotAuthorized)
	}
	g, err := c.k.authorizeCert(user, cert, nil, c.k.trustedCAs, source)
	if err != nil {
		return Grant{}, err
	}
	g.Origin = cert.KeyId
	return g, nil
}
