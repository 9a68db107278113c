package netplumb

import (
	"fmt"
	"net/netip"
)

// hostNet is a network the host already uses: an address's network or a
// route's destination, and the interface it is on ("" for none).
type hostNet struct {
	Kind   string // "address" or "route"
	Prefix netip.Prefix
	Iface  string
}

// String reads like "route 10.0.0.0/8 dev eth1".
func (h hostNet) String() string {
	if h.Iface == "" {
		return fmt.Sprintf("%s %s", h.Kind, h.Prefix)
	}
	return fmt.Sprintf("%s %s dev %s", h.Kind, h.Prefix, h.Iface)
}

// checkOverlap returns an error naming the first of nets that overlaps subnet,
// an IPv4 or IPv6 one, ignoring the default routes and everything on the
// daemon's own bridge.
func checkOverlap(subnet netip.Prefix, nets []hostNet, bridge string) error {
	key := "network.subnet"
	if subnet.Addr().Is6() {
		key = "network.subnet6"
	}
	for _, h := range nets {
		if h.Iface == bridge || h.Prefix.Bits() == 0 || h.Prefix.Addr().Is4() != subnet.Addr().Is4() {
			continue
		}
		if h.Prefix.Overlaps(subnet) {
			return fmt.Errorf("subnet %s overlaps %s already on this host; pick a %s that no interface or route of the host uses, or remove that network",
				subnet, h, key)
		}
	}
	return nil
}
