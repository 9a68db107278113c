package netplumb

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// plugGuest makes the guest's veth pair exist, with its host end named name
// on br, isolated or not, and up, and its other end the guest's eth0 with MAC
// address mac. A pair that is already so is kept as is, so a restarted daemon
// does not cut a guest's connections. It reports whether it created the pair.
func plugGuest(h, gh *netlink.Handle, br netlink.Link, name string, ns netns.NsHandle, isolate bool, mac net.HardwareAddr) (bool, error) {
	host, err := findVeth(h, gh, name)
	if err != nil {
		return false, err
	}
	created := host == nil
	if created {
		if host, err = addVeth(h, gh, name, ns, mac); err != nil {
			return false, err
		}
	}
	err = setPort(h, br, host, isolate)
	if err != nil && created {
		h.LinkDel(host)
	}
	return created, err
}

// findVeth returns the host end called name if its peer is the guest's eth0,
// nil if there is none. A stale host end whose peer is elsewhere is deleted.
// Equivalent to: ip link show NAME; ip -n NS link show eth0
func findVeth(h, gh *netlink.Handle, name string) (netlink.Link, error) {
	host, err := h.LinkByName(name)
	if isNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("looking for %s: %w", name, err)
	}
	eth0, err := gh.LinkByName(guestIface)
	if err == nil && eth0.Type() == "veth" && host.Type() == "veth" &&
		eth0.Attrs().ParentIndex == host.Attrs().Index && host.Attrs().ParentIndex == eth0.Attrs().Index {
		return host, nil
	}
	// Equivalent to: ip link del NAME
	if err := h.LinkDel(host); err != nil && !isNotFound(err) {
		return nil, fmt.Errorf("deleting stale %s: %w", name, err)
	}
	return nil, nil
}

// addVeth creates the pair with its peer directly inside the guest's network
// namespace as eth0 with MAC address mac, replacing an eth0 already there, and
// with IPv6 off on the host end (a bridge port needs no address).
// Equivalent to: ip link add NAME type veth peer name eth0 address MAC netns NS
func addVeth(h, gh *netlink.Handle, name string, ns netns.NsHandle, mac net.HardwareAddr) (netlink.Link, error) {
	if old, err := gh.LinkByName(guestIface); err == nil {
		// Equivalent to: ip -n NS link del eth0
		if err := gh.LinkDel(old); err != nil {
			return nil, fmt.Errorf("deleting the guest's old eth0: %w", err)
		}
	}
	attrs := netlink.NewLinkAttrs()
	attrs.Name = name
	veth := netlink.NewVeth(attrs)
	veth.PeerName = guestIface
	veth.PeerHardwareAddr = mac
	veth.PeerNamespace = netlink.NsFd(int(ns))
	if err := h.LinkAdd(veth); err != nil {
		return nil, fmt.Errorf("creating veth pair %s/eth0: %w", name, err)
	}
	if err := disableIPv6(name); err != nil {
		h.LinkDel(veth)
		return nil, err
	}
	return veth, nil
}

// setPort plugs the host end into the bridge, sets its isolation and brings it
// up.
// Equivalent to: ip link set NAME master BRIDGE; bridge link set dev NAME
// isolated on|off; ip link set NAME up
func setPort(h *netlink.Handle, br, host netlink.Link, isolate bool) error {
	name := host.Attrs().Name
	if host.Attrs().MasterIndex != br.Attrs().Index {
		err := h.LinkSetMasterByIndex(host, br.Attrs().Index)
		if errors.Is(err, unix.EXFULL) {
			return fmt.Errorf("plugging %s into %s, whose ports are all taken: %w", name, br.Attrs().Name, ErrBridgeFull)
		} else if err != nil {
			return fmt.Errorf("plugging %s into %s: %w", name, br.Attrs().Name, err)
		}
	}
	if err := h.LinkSetIsolated(host, isolate); err != nil {
		return fmt.Errorf("setting isolation of bridge port %s: %w", name, err)
	}
	if err := h.LinkSetUp(host); err != nil {
		return fmt.Errorf("bringing %s up: %w", name, err)
	}
	return nil
}

// configureGuest sets up the guest's side through a handle in its network
// namespace: eth0 with the guest's MAC address (its port admits no other) and
// ip in the subnet and up, lo up, and the default route via the gateway; with
// a valid subnet6 also its IPv6 side (see [configureGuest6]).
// Equivalent to: ip -n NS link set eth0 address MAC; ip -n NS addr replace
// IP/BITS dev eth0; ip -n NS link set eth0 up; ip -n NS link set lo up; ip -n
// NS route replace default via GATEWAY
func configureGuest(gh *netlink.Handle, ip netip.Addr, subnet, subnet6 netip.Prefix) error {
	eth0, err := gh.LinkByName(guestIface)
	if err != nil {
		return fmt.Errorf("looking for the guest's eth0: %w", err)
	}
	if mac := GuestMAC(ip); !bytes.Equal(eth0.Attrs().HardwareAddr, mac) {
		if err := gh.LinkSetHardwareAddr(eth0, mac); err != nil {
			return fmt.Errorf("setting the guest's MAC address %s: %w", mac, err)
		}
	}
	if subnet6.IsValid() {
		if err := pinLinkLocal(gh, eth0); err != nil {
			return err
		}
	}
	addr := &netlink.Addr{IPNet: ipNet(netip.PrefixFrom(ip, subnet.Bits()))}
	if err := gh.AddrReplace(eth0, addr); err != nil {
		return fmt.Errorf("adding address %s to the guest's eth0: %w", addr.IPNet, err)
	}
	if err := bringUp(gh, eth0); err != nil {
		return err
	}
	route := &netlink.Route{
		LinkIndex: eth0.Attrs().Index,
		Dst:       &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)},
		Gw:        Gateway(subnet).AsSlice(),
	}
	if err := gh.RouteReplace(route); err != nil {
		return fmt.Errorf("adding the guest's default route via %s: %w", Gateway(subnet), err)
	}
	if subnet6.IsValid() {
		if err := configureGuest6(gh, eth0, Address6(subnet, subnet6, ip), Gateway6(subnet6)); err != nil {
			return err
		}
	}
	return nil
}

// bringUp brings the guest's eth0 and lo up.
// Equivalent to: ip -n NS link set eth0 up; ip -n NS link set lo up
func bringUp(gh *netlink.Handle, eth0 netlink.Link) error {
	if err := gh.LinkSetUp(eth0); err != nil {
		return fmt.Errorf("bringing the guest's eth0 up: %w", err)
	}
	lo, err := gh.LinkByName("lo")
	if err == nil {
		err = gh.LinkSetUp(lo)
	}
	if err != nil {
		return fmt.Errorf("bringing the guest's lo up: %w", err)
	}
	return nil
}

// deleteLink deletes the link called name; a missing link is not an error.
// Equivalent to: ip link del NAME
func deleteLink(h *netlink.Handle, name string) error {
	l, err := h.LinkByName(name)
	if err == nil {
		err = h.LinkDel(l)
	}
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("deleting %s: %w", name, err)
	}
	return nil
}

// isNotFound reports whether err says a link does not exist.
func isNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf) || errors.Is(err, unix.ENODEV)
}
