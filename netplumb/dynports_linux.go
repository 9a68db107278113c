package netplumb

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// dynEntry is a dynamic mapping made, with the guest address its rule names.
type dynEntry struct {
	m  UDPMapping
	ip netip.Addr
}

// MapUDP publishes m: UDP from m.Client to m.HostPort on any of the host's
// addresses reaches m.GuestPort of the guest's IPv4 address, and nothing
// else changes. The guest must be attached; the host port must be free (no
// other mapping, no published UDP port, no socket of the host bound to it),
// else the error is [ErrHostPortInUse]. The mapping goes with the guest's
// Detach, with [Network.UnmapUDP], and with the next Start (a daemon killed
// with mappings leaves stale rules, removed then).
// Equivalent to: iptables -t nat -A VMHOST-<bridge>-DYN -s CLIENT/32 -p udp
// -m addrtype --dst-type LOCAL --dport HOST_PORT -j DNAT --to-destination IP:GUEST_PORT
func (n *Network) MapUDP(m UDPMapping) error {
	if err := n.mapUDP(m); err != nil {
		return fmt.Errorf("publishing %s: %w", m, err)
	}
	return nil
}

func (n *Network) mapUDP(m UDPMapping) error {
	if err := checkMapping(m); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	ip, ok := n.attached[m.Guest]
	if !ok {
		return errors.New("the guest is not attached")
	}
	if _, taken := n.dyn[m.HostPort]; taken || n.cfg.staticUDP(m.HostPort) || !hostUDPFree(m.HostPort) {
		return ErrHostPortInUse
	}
	fw, err := n.firewall()
	if err != nil {
		return err
	}
	r := dynRule(n.cfg.Bridge, m, ip)
	if err := fw.t.Append(r.Table, r.Chain, r.Args...); err != nil {
		return fmt.Errorf("adding rule %v to %s: %w", r.Args, r.Chain, err)
	}
	n.dyn[m.HostPort] = dynEntry{m: m, ip: ip}
	return nil
}

// UnmapUDP removes the mapping m made by MapUDP. A mapping that is gone
// already (its guest detached), or whose host port was given to another
// mapping since, is no error and leaves that other mapping alone.
// Equivalent to: iptables -t nat -D VMHOST-<bridge>-DYN ...
func (n *Network) UnmapUDP(m UDPMapping) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	e, ok := n.dyn[m.HostPort]
	if !ok || e.m != m {
		return nil
	}
	if err := n.unmap(e); err != nil {
		return fmt.Errorf("removing %s: %w", m, err)
	}
	return nil
}

// unmap removes the rule of e. The caller holds n.mu.
func (n *Network) unmap(e dynEntry) error {
	fw, err := n.firewall()
	if err != nil {
		return err
	}
	if err := fw.remove(dynRule(n.cfg.Bridge, e.m, e.ip)); err != nil {
		return err
	}
	delete(n.dyn, e.m.HostPort)
	return nil
}

// unmapGuest removes the dynamic mappings of guestID. The caller holds
// n.mu.
func (n *Network) unmapGuest(guestID string) error {
	var errs []error
	for _, e := range n.dyn {
		if e.m.Guest == guestID {
			errs = append(errs, n.unmap(e))
		}
	}
	return errors.Join(errs...)
}

// setupDynamic makes the chain of dynamic mappings, empty (removing those
// a killed daemon left), and the jump to it, last in the DNAT chain. The
// caller holds n.mu.
func (n *Network) setupDynamic(fw *firewall) error {
	chain := dynChain(n.cfg.Bridge)
	if err := fw.t.ClearChain("nat", chain); err != nil {
		return fmt.Errorf("creating chain %s of table nat: %w", chain, err)
	}
	clear(n.dyn)
	return fw.ensure(dynJump(fw.chains, n.cfg.Bridge), false)
}

// teardownDynamic removes the chain of dynamic mappings; the DNAT chain,
// with its jump, is gone first. The caller holds n.mu.
func (n *Network) teardownDynamic(fw *firewall) error {
	chain := dynChain(n.cfg.Bridge)
	if err := fw.t.ClearAndDeleteChain("nat", chain); err != nil {
		return fmt.Errorf("deleting chain %s of table nat: %w", chain, err)
	}
	clear(n.dyn)
	return nil
}

// hostUDPFree reports whether no socket of the host is bound to UDP port
// port, by binding it a moment.
// Equivalent to: bind(socket(AF_INET, SOCK_DGRAM), 0.0.0.0:PORT)
func hostUDPFree(port uint16) bool {
	c, err := net.ListenPacket("udp4", net.JoinHostPort("0.0.0.0", strconv.Itoa(int(port))))
	if err != nil {
		return false
	}
	c.Close()
	return true
}
