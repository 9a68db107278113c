package netplumb

import (
	"net/netip"
	"strconv"
)

// rule is one iptables rule: where it goes and its arguments, as they follow
// "iptables -t TABLE -A CHAIN".
type rule struct {
	Table, Chain string
	Args         []string
}

// chainRef names one chain of one table.
type chainRef struct{ Table, Chain string }

// own returns the daemon's chains, each in its table.
func (c chains) own() []chainRef {
	return []chainRef{
		{"filter", c.Forward}, {"filter", c.Input},
		{"nat", c.NAT}, {"nat", c.DNAT},
	}
}

// jumps returns the rules that send the built-in chains' traffic through ours.
// They are inserted first in their chains, once.
func (c chains) jumps() []rule {
	return []rule{
		{"filter", "FORWARD", []string{"-j", c.Forward}},
		{"filter", "INPUT", []string{"-j", c.Input}},
		{"nat", "POSTROUTING", []string{"-j", c.NAT}},
		{"nat", "PREROUTING", []string{"-j", c.DNAT}},
		{"nat", "OUTPUT", []string{"-j", c.DNAT}},
	}
}

// baseRules returns the content of the daemon's chains, apart from the DNAT
// rules of attached guests.
//
// Forwarding: traffic from the bridge with a source in the subnet is accepted
// (anything else from the bridge is spoofed and dropped), except, with
// isolation, traffic routed from the bridge back into it: a guest that routes
// to another guest through the gateway is dropped like one that tries directly.
// Traffic to the bridge is accepted when it belongs to a connection a guest
// opened or to a published port. New connections from elsewhere to guests are
// dropped when nat is on (the guests sit behind NAT, as a VM's would) and
// accepted when it is off (the subnet is routed). The host's FORWARD policy is
// left as it is.
//
// Input: from the bridge, only DNS and ping to the gateway, the published
// ports (served by the daemon's relay) and replies to the host's own
// connections reach the host; everything else is dropped, so no host service
// on any host address is reachable from a guest.
//
// Published ports: connections from guests are never DNATed; they reach the
// relay (see [relay]). The jumps from PREROUTING and OUTPUT bring the rest.
//
// Masquerade: the subnet leaving through other interfaces when nat is on; and
// connections from the host's loopback to a published port, which leave
// through the bridge (with route_localnet) and must come back.
func baseRules(c chains, cfg *Config) []rule {
	br, gw, sub := cfg.Bridge, Gateway(cfg.Subnet).String(), cfg.Subnet.String()
	rs := []rule{{"filter", c.Forward, []string{"-i", br, "!", "-s", sub, "-j", "DROP"}}}
	if cfg.Isolate {
		rs = append(rs, rule{"filter", c.Forward, []string{"-i", br, "-o", br, "-j", "DROP"}})
	}
	inbound := "ACCEPT"
	if cfg.NAT {
		inbound = "DROP"
	}
	rs = append(rs, []rule{
		{"filter", c.Forward, []string{"-i", br, "-j", "ACCEPT"}},
		{"filter", c.Forward, []string{"-o", br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"}},
		{"filter", c.Forward, []string{"-o", br, "-m", "conntrack", "--ctstate", "DNAT", "-j", "ACCEPT"}},
		{"filter", c.Forward, []string{"-o", br, "-j", inbound}},

		{"filter", c.Input, []string{"-i", br, "-d", gw, "-p", "udp", "--dport", "53", "-j", "ACCEPT"}},
		{"filter", c.Input, []string{"-i", br, "-d", gw, "-p", "tcp", "--dport", "53", "-j", "ACCEPT"}},
		{"filter", c.Input, []string{"-i", br, "-d", gw, "-p", "icmp", "--icmp-type", "echo-request", "-j", "ACCEPT"}},
	}...)
	for _, f := range cfg.Forwards {
		rs = append(rs, rule{"filter", c.Input, []string{"-i", br, "-p", f.Proto, "-m", "addrtype", "--dst-type", "LOCAL",
			"--dport", strconv.Itoa(int(f.HostPort)), "-j", "ACCEPT"}})
	}
	rs = append(rs, []rule{
		{"filter", c.Input, []string{"-i", br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"}},
		{"filter", c.Input, []string{"-i", br, "-j", "DROP"}},

		{"nat", c.DNAT, []string{"-i", br, "-j", "RETURN"}},

		{"nat", c.NAT, []string{"-s", "127.0.0.0/8", "-o", br, "-j", "MASQUERADE"}},
	}...)
	if cfg.NAT {
		rs = append(rs, rule{"nat", c.NAT, []string{"-s", sub, "!", "-o", br, "-j", "MASQUERADE"}})
	}
	return rs
}

// forwardRule returns the DNAT rule of one published port of the guest at ip:
// a connection to host_port on any of the host's own addresses, 127.0.0.1
// included, goes to ip:guest_port. The chain is reached from PREROUTING (other
// machines) and from OUTPUT (the host itself).
func forwardRule(c chains, f Forward, ip netip.Addr) rule {
	return rule{"nat", c.DNAT, []string{
		"-p", f.Proto, "-m", "addrtype", "--dst-type", "LOCAL",
		"--dport", strconv.Itoa(int(f.HostPort)),
		"-m", "comment", "--comment", "vmhost guest " + f.Guest,
		"-j", "DNAT", "--to-destination", netip.AddrPortFrom(ip, f.GuestPort).String(),
	}}
}
