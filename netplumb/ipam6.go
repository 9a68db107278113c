package netplumb

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
)

// Guests' IPv6 addresses need no lease state of their own: the guest at IPv4
// address ip has the address of subnet6 whose last 32 bits are ip's host part
// in the IPv4 subnet (10.213.0.2 in 10.213.0.0/16 is PREFIX::2), and the
// gateway, the bridge, is PREFIX::1 as 10.213.0.1 is the IPv4 one. Its
// link-local address is the EUI-64 one of its fixed MAC address ([GuestMAC]).

// Gateway6 returns the IPv6 gateway address of subnet6: PREFIX::1.
func Gateway6(subnet6 netip.Prefix) netip.Addr {
	return subnet6.Masked().Addr().Next()
}

// Address6 returns the IPv6 address of the guest at ip of subnet: subnet6's
// prefix followed by ip's host part in subnet.
func Address6(subnet, subnet6 netip.Prefix, ip netip.Addr) netip.Addr {
	b := subnet6.Masked().Addr().As16()
	binary.BigEndian.PutUint32(b[12:], v4(ip)&^v4mask(subnet.Bits()))
	return netip.AddrFrom16(b)
}

// LinkLocal returns the link-local address a kernel gives an interface
// with MAC address mac (EUI-64, addr_gen_mode 0): fe80::, the MAC with its
// universal/local bit flipped and ff:fe in its middle.
func LinkLocal(mac net.HardwareAddr) netip.Addr {
	b := [16]byte{0: 0xfe, 1: 0x80}
	copy(b[8:11], mac[:3])
	b[8] ^= 0x02
	b[11], b[12] = 0xff, 0xfe
	copy(b[13:], mac[3:6])
	return netip.AddrFrom16(b)
}

// address4Of returns the IPv4 address of the guest that a6 is an IPv6
// address of, its global one (of subnet6) or its link-local one, and
// whether there is such a guest address. IPv4 addresses come back as they
// are, so that a guest counts once whatever family it uses.
func address4Of(subnet, subnet6 netip.Prefix, a6 netip.Addr) (netip.Addr, bool) {
	a6 = a6.Unmap()
	if a6.Is4() {
		return a6, true
	}
	b := a6.As16()
	var ip netip.Addr
	switch {
	case subnet6.IsValid() && subnet6.Contains(a6) && binary.BigEndian.Uint32(b[8:12]) == 0:
		host := binary.BigEndian.Uint32(b[12:])
		if host&v4mask(subnet.Bits()) != 0 {
			return netip.Addr{}, false
		}
		ip = addrFrom4(v4(subnet.Masked().Addr()) | host)
	default:
		// A guest's link-local address holds the four bytes of its IPv4
		// address in its MAC.
		ip = netip.AddrFrom4([4]byte{b[10], b[13], b[14], b[15]})
		if a6.WithZone("") != LinkLocal(GuestMAC(ip)) {
			return netip.Addr{}, false
		}
	}
	return ip, checkGuestAddr(subnet, ip) == nil
}

// checkSubnet6 wants the network address of an IPv6 /64 that is neither
// link-local, multicast, loopback nor an IPv4-mapped one.
func checkSubnet6(p netip.Prefix) error {
	a := p.Addr()
	switch {
	case !p.IsValid() || !a.Is6() || a.Is4In6():
		return fmt.Errorf("subnet6 %s is not an IPv6 subnet; write it like fd12:3456:789a:1::/64", p)
	case p.Bits() != 64:
		return fmt.Errorf("subnet6 %s is not a /64; guests' IPv6 subnet is one /64", p)
	case p.Masked() != p:
		return fmt.Errorf("subnet6 %s is not the first address of its network; write %s", p, p.Masked())
	case a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsLoopback() || a.IsUnspecified():
		return fmt.Errorf("subnet6 %s is link-local, multicast or loopback; use a ULA (fd00::/8) or a global /64 routed to this host", p)
	}
	return nil
}

// v4 is an IPv4 address as a number.
func v4(ip netip.Addr) uint32 { a := ip.As4(); return binary.BigEndian.Uint32(a[:]) }

// v4mask is the netmask of an IPv4 prefix of bits.
func v4mask(bits int) uint32 { return ^uint32(0) << (32 - bits) }

// addrFrom4 is the IPv4 address v.
func addrFrom4(v uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}
