package sshgate

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"vmhost/authkeys"
)

// newSigner makes an ed25519 signer.
func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// certFor returns a user certificate of a fresh key, signed by ca, after
// edit changes its fields.
func certFor(t *testing.T, ca ssh.Signer, edit func(*ssh.Certificate)) *ssh.Certificate {
	t.Helper()
	now := time.Now()
	c := &ssh.Certificate{
		Key: newSigner(t).PublicKey(), CertType: ssh.UserCert, KeyId: "vmhost-gateway user=alice key=SHA256:x from=192.0.2.1",
		ValidPrincipals: []string{"alice"}, ValidAfter: uint64(now.Add(-time.Minute).Unix()), ValidBefore: uint64(now.Add(time.Minute).Unix()),
		Permissions: ssh.Permissions{Extensions: map[string]string{"permit-pty": "", "permit-port-forwarding": "", "permit-agent-forwarding": ""}},
	}
	if edit != nil {
		edit(c)
	}
	if err := c.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCertUsers(t *testing.T) {
	ca, other := newSigner(t), newSigner(t)
	file := filepath.Join(t.TempDir(), "user-ca.pub")
	if err := os.WriteFile(file, append([]byte("# gateways\n"), ssh.MarshalAuthorizedKey(ca.PublicKey())...), 0o600); err != nil {
		t.Fatal(err)
	}
	users := NewCertUsers(file, newTestLogger(t))
	src := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		name string
		key  ssh.PublicKey
		want authkeys.Restrictions
		ok   bool
	}{
		{"a certificate for alice", certFor(t, ca, nil), authkeys.Restrictions{}, true},
		{"no permit-pty", certFor(t, ca, func(c *ssh.Certificate) { delete(c.Extensions, "permit-pty") }), authkeys.Restrictions{NoPTY: true}, true},
		{"force-command", certFor(t, ca, func(c *ssh.Certificate) { c.CriticalOptions = map[string]string{"force-command": "echo forced"} }),
			authkeys.Restrictions{Command: "echo forced"}, true},
		{"for bob", certFor(t, ca, func(c *ssh.Certificate) { c.ValidPrincipals = []string{"bob"} }), authkeys.Restrictions{}, false},
		{"alice among others", certFor(t, ca, func(c *ssh.Certificate) { c.ValidPrincipals = []string{"bob", "alice"} }), authkeys.Restrictions{}, true},
		{"expired", certFor(t, ca, func(c *ssh.Certificate) { c.ValidBefore = uint64(time.Now().Add(-time.Second).Unix()) }), authkeys.Restrictions{}, false},
		{"another CA", certFor(t, other, nil), authkeys.Restrictions{}, false},
		{"a host certificate", certFor(t, ca, func(c *ssh.Certificate) { c.CertType = ssh.HostCert }), authkeys.Restrictions{}, false},
		{"a plain key", newSigner(t).PublicKey(), authkeys.Restrictions{}, false},
		{"the CA's own key", ca.PublicKey(), authkeys.Restrictions{}, false},
	}
	for _, tt := range tests {
		g, err := users.Authorize("alice", tt.key, src)
		if !tt.ok {
			if err == nil || !errors.Is(err, errNotAuthorized) {
				t.Errorf("%s: Authorize = %+v, %v; want refused", tt.name, g, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Authorize: %v", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, g.Restrictions); diff != "" {
			t.Errorf("%s: restrictions (-want +got):\n%s", tt.name, diff)
		}
		if g.Origin != "vmhost-gateway user=alice key=SHA256:x from=192.0.2.1" || g.Via == "" {
			t.Errorf("%s: Origin %q, Via %q; want the key ID and the CA", tt.name, g.Origin, g.Via)
		}
	}
}
