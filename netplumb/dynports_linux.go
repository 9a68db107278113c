package netplumb

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
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

// UnmapUDP removes the mappings ms made by MapUDP, and the connection
// tracking entries of the flows that came through them (in one pass over
// the table), so that none goes on reaching the guest. A mapping that is
// gone already (its guest detached), or whose host port was given to
// another mapping since, is no error and leaves that other mapping alone.
// Equivalent to: iptables -t nat -D VMHOST-<bridge>-DYN ... for each
func (n *Network) UnmapUDP(ms ...UDPMapping) error {
	var gone []dynEntry
	var errs []error
	n.mu.Lock()
	for _, m := range ms {
		e, ok := n.dyn[m.HostPort]
		if !ok || e.m != m {
			continue
		}
		if err := n.unmap(e); err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w", m, err))
			continue
		}
		gone = append(gone, e)
	}
	n.mu.Unlock()
	n.forgetAll(gone)
	return errors.Join(errs...)
}

// flowFilter matches the flows that came through the rule of e: UDP from
// its client to its host port, DNATed to its guest.
func flowFilter(e dynEntry) (*netlink.ConntrackFilter, error) {
	f := &netlink.ConntrackFilter{}
	err := errors.Join(f.AddProtocol(unix.IPPROTO_UDP),
		f.AddIP(netlink.ConntrackOrigSrcIP, e.m.Client.AsSlice()),
		f.AddPort(netlink.ConntrackOrigDstPort, e.m.HostPort),
		f.AddIP(netlink.ConntrackReplySrcIP, e.ip.AsSlice()))
	return f, err
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

// unmapGuest removes the dynamic mappings of guestID and returns them, for
// forgetFlows once n.mu is released. The caller holds n.mu.
func (n *Network) unmapGuest(guestID string) ([]dynEntry, error) {
	var gone []dynEntry
	var errs []error
	for _, e := range n.dyn {
		if e.m.Guest != guestID {
			continue
		}
		if err := n.unmap(e); err != nil {
			errs = append(errs, err)
			continue
		}
		gone = append(gone, e)
	}
	return gone, errors.Join(errs...)
}

// forgetAll deletes the connection tracking entries of the flows that
// came through the rules of es, in one pass over the table, logging what
// fails.
// Equivalent to: conntrack -D -p udp -s CLIENT --dport HOST_PORT --reply-src GUEST_IP, for each
func (n *Network) forgetAll(es []dynEntry) {
	if len(es) == 0 {
		return
	}
	filters := make([]netlink.CustomConntrackFilter, 0, len(es))
	for _, e := range es {
		f, err := flowFilter(e)
		if err != nil {
			n.log.Warn("matching the tracked flows of a dynamic port", "mapping", e.m.String(), "err", err)
			continue
		}
		filters = append(filters, f)
	}
	if len(filters) == 0 {
		return
	}
	if _, err := netlink.ConntrackDeleteFilters(netlink.ConntrackTable, unix.AF_INET, filters...); err != nil {
		n.log.Warn("removing the tracked flows of dynamic ports", "ports", len(es), "err", err)
	}
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
	if _, err := netlink.ConntrackDeleteFilters(netlink.ConntrackTable, unix.AF_INET, staleFlows{&n.cfg}); err != nil {
		n.log.Warn("removing the tracked flows of the dynamic ports a killed daemon left", "err", err)
	}
	return fw.ensure(dynJump(fw.chains, n.cfg.Bridge), false)
}

// staleFlows matches the tracked flows that dynamic mappings make: UDP from
// outside the subnet to a host port that is not a published UDP port,
// DNATed to an address of the subnet. Those a killed daemon left go with
// its rules at the next Start.
type staleFlows struct{ cfg *Config }

// MatchConntrackFlow implements netlink.CustomConntrackFilter.
func (f staleFlows) MatchConntrackFlow(fl *netlink.ConntrackFlow) bool {
	src, ok1 := netip.AddrFromSlice(fl.Forward.SrcIP)
	dst, ok2 := netip.AddrFromSlice(fl.Forward.DstIP)
	to, ok3 := netip.AddrFromSlice(fl.Reverse.SrcIP)
	if !ok1 || !ok2 || !ok3 || fl.Forward.Protocol != unix.IPPROTO_UDP {
		return false
	}
	sub := f.cfg.Subnet
	return sub.Contains(to.Unmap()) && !sub.Contains(src.Unmap()) && dst != to && !f.cfg.staticUDP(fl.Forward.DstPort)
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
