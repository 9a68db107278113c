package netplumb

import (
	"fmt"

	"github.com/vishvananda/netlink"
)

// checkBridge refuses an existing bridge vmhost did not make, unless
// Config.AdoptBridge says to take it over, and marks a bridge vmhost made
// before it marked its bridges.
func (n *Network) checkBridge(h *netlink.Handle) error {
	br, err := findBridge(h, n.cfg.Bridge)
	if err != nil || br == nil {
		return err
	}
	a := br.Attrs()
	own := ownBridge(a.Name, a.Alias, a.HardwareAddr)
	if err := checkBridgeOwner(a.Name, own, n.cfg.AdoptBridge); err != nil {
		return err
	}
	switch {
	case !own:
		n.log.Warn("taking over a bridge vmhost did not make, as network.adopt_bridge says")
	case a.Alias != bridgeAlias:
		return markBridge(h, br)
	}
	return nil
}

// markBridge gives the bridge vmhost's alias.
// Equivalent to: ip link set NAME alias "vmhost guest bridge"
func markBridge(h *netlink.Handle, br netlink.Link) error {
	if err := h.LinkSetAlias(br, bridgeAlias); err != nil {
		return fmt.Errorf("marking bridge %s as vmhost's: %w", br.Attrs().Name, err)
	}
	return nil
}

// removeBridge deletes the bridge and its veths if vmhost made it; one it
// adopted is left as it is, with what is plugged into it.
func (n *Network) removeBridge(h *netlink.Handle) error {
	br, err := findBridge(h, n.cfg.Bridge)
	if err != nil || br == nil {
		return err
	}
	if a := br.Attrs(); !ownBridge(a.Name, a.Alias, a.HardwareAddr) {
		n.log.Warn("leaving the bridge: vmhost did not make it")
		return nil
	}
	return deleteBridge(h, n.cfg.Bridge)
}
