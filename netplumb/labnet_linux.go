package netplumb

import (
	"bytes"
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Attach plugs the guest whose network namespace is at nsPath into each
// link's segment: a veth whose end in the guest is the link's interface,
// with the MAC address [LabMAC] gives, up and with no address (the kernel
// gives it an IPv6 link-local one if the guest has IPv6 on), and whose other
// end is a port of the segment's bridge, made first if missing. Attaching a
// guest again, as a restarted guest or daemon does, repairs what is missing
// and duplicates nothing. No links is a no-op. The veths go away with the
// guest's network namespace.
func (l *LabNet) Attach(guestID string, links []LabLink, nsPath string) error {
	if len(links) == 0 {
		return nil
	}
	if err := l.attach(guestID, links, nsPath); err != nil {
		return fmt.Errorf("attaching guest %s to its lab segments: %w", guestID, err)
	}
	return nil
}

func (l *LabNet) attach(guestID string, links []LabLink, nsPath string) error {
	if err := checkLabLinks(links); err != nil {
		return err
	}
	gns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return fmt.Errorf("opening network namespace %s: %w", nsPath, err)
	}
	defer gns.Close()
	gh, err := netlink.NewHandleAt(gns, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("opening netlink in %s: %w", nsPath, err)
	}
	defer gh.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	lh, err := l.handle(true)
	if err != nil {
		return err
	}
	defer lh.Close()
	for _, link := range links {
		if err := plugLab(lh, gh, gns, guestID, link); err != nil {
			return fmt.Errorf("segment %s as %s: %w", link.Segment, link.Iface, err)
		}
		l.log.Debug("attached guest to lab segment", "guest", guestID, "segment", link.Segment, "iface", link.Iface,
			"bridge", labBridgeName(link.Segment), "port", labPortName(link.Segment, guestID))
	}
	return nil
}

// handle opens netlink in the segments' namespace, making it first when
// create is set.
func (l *LabNet) handle(create bool) (*netlink.Handle, error) {
	ns, err := l.openNetns(create)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("opening netlink in %s: %w", l.nsPath(), err)
	}
	return h, nil
}

// plugLab makes the guest's veth on link's segment exist and be up.
func plugLab(lh, gh *netlink.Handle, gns netns.NsHandle, guestID string, link LabLink) error {
	br, err := ensureLabBridge(lh, labBridgeName(link.Segment))
	if err != nil {
		return err
	}
	name, mac := labPortName(link.Segment, guestID), LabMAC(link.Segment, guestID)
	port, err := findPeer(lh, gh, name, link.Iface)
	if err == nil && port == nil {
		port, err = addLabVeth(lh, gh, gns, name, link.Iface, mac)
	}
	if err != nil {
		return err
	}
	if err := setLabPort(lh, br, port); err != nil {
		return err
	}
	return upGuestEnd(gh, link.Iface, mac)
}

// ensureLabBridge returns the bridge called name, up, making it if it is
// missing; a link of that name that is no bridge is replaced. Its
// multicast snooping is off: it keeps no table a guest could fill.
// Equivalent to: ip link add NAME type bridge mcast_snooping 0; ip link set
// NAME up
func ensureLabBridge(h *netlink.Handle, name string) (netlink.Link, error) {
	br, err := h.LinkByName(name)
	if err == nil && br.Type() != "bridge" {
		if err := h.LinkDel(br); err != nil {
			return nil, fmt.Errorf("deleting %s, no bridge: %w", name, err)
		}
		err = netlink.LinkNotFoundError{}
	}
	if isNotFound(err) {
		off := false
		attrs := netlink.NewLinkAttrs()
		attrs.Name, attrs.HardwareAddr = name, bridgeMAC(name)
		br = &netlink.Bridge{LinkAttrs: attrs, MulticastSnooping: &off}
		if err := h.LinkAdd(br); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("creating bridge %s: %w", name, err)
		}
		br, err = h.LinkByName(name)
	}
	if err != nil {
		return nil, fmt.Errorf("looking for bridge %s: %w", name, err)
	}
	if err := h.LinkSetUp(br); err != nil {
		return nil, fmt.Errorf("bringing %s up: %w", name, err)
	}
	return br, nil
}

// findPeer returns the veth called name if its peer is the guest's iface,
// nil if there is none. A stale one whose peer is elsewhere is deleted.
// Equivalent to: ip link show NAME; ip -n NS link show IFACE
func findPeer(h, gh *netlink.Handle, name, iface string) (netlink.Link, error) {
	port, err := h.LinkByName(name)
	if isNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("looking for %s: %w", name, err)
	}
	peer, err := gh.LinkByName(iface)
	if err == nil && peer.Type() == "veth" && port.Type() == "veth" &&
		peer.Attrs().ParentIndex == port.Attrs().Index && port.Attrs().ParentIndex == peer.Attrs().Index {
		return port, nil
	}
	// Equivalent to: ip link del NAME
	if err := h.LinkDel(port); err != nil && !isNotFound(err) {
		return nil, fmt.Errorf("deleting stale %s: %w", name, err)
	}
	return nil, nil
}

// addLabVeth creates the veth called name with its peer directly in the
// guest's namespace as iface with MAC address mac, replacing a link of that
// name the guest has.
// Equivalent to: ip -n NS link del IFACE; ip link add NAME type veth peer
// name IFACE address MAC netns NS
func addLabVeth(h, gh *netlink.Handle, gns netns.NsHandle, name, iface string, mac net.HardwareAddr) (netlink.Link, error) {
	if old, err := gh.LinkByName(iface); err == nil {
		if err := gh.LinkDel(old); err != nil {
			return nil, fmt.Errorf("deleting the guest's old %s: %w", iface, err)
		}
	}
	attrs := netlink.NewLinkAttrs()
	attrs.Name = name
	veth := netlink.NewVeth(attrs)
	veth.PeerName, veth.PeerHardwareAddr = iface, mac
	veth.PeerNamespace = netlink.NsFd(int(gns))
	if err := h.LinkAdd(veth); err != nil {
		return nil, fmt.Errorf("creating veth pair %s/%s: %w", name, iface, err)
	}
	port, err := h.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("looking for %s: %w", name, err)
	}
	return port, nil
}

// setLabPort plugs port into br, with learning off, and brings it up.
// Equivalent to: ip link set NAME master BRIDGE; bridge link set dev NAME
// learning off; ip link set NAME up
func setLabPort(h *netlink.Handle, br, port netlink.Link) error {
	name := port.Attrs().Name
	if port.Attrs().MasterIndex != br.Attrs().Index {
		if err := h.LinkSetMasterByIndex(port, br.Attrs().Index); err != nil {
			return fmt.Errorf("plugging %s into %s: %w", name, br.Attrs().Name, err)
		}
	}
	if err := h.LinkSetLearning(port, false); err != nil {
		return fmt.Errorf("turning learning off on %s: %w", name, err)
	}
	if err := h.LinkSetUp(port); err != nil {
		return fmt.Errorf("bringing %s up: %w", name, err)
	}
	return nil
}

// upGuestEnd gives the guest's iface its MAC address back if the guest
// changed it, and brings it up.
// Equivalent to: ip -n NS link set IFACE address MAC up
func upGuestEnd(gh *netlink.Handle, iface string, mac net.HardwareAddr) error {
	l, err := gh.LinkByName(iface)
	if err != nil {
		return fmt.Errorf("looking for the guest's %s: %w", iface, err)
	}
	if !bytes.Equal(l.Attrs().HardwareAddr, mac) {
		if err := gh.LinkSetHardwareAddr(l, mac); err != nil {
			return fmt.Errorf("setting the MAC address of the guest's %s: %w", iface, err)
		}
	}
	if err := gh.LinkSetUp(l); err != nil {
		return fmt.Errorf("bringing the guest's %s up: %w", iface, err)
	}
	return nil
}

// Prune removes every segment and every guest's place on one that keep does
// not name (a class or student gone from the configuration, a host taken off
// a link); the guests lose those interfaces at once. With nothing to keep it
// removes the namespace as [LabNet.Teardown] does.
func (l *LabNet) Prune(keep []LabPort) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(keep) == 0 {
		return l.teardown()
	}
	lh, err := l.handle(false)
	if errors.Is(err, errNoLabNetns) {
		return nil
	} else if err != nil {
		return fmt.Errorf("pruning the lab segments: %w", err)
	}
	defer lh.Close()
	gone, err := pruneLinks(lh, labNames(keep))
	if len(gone) > 0 {
		l.log.Info("removed lab segments and places on them no longer in the configuration", "links", gone)
	}
	if err != nil {
		return fmt.Errorf("pruning the lab segments: %w", err)
	}
	return nil
}

// labNames returns the names of the bridges and ports of keep.
func labNames(keep []LabPort) map[string]bool {
	names := make(map[string]bool)
	for _, p := range keep {
		names[labBridgeName(p.Segment)] = true
		names[labPortName(p.Segment, p.Guest)] = true
	}
	return names
}

// pruneLinks deletes every link but lo whose name is not in keep, and
// returns the names of those it deleted.
// Equivalent to: ip link del NAME, for each
func pruneLinks(h *netlink.Handle, keep map[string]bool) ([]string, error) {
	links, err := h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("listing links: %w", err)
	}
	var gone []string
	var errs []error
	for _, link := range links {
		name := link.Attrs().Name
		if name == "lo" || keep[name] {
			continue
		}
		if err := h.LinkDel(link); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting %s: %w", name, err))
		} else {
			gone = append(gone, name)
		}
	}
	return gone, errors.Join(errs...)
}
