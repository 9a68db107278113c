package netplumb

import (
	"net"
	"net/netip"
	"slices"
)

// The fields of IPv6 port rules. The transport header is the one after any
// extension headers, found by nf_tables; "meta l4proto" is its protocol.
const (
	ip6Plen     field = "ip6 length"
	ip6Saddr    field = "ip6 saddr"
	l4Proto     field = "meta l4proto"
	icmp6Type   field = "icmpv6 type"
	ndpTarget   field = "icmpv6 target"
	ndpFirstOpt field = "icmpv6 option"
)

// Ethertype, protocol numbers, ICMPv6 types and NDP options of the IPv6 port
// rules.
const (
	ethIPv6        = 0x86dd
	protoICMPv6    = 58
	dhcp6SPort     = 547 // the port DHCPv6 servers and relays send from
	icmp6RS        = 133 // router solicitation
	icmp6RA        = 134 // router advertisement
	icmp6NS        = 135 // neighbour solicitation
	icmp6NA        = 136 // neighbour advertisement
	icmp6Redirect  = 137
	ndpSourceLL    = 1  // source link-layer address option
	ndpTargetLL    = 2  // target link-layer address option
	ndpBareLen     = 24 // an NS or NA with no option: ICMPv6 header, reserved, target
	ndpWithLLLen   = 32 // with one link-layer address option for Ethernet
	ndpLLOptionLen = 1  // that option's length, in units of 8 bytes
)

// portRules6 returns the IPv6 rules of the port of a guest with MAC mac and
// IPv6 address ip6 (its link-local address is the EUI-64 one of mac):
//
//   - sources other than its two addresses and the unspecified address are
//     dropped;
//   - router solicitations, advertisements and redirects are dropped: no
//     guest is a router, and the host and the others never learn a route
//     from one;
//   - from the unspecified address, only duplicate address detection for
//     its own addresses (a neighbour solicitation of one of them) passes;
//   - a neighbour advertisement passes only for one of its own addresses,
//     with no option or with one target link-layer option holding its MAC;
//   - a neighbour solicitation passes only with no option or with one source
//     link-layer option holding its MAC;
//   - DHCPv6 server traffic (from udp port 547) is dropped;
//   - the rest from its two addresses passes.
func portRules6(mac net.HardwareAddr, ip6 netip.Addr) []portRule {
	ipv6 := eq(etherType, u16(ethIPv6))
	ll := LinkLocal(mac)
	own := []netip.Addr{ip6, ll}
	icmp := func(typ byte) []match {
		return []match{ipv6, eq(l4Proto, []byte{protoICMPv6}), eq(icmp6Type, []byte{typ})}
	}
	with := func(ms []match, more ...match) []match { return append(slices.Clone(ms), more...) }
	rs := []portRule{
		{[]match{ipv6, neq(ip6Saddr, ip6.AsSlice()), neq(ip6Saddr, ll.AsSlice()), neq(ip6Saddr, make([]byte, 16))}, "drop"},
		{icmp(icmp6RS), "drop"}, {icmp(icmp6RA), "drop"}, {icmp(icmp6Redirect), "drop"},
	}
	for _, a := range own {
		rs = append(rs, portRule{with(icmp(icmp6NS), eq(ip6Saddr, make([]byte, 16)), eq(ndpTarget, a.AsSlice())), "accept"})
	}
	rs = append(rs, portRule{[]match{ipv6, eq(ip6Saddr, make([]byte, 16))}, "drop"})
	for _, a := range own {
		target := eq(ndpTarget, a.AsSlice())
		rs = append(rs,
			portRule{with(icmp(icmp6NA), target, eq(ip6Plen, u16(ndpBareLen))), "accept"},
			portRule{with(icmp(icmp6NA), target, eq(ip6Plen, u16(ndpWithLLLen)), eq(ndpFirstOpt, llOption(ndpTargetLL, mac))), "accept"})
	}
	return append(rs,
		portRule{icmp(icmp6NA), "drop"},
		portRule{with(icmp(icmp6NS), eq(ip6Plen, u16(ndpBareLen))), "accept"},
		portRule{with(icmp(icmp6NS), eq(ip6Plen, u16(ndpWithLLLen)), eq(ndpFirstOpt, llOption(ndpSourceLL, mac))), "accept"},
		portRule{icmp(icmp6NS), "drop"},
		portRule{[]match{ipv6, eq(l4Proto, []byte{protoUDP}), eq(udpSport, u16(dhcp6SPort))}, "drop"},
		portRule{[]match{ipv6}, "accept"},
	)
}

// neq is a match of field with anything but value.
func neq(f field, value []byte) match { return match{Field: f, Neq: true, Value: value} }

// llOption is an NDP link-layer address option of kind with mac.
func llOption(kind byte, mac net.HardwareAddr) []byte {
	return append([]byte{kind, ndpLLOptionLen}, mac...)
}
