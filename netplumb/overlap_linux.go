package netplumb

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// hostNets lists the IPv4 and IPv6 networks of the host's addresses and of
// its main routing table. Equivalent to: ip addr; ip route; ip -6 route
func hostNets(h *netlink.Handle) ([]hostNet, error) {
	links, err := dump(h.LinkList)
	if err != nil {
		return nil, fmt.Errorf("listing links: %w", err)
	}
	names := make(map[int]string, len(links))
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	addrs, err := dump(func() ([]netlink.Addr, error) { return h.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, fmt.Errorf("listing addresses: %w", err)
	}
	var nets []hostNet
	for _, a := range addrs {
		if p, ok := prefixOf(a.IPNet); ok {
			nets = append(nets, hostNet{"address", p.Masked(), names[a.LinkIndex]})
		}
	}
	routes, err := dump(func() ([]netlink.Route, error) { return h.RouteList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, fmt.Errorf("listing routes: %w", err)
	}
	for _, r := range routes {
		if p, ok := prefixOf(r.Dst); ok {
			nets = append(nets, hostNet{"route", p.Masked(), names[r.LinkIndex]})
		}
	}
	return nets, nil
}

// prefixOf converts a net.IPNet, IPv4 or IPv6; nil is not one.
func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	ip := n.IP
	if ip4 := ip.To4(); ip4 != nil {
		ip = ip4
	}
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Prefix{}, false
	}
	bits, _ := n.Mask.Size()
	return netip.PrefixFrom(a, bits), true
}
