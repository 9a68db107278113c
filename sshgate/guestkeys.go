package sshgate

import (
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"golang.org/x/crypto/ssh"
)

// GuestKeys gives the authorized keys a guest's root keeps in the guest
// (/root/.ssh/authorized_keys, as ssh-copy-id writes it), as on a VM.
type GuestKeys interface {
	// AuthorizedKeys returns the file's content, read safely from the
	// guest's files, or an error when the guest has none it may use. It is
	// called before authentication: it must neither start the guest nor
	// wait for it.
	AuthorizedKeys(owner, name string) ([]byte, error)
}

// guestKeyGrant looks for key in the authorized keys of the guest owner's
// guest name, for a known user whose own keys did not admit it (refusal). A
// key found there admits that one guest only: the connection is bound to the
// guest of its login name. The guest's lines go through the same parser and
// options as any (cert-authority included, the server's trusted CAs not);
// lines that do not parse are counted in one debug line, not logged one by
// one, as the guest's root writes them.
func (s *Server) guestKeyGrant(owner, name string, key ssh.PublicKey, source netip.Addr, refusal error) (Grant, error) {
	data, err := s.guestKeys.AuthorizedKeys(owner, name)
	if err != nil {
		s.log.Debug("no guest authorized keys", "guest", owner+"+"+name, "err", err)
		return Grant{}, refusal
	}
	via := fmt.Sprintf("guest %s+%s /root/.ssh/authorized_keys", owner, name)
	skipped := 0
	lines := parseKeyFile(data, via, func(int, error) { skipped++ })
	if skipped > 0 {
		s.log.Debug("skipped guest authorized keys lines", "guest", owner+"+"+name, "lines", skipped)
	}
	k := &KeyStore{log: slog.New(slog.DiscardHandler), now: time.Now}
	g, err := k.match(owner, key, lines, func() []keyLine { return nil }, source)
	if err != nil {
		return Grant{}, fmt.Errorf("%w; %w", refusal, err)
	}
	g.FromGuest = true
	return g, nil
}
