package gateway

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"golang.org/x/crypto/ssh"

	"vmhost/sshgate"
)

// Validity of a user certificate: from a minute ago, to allow for clocks a
// little apart, for two minutes; it serves one login only.
const (
	certBackdate = time.Minute
	certLifetime = 2 * time.Minute
)

// userCertificate returns the SSH user certificate, unsigned, that logs
// t in to an agent with pub: principal the owner, and the extensions and
// critical options sshd reads (see authkeys.CertRestrictions) mirroring
// t.Grant. X11 forwarding and user rc files are permitted as no key option
// restricts them (vmhost serves neither). permitopen and permitlisten have
// no certificate form: the gateway's relay enforces them.
func userCertificate(t sshgate.RelayTarget, pub ssh.PublicKey, now time.Time) *ssh.Certificate {
	return &ssh.Certificate{
		Key:             pub,
		Serial:          randomSerial(),
		CertType:        ssh.UserCert,
		KeyId:           keyID(t),
		ValidPrincipals: []string{t.Owner},
		ValidAfter:      uint64(now.Add(-certBackdate).Unix()),
		ValidBefore:     uint64(now.Add(certLifetime).Unix()),
		Permissions:     certPermissions(t.Grant),
	}
}

// keyID names the login in the certificate, for the node's audit lines:
// the owner, the key's fingerprint, the client's address, and the teacher
// whose key it is when it is not the owner's.
func keyID(t sshgate.RelayTarget) string {
	id := fmt.Sprintf("vmhost-gateway user=%s key=%s from=%s", t.Owner, t.KeyFingerprint, t.Source)
	if t.Grant.Actor != "" {
		id += " actor=" + t.Grant.Actor
	}
	return id
}

// certPermissions returns the extensions and critical options for g.
func certPermissions(g sshgate.Grant) ssh.Permissions {
	ext := map[string]string{"permit-X11-forwarding": "", "permit-user-rc": ""}
	if !g.NoPTY {
		ext["permit-pty"] = ""
	}
	if !g.NoPortForwarding {
		ext["permit-port-forwarding"] = ""
	}
	if !g.NoAgentForwarding {
		ext["permit-agent-forwarding"] = ""
	}
	crit := map[string]string{}
	if g.Command != "" {
		crit["force-command"] = g.Command
	}
	return ssh.Permissions{CriticalOptions: crit, Extensions: ext}
}

// randomSerial returns a random certificate serial number.
func randomSerial() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:])
}

// signedLogin returns a fresh ed25519 key with a certificate for t signed
// by ca, as an ssh.Signer.
func signedLogin(t sshgate.RelayTarget, ca ssh.Signer, now time.Time) (ssh.Signer, error) {
	key, err := newEd25519Signer()
	if err != nil {
		return nil, err
	}
	cert := userCertificate(t, key.PublicKey(), now)
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		return nil, fmt.Errorf("signing the user certificate of %s: %w", t.Owner, err)
	}
	signer, err := ssh.NewCertSigner(cert, key)
	if err != nil {
		return nil, fmt.Errorf("pairing the user certificate of %s with its key: %w", t.Owner, err)
	}
	return signer, nil
}
