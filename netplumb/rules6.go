package netplumb

import (
	"net/netip"
	"strconv"
)

// baseRules6 returns the content of the daemon's ip6tables chains, apart
// from the DNAT rules of attached guests: the rules of [baseRules] for
// Subnet6, with ICMPv6 where IPv4 has ICMP and ARP.
//
// Input: from the bridge, only DNS and ping to the gateway, neighbour
// solicitations and advertisements (with hop limit 255, as NDP requires),
// and replies to the host's own connections (and the ICMPv6 errors related
// to them, such as packet too big) reach the host. Router solicitations and
// advertisements, redirects, MLD and everything else are dropped, so no host
// service on any host address is reachable from a guest over IPv6 either.
// Guests reach published ports over IPv4 (the relay does not listen on
// IPv6).
//
// Masquerade: Subnet6 leaving through other interfaces when NAT6 is on.
// There is no loopback rule: IPv6 never routes ::1 out of an interface, so
// the host reaches published ports over IPv6 on its other addresses.
func baseRules6(c chains, cfg *Config) []rule {
	br, gw, sub := cfg.Bridge, Gateway6(cfg.Subnet6).String(), cfg.Subnet6.String()
	rs := []rule{{"filter", c.Forward, []string{"-i", br, "!", "-s", sub, "-j", "DROP"}}}
	if cfg.Isolate {
		rs = append(rs, rule{"filter", c.Forward, []string{"-i", br, "-o", br, "-j", "DROP"}})
	}
	inbound := "ACCEPT"
	if cfg.NAT6 {
		inbound = "DROP"
	}
	icmp6 := func(typ string, more ...string) []string {
		return append([]string{"-i", br, "-p", "ipv6-icmp", "--icmpv6-type", typ}, append(more, "-j", "ACCEPT")...)
	}
	rs = append(rs, []rule{
		{"filter", c.Forward, []string{"-i", br, "-j", "ACCEPT"}},
		{"filter", c.Forward, []string{"-o", br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"}},
		{"filter", c.Forward, []string{"-o", br, "-m", "conntrack", "--ctstate", "DNAT", "-j", "ACCEPT"}},
		{"filter", c.Forward, []string{"-o", br, "-j", inbound}},

		{"filter", c.Input, []string{"-i", br, "-d", gw, "-p", "udp", "--dport", "53", "-j", "ACCEPT"}},
		{"filter", c.Input, []string{"-i", br, "-d", gw, "-p", "tcp", "--dport", "53", "-j", "ACCEPT"}},
		{"filter", c.Input, icmp6("echo-request", "-d", gw)},
		{"filter", c.Input, icmp6("neighbour-solicitation", "-m", "hl", "--hl-eq", "255")},
		{"filter", c.Input, icmp6("neighbour-advertisement", "-m", "hl", "--hl-eq", "255")},
		{"filter", c.Input, []string{"-i", br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"}},
		{"filter", c.Input, []string{"-i", br, "-j", "DROP"}},

		{"nat", c.DNAT, []string{"-i", br, "-j", "RETURN"}},
	}...)
	if cfg.NAT6 {
		rs = append(rs, rule{"nat", c.NAT, []string{"-s", sub, "!", "-o", br, "-j", "MASQUERADE"}})
	}
	return rs
}

// forwardRule6 returns the IPv6 DNAT rule of one published port of the guest
// at ip6: a connection to host_port on any of the host's own addresses but
// ::1 goes to [ip6]:guest_port.
func forwardRule6(c chains, f Forward, ip6 netip.Addr) rule {
	return rule{"nat", c.DNAT, []string{
		"-p", f.Proto, "!", "-d", "::1", "-m", "addrtype", "--dst-type", "LOCAL",
		"--dport", strconv.Itoa(int(f.HostPort)),
		"-m", "comment", "--comment", "vmhost guest " + f.Guest,
		"-j", "DNAT", "--to-destination", netip.AddrPortFrom(ip6, f.GuestPort).String(),
	}}
}
