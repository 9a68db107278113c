package clustertest

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// UserCA is a test SSH user CA, as the gateways hold.
type UserCA struct {
	Signer ssh.Signer
	// File is the CA's public key in OpenSSH's format (cluster.user_ca).
	File string
}

// NewUserCA makes a user CA, its public key written under a test
// directory.
func NewUserCA(t testing.TB) *UserCA {
	t.Helper()
	ca := &UserCA{Signer: NewSigner(t), File: filepath.Join(t.TempDir(), "user-ca.pub")}
	if err := os.WriteFile(ca.File, ssh.MarshalAuthorizedKey(ca.Signer.PublicKey()), 0o644); err != nil {
		t.Fatal(err)
	}
	return ca
}

// NewSigner makes an ed25519 SSH key.
func NewSigner(t testing.TB) ssh.Signer {
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

// Login returns a fresh key certified for owner as a gateway does: valid
// from a minute ago for two minutes, every permit-* extension, key ID
// naming the user; edit, when set, changes the certificate before it is
// signed.
func (ca *UserCA) Login(t testing.TB, owner string, edit func(*ssh.Certificate)) ssh.Signer {
	t.Helper()
	key := NewSigner(t)
	now := time.Now()
	cert := &ssh.Certificate{
		Key: key.PublicKey(), CertType: ssh.UserCert, ValidPrincipals: []string{owner},
		KeyId:      "vmhost-gateway user=" + owner + " key=SHA256:test from=192.0.2.7:50000",
		ValidAfter: uint64(now.Add(-time.Minute).Unix()), ValidBefore: uint64(now.Add(2 * time.Minute).Unix()),
		Permissions: ssh.Permissions{Extensions: map[string]string{
			"permit-pty": "", "permit-port-forwarding": "", "permit-agent-forwarding": "", "permit-user-rc": "", "permit-X11-forwarding": "",
		}},
	}
	if edit != nil {
		edit(cert)
	}
	if err := cert.SignCert(rand.Reader, ca.Signer); err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewCertSigner(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
