package netplumb

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"

	"github.com/vishvananda/netlink"
)

// ensureBridge makes the bridge exist, hold the gateway address and nothing
// else of IPv4, have the IPv6 gateway address of subnet6 (see
// [ensureBridge6]) or no IPv6 when subnet6 is the zero Prefix, and be up. It
// changes nothing that is already so, and returns the bridge.
func ensureBridge(h *netlink.Handle, name string, subnet, subnet6 netip.Prefix) (netlink.Link, error) {
	br, err := findBridge(h, name)
	if err != nil {
		return nil, err
	}
	if br == nil {
		if br, err = addBridge(h, name); err != nil {
			return nil, err
		}
	}
	if err := ensureBridge6(h, br, subnet6); err != nil {
		return nil, err
	}
	if err := setBridgeAddr(h, br, subnet); err != nil {
		return nil, err
	}
	// Equivalent to: ip link set NAME up
	if err := h.LinkSetUp(br); err != nil {
		return nil, fmt.Errorf("bringing bridge %s up: %w", name, err)
	}
	return br, nil
}

// findBridge returns the bridge called name, nil if there is no link of that
// name, and an error if the link is not a bridge.
// Equivalent to: ip -d link show NAME
func findBridge(h *netlink.Handle, name string) (netlink.Link, error) {
	l, err := h.LinkByName(name)
	var nf netlink.LinkNotFoundError
	switch {
	case errors.As(err, &nf):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("looking for bridge %s: %w", name, err)
	case l.Type() != "bridge":
		return nil, fmt.Errorf("interface %s exists and is a %s, not a bridge; pick another network.bridge", name, l.Type())
	}
	return l, nil
}

// addBridge creates the bridge with a fixed MAC address derived from its name,
// so that the gateway's MAC does not change as guests come and go (a bridge
// otherwise takes the lowest MAC of its ports), and marks it as vmhost's.
// Equivalent to: ip link add NAME address MAC type bridge; ip link set NAME alias "vmhost guest bridge"
func addBridge(h *netlink.Handle, name string) (netlink.Link, error) {
	attrs := netlink.NewLinkAttrs()
	attrs.Name = name
	attrs.HardwareAddr = bridgeMAC(name)
	if err := h.LinkAdd(&netlink.Bridge{LinkAttrs: attrs}); err != nil {
		return nil, fmt.Errorf("creating bridge %s: %w", name, err)
	}
	l, err := h.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("looking for bridge %s: %w", name, err)
	}
	return l, markBridge(h, l)
}

// setBridgeAddr gives the bridge the gateway address with the subnet's prefix
// and removes any other IPv4 address, such as one from an older subnet.
// Equivalent to: ip addr replace GATEWAY/BITS dev NAME; ip addr del OLD dev NAME
func setBridgeAddr(h *netlink.Handle, br netlink.Link, subnet netip.Prefix) error {
	want := netip.PrefixFrom(Gateway(subnet), subnet.Bits())
	addrs, err := dump(func() ([]netlink.Addr, error) { return h.AddrList(br, netlink.FAMILY_V4) })
	if err != nil {
		return fmt.Errorf("listing addresses of %s: %w", br.Attrs().Name, err)
	}
	for _, a := range addrs {
		if p, _ := prefixOf(a.IPNet); p != want {
			if err := h.AddrDel(br, &a); err != nil {
				return fmt.Errorf("removing old address %s from %s: %w", a.IPNet, br.Attrs().Name, err)
			}
		}
	}
	addr := &netlink.Addr{IPNet: ipNet(want)}
	if err := h.AddrReplace(br, addr); err != nil {
		return fmt.Errorf("adding address %s to %s: %w", want, br.Attrs().Name, err)
	}
	return nil
}

// deleteBridge deletes the bridge and every link plugged into it; a missing
// bridge is not an error.
// Equivalent to: ip link del VETH (each port); ip link del NAME
func deleteBridge(h *netlink.Handle, name string) error {
	br, err := findBridge(h, name)
	if err != nil || br == nil {
		return err
	}
	links, err := dump(h.LinkList)
	if err != nil {
		return fmt.Errorf("listing links: %w", err)
	}
	for _, l := range links {
		if l.Attrs().MasterIndex == br.Attrs().Index && l.Type() == "veth" {
			if err := h.LinkDel(l); err != nil && !isNotFound(err) {
				return fmt.Errorf("deleting %s from bridge %s: %w", l.Attrs().Name, name, err)
			}
		}
	}
	if err := h.LinkDel(br); err != nil && !isNotFound(err) {
		return fmt.Errorf("deleting bridge %s: %w", name, err)
	}
	return nil
}

// enableRouteLocalnet lets packets from 127.0.0.1 be routed out of the bridge,
// which published ports reached on 127.0.0.1 need.
// Equivalent to: sysctl -w net.ipv4.conf.NAME.route_localnet=1
func enableRouteLocalnet(bridge string) error {
	return setSysctl(filepath.Join("ipv4/conf", bridge, "route_localnet"), "1")
}

// strictReversePath drops what arrives on the bridge from a source that is not
// routed back through it, the kernel's check behind the port filters.
// Equivalent to: sysctl -w net.ipv4.conf.NAME.rp_filter=1
func strictReversePath(bridge string) error {
	return setSysctl(filepath.Join("ipv4/conf", bridge, "rp_filter"), "1")
}

// ipNet converts a prefix, keeping its address.
func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
