package netplumb

import (
	"fmt"
	"net/netip"
)

// v6 reports whether guests get IPv6.
func (n *Network) v6() bool { return n.cfg.Subnet6.IsValid() }

// Gateway6 returns the bridge's IPv6 address, the guests' IPv6 default route
// and DNS server, or the zero Addr when guests have no IPv6.
func (n *Network) Gateway6() netip.Addr {
	if !n.v6() {
		return netip.Addr{}
	}
	return Gateway6(n.cfg.Subnet6)
}

// Address6 returns the IPv6 address of the guest at ip, or the zero Addr
// when guests have no IPv6. See [Address6].
func (n *Network) Address6(ip netip.Addr) netip.Addr {
	if !n.v6() {
		return netip.Addr{}
	}
	return Address6(n.cfg.Subnet, n.cfg.Subnet6, ip)
}

// checkOverlap6 wants no network of the host but the bridge to overlap
// Subnet6.
func (n *Network) checkOverlap6(nets []hostNet) error {
	if !n.v6() {
		return nil
	}
	return checkOverlap(n.cfg.Subnet6, nets, n.cfg.Bridge)
}

// start6 turns on IPv6 forwarding if NAT66 is on or ports are published, and
// rebuilds the daemon's ip6tables chains.
func (n *Network) start6() error {
	if !n.v6() {
		return nil
	}
	if n.cfg.NAT6 || len(n.cfg.Forwards) > 0 {
		if err := enableForwarding6(); err != nil {
			return err
		}
	}
	return n.setupFirewall6()
}

// setupFirewall6 rebuilds the daemon's ip6tables chains.
func (n *Network) setupFirewall6() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	fw, err := n.firewall6()
	if err != nil {
		return err
	}
	return fw.setup(baseRules6(fw.chains, &n.cfg))
}

// eachForward6 applies op to the IPv6 DNAT rule of each of fs, the published
// ports of the guest at ip. The caller holds n.mu.
func (n *Network) eachForward6(fs []Forward, ip netip.Addr, verb string, op func(*firewall, rule) error) error {
	if !n.v6() {
		return nil
	}
	fw, err := n.firewall6()
	if err != nil {
		return err
	}
	for _, f := range fs {
		if err := op(fw, forwardRule6(fw.chains, f, n.Address6(ip))); err != nil {
			return fmt.Errorf("%s port %d/%s over IPv6: %w", verb, f.HostPort, f.Proto, err)
		}
	}
	return nil
}

// teardown6 removes the daemon's ip6tables chains and the jumps to them. A
// host without ip6tables has none, unless the network has IPv6. The caller
// holds n.mu.
func (n *Network) teardown6() error {
	fw, err := n.firewall6()
	if err != nil {
		if n.v6() {
			return err
		}
		return nil
	}
	return fw.teardown()
}

// firewall6 returns the IPv6 firewall, finding ip6tables the first time. The
// caller holds n.mu.
func (n *Network) firewall6() (*firewall, error) {
	if n.fw6 != nil {
		return n.fw6, nil
	}
	t := n.cfg.Tables6
	if t == nil {
		var err error
		if t, err = newIP6Tables(); err != nil {
			return nil, err
		}
	}
	n.fw6 = &firewall{t: t, chains: chainsFor(n.cfg.Bridge)}
	return n.fw6, nil
}
