package sshgate

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"

	"golang.org/x/crypto/ssh"

	"vmhost/authkeys"
)

// authorizeCert decides on a user certificate: it must be signed by a CA of
// lines (a cert-authority line, whose principals= and other options apply)
// or of the trusted user CA file (whose certificates must name user), be
// valid now, name an accepted principal, and come from an address its
// source-address allows. Its extensions and force-command restrict the
// login, together with the CA line's options.
func (k *KeyStore) authorizeCert(user string, cert *ssh.Certificate, lines []keyLine, trusted func() []keyLine, source netip.Addr) (Grant, error) {
	if cert.CertType != ssh.UserCert {
		return Grant{}, fmt.Errorf("%w: a host certificate offered as a user's", errNotAuthorized)
	}
	cas := append(lines[:len(lines):len(lines)], trusted()...)
	var refusals []error
	for _, ca := range cas {
		if !ca.Options.CertAuthority || !bytes.Equal(ca.Key.Marshal(), cert.SignatureKey.Marshal()) {
			continue
		}
		g, err := k.checkCert(user, cert, ca, source)
		if err == nil {
			return g, nil
		}
		refusals = append(refusals, fmt.Errorf("certificate %q from CA %s: %w", cert.KeyId, ca.via, err))
	}
	if len(refusals) == 0 {
		refusals = append(refusals, fmt.Errorf("certificate %q: its CA %s is not trusted for %s", cert.KeyId,
			ssh.FingerprintSHA256(cert.SignatureKey), user))
	}
	return Grant{}, refused(refusals)
}

// checkCert checks cert against one CA line.
func (k *KeyStore) checkCert(user string, cert *ssh.Certificate, ca keyLine, source netip.Addr) (Grant, error) {
	if err := ca.Options.Admits(source, k.now()); err != nil {
		return Grant{}, err
	}
	principals := ca.Options.Principals
	if principals == nil {
		principals = []string{user}
	}
	i := slices.IndexFunc(principals, func(p string) bool { return slices.Contains(cert.ValidPrincipals, p) })
	if i < 0 {
		return Grant{}, fmt.Errorf("it names %q, none of %q", cert.ValidPrincipals, principals)
	}
	checker := ssh.CertChecker{
		SupportedCriticalOptions: []string{"force-command", "source-address"},
		Clock:                    k.now,
	}
	if err := checker.CheckCert(principals[i], cert); err != nil {
		return Grant{}, err
	}
	certR, err := authkeys.CertRestrictions(cert, source)
	if err != nil {
		return Grant{}, err
	}
	r, err := ca.Options.Restrict.Merge(certR)
	if err != nil {
		return Grant{}, err
	}
	return Grant{Restrictions: r, Via: fmt.Sprintf("certificate %q serial %d from CA %s", cert.KeyId, cert.Serial, ca.via)}, nil
}

// trustedCAs returns the keys of the trusted user CA file as cert-authority
// lines; options on them are refused, as sshd's TrustedUserCAKeys has none.
func (k *KeyStore) trustedCAs() []keyLine {
	if k.caFile == "" {
		return nil
	}
	data, err := readBounded(k.caFile, maxAuthorizedKeysSize)
	if err != nil {
		k.log.Warn("reading trusted user CA keys; trusting none", "err", err)
		return nil
	}
	skip := func(n int, err error) {
		k.log.Warn("skipping trusted user CA line", "file", k.caFile, "line", n, "err", err)
	}
	var cas []keyLine
	for _, l := range parseKeyFile(data, k.caFile, skip) {
		if l.HasOptions {
			k.log.Warn("skipping trusted user CA line: options are not allowed there", "line", l.via)
			continue
		}
		l.Options.CertAuthority = true
		cas = append(cas, l)
	}
	return cas
}
