package netplumb

import (
	"errors"
	"fmt"
	"net/netip"
)

// ErrSubnetFull is returned by [Allocate] when every guest address of the
// subnet is taken.
var ErrSubnetFull = errors.New("subnet full")

// Gateway returns the gateway address of subnet: its first host address, which
// the bridge holds.
func Gateway(subnet netip.Prefix) netip.Addr {
	return subnet.Masked().Addr().Next()
}

// Allocate returns the lowest address of subnet that a guest may use and that
// used does not mark. It never returns the network address, the gateway or the
// broadcast address. Leases are static: the caller stores the address with the
// guest and passes every stored address in used.
func Allocate(subnet netip.Prefix, used map[netip.Addr]bool) (netip.Addr, error) {
	if err := checkSubnet(subnet); err != nil {
		return netip.Addr{}, err
	}
	last := broadcast(subnet)
	for a := Gateway(subnet).Next(); a.Less(last); a = a.Next() {
		if !used[a] {
			return a, nil
		}
	}
	n := hostCount(subnet) - 1
	return netip.Addr{}, fmt.Errorf("allocating an address in %s: all %d guest addresses are taken; remove a guest or use a larger network.subnet: %w",
		subnet, n, ErrSubnetFull)
}

// checkSubnet wants an IPv4 network address with room for a gateway and at
// least one guest.
func checkSubnet(subnet netip.Prefix) error {
	switch {
	case !subnet.IsValid() || !subnet.Addr().Is4():
		return fmt.Errorf("subnet %s is not an IPv4 subnet; write it like 10.213.0.0/16", subnet)
	case subnet.Bits() > 30:
		return fmt.Errorf("subnet %s is too small; use a prefix of /30 or shorter", subnet)
	case subnet.Masked() != subnet:
		return fmt.Errorf("subnet %s is not the first address of its network; write %s", subnet, subnet.Masked())
	}
	return nil
}

// checkGuestAddr wants ip to be an address Allocate could return.
func checkGuestAddr(subnet netip.Prefix, ip netip.Addr) error {
	if !subnet.Contains(ip) || ip == subnet.Addr() || ip == Gateway(subnet) || ip == broadcast(subnet) {
		return fmt.Errorf("address %s is not a guest address of %s; allocate one with netplumb.Allocate", ip, subnet)
	}
	return nil
}

// broadcast returns the last address of an IPv4 subnet.
func broadcast(subnet netip.Prefix) netip.Addr {
	a := subnet.Masked().Addr().As4()
	host := uint32(1)<<(32-subnet.Bits()) - 1
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// hostCount is the number of addresses of subnet minus network and broadcast.
func hostCount(subnet netip.Prefix) int {
	return 1<<(32-subnet.Bits()) - 2
}
