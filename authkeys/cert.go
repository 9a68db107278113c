package authkeys

import (
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/crypto/ssh"
)

// CertRestrictions returns what a user certificate allows, as sshd reads it:
// each of pty, port forwarding and agent forwarding only with its permit-*
// extension, and the force-command critical option as a forced command. Its
// source-address option is checked against source. An unknown critical
// option refuses the certificate, as the protocol requires.
func CertRestrictions(cert *ssh.Certificate, source netip.Addr) (Restrictions, error) {
	r := Restrictions{
		NoPTY:             !hasExtension(cert, "permit-pty"),
		NoPortForwarding:  !hasExtension(cert, "permit-port-forwarding"),
		NoAgentForwarding: !hasExtension(cert, "permit-agent-forwarding"),
	}
	for name, value := range cert.CriticalOptions {
		switch name {
		case "force-command":
			r.Command = value
		case "source-address":
			if !matchSourceAddress(value, source) {
				return Restrictions{}, fmt.Errorf("certificate source-address %q does not allow %s", value, source)
			}
		case "verify-required":
			return Restrictions{}, fmt.Errorf("certificate critical option %q is not supported", name)
		default:
			return Restrictions{}, fmt.Errorf("certificate critical option %q is not known", name)
		}
	}
	return r, nil
}

// hasExtension reports whether cert carries the extension name.
func hasExtension(cert *ssh.Certificate, name string) bool {
	_, ok := cert.Extensions[name]
	return ok
}

// matchSourceAddress checks a certificate's source-address list: addresses
// and CIDR prefixes, comma-separated.
func matchSourceAddress(list string, source netip.Addr) bool {
	source = source.Unmap()
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil && p.Contains(source) {
			return true
		}
		if a, err := netip.ParseAddr(s); err == nil && a.Unmap() == source {
			return true
		}
	}
	return false
}
