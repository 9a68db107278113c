package config

import (
	"crypto/sha256"
	"fmt"
	"net/netip"
)

// NoSubnet6 is the network.subnet6 that gives guests no IPv6.
const NoSubnet6 = "none"

// DefaultSubnet6 returns the network.subnet6 of a file that leaves it out: a
// unique local /64 (RFC 4193), fd and 40 bits of a hash of bridge and
// subnet, so that two daemons with different bridges or subnets get
// different prefixes (and a host routed to another has different IPv4
// subnets already), and a daemon gets the same one at every start.
func DefaultSubnet6(bridge, subnet string) string {
	sum := sha256.Sum256([]byte("vmhost subnet6\x00" + bridge + "\x00" + subnet))
	var a [16]byte
	a[0] = 0xfd
	copy(a[1:6], sum[:5])
	return netip.PrefixFrom(netip.AddrFrom16(a), 64).String()
}

// checkSubnet6 wants "none" or the network address of an IPv6 /64 that is
// not link-local, multicast or loopback. (Whether it overlaps a network of
// the host is checked when the network starts.)
func checkSubnet6(v *validator) {
	if msg := subnet6Problem(v.c.Network.Subnet6); msg != "" {
		v.addf("network.subnet6", "%s", msg)
	}
}

// subnet6Problem says what is wrong with a subnet6, or "".
func subnet6Problem(s string) string {
	if s == NoSubnet6 {
		return ""
	}
	p, err := netip.ParsePrefix(s)
	a := p.Addr()
	switch {
	case err != nil || !a.Is6() || a.Is4In6():
		return fmt.Sprintf("%q is not an IPv6 subnet; write a /64 like fd12:3456:789a::/64, or %s for no IPv6", s, NoSubnet6)
	case p.Bits() != 64:
		return fmt.Sprintf("%q has a /%d prefix; guests get one /64, like fd12:3456:789a::/64", s, p.Bits())
	case p.Masked() != p:
		return fmt.Sprintf("%q is not the first address of its subnet; write %s (the gateway is the first address after it)", s, p.Masked())
	case a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsLoopback() || a.IsUnspecified():
		return fmt.Sprintf("%q is link-local, multicast or loopback; use a unique local /64 (fd00::/8) or a global /64 routed to this host", s)
	}
	return ""
}

// NAT6Enabled reports whether guests reach the outside over IPv6 through
// NAT66 (the default) rather than routed.
func (c *Config) NAT6Enabled() bool {
	return c.Network.NAT6 == nil || *c.Network.NAT6
}

// Subnet6Prefix returns network.subnet6, or the zero Prefix for "none" (no
// IPv6 in guests). Validation has checked it.
func (c *Config) Subnet6Prefix() netip.Prefix {
	p, _ := netip.ParsePrefix(c.Network.Subnet6)
	return p
}
