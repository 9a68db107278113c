package netplumb

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// addrGenEUI64 is IN6_ADDR_GEN_MODE_EUI64: the link-local address comes
// from the MAC address.
const addrGenEUI64 = 0

// pinLinkLocal makes the kernel derive the guest's link-local address from
// its MAC address (EUI-64) when eth0 comes up, the one address besides its
// global one that its port admits IPv6 from (see [LinkLocal]).
// Equivalent to: ip -n NS link set eth0 addrgenmode eui64
func pinLinkLocal(gh *netlink.Handle, eth0 netlink.Link) error {
	if err := gh.LinkSetIP6AddrGenMode(eth0, addrGenEUI64); err != nil {
		return fmt.Errorf("setting the guest's IPv6 link-local address mode: %w", err)
	}
	return nil
}

// configureGuest6 gives the guest's eth0 its IPv6 address ip6/64 without
// duplicate address detection, so that the address works at once (no other
// port may use it), and the default route via the gateway gw6.
// Equivalent to: ip -n NS addr replace IP6/64 dev eth0 nodad; ip -n NS -6
// route replace default via GW6 dev eth0
func configureGuest6(gh *netlink.Handle, eth0 netlink.Link, ip6, gw6 netip.Addr) error {
	addr := &netlink.Addr{IPNet: ipNet(netip.PrefixFrom(ip6, 64)), Flags: unix.IFA_F_NODAD}
	if err := gh.AddrReplace(eth0, addr); err != nil {
		return fmt.Errorf("adding address %s to the guest's eth0: %w", addr.IPNet, err)
	}
	route := &netlink.Route{
		LinkIndex: eth0.Attrs().Index,
		Dst:       &net.IPNet{IP: net.IPv6zero, Mask: net.CIDRMask(0, 128)},
		Gw:        gw6.AsSlice(),
	}
	if err := gh.RouteReplace(route); err != nil {
		return fmt.Errorf("adding the guest's IPv6 default route via %s: %w", gw6, err)
	}
	return nil
}
