package main

import (
	"errors"
	"fmt"
	"io"

	"vmhost/config"
	"vmhost/guest"
	"vmhost/netplumb"
	"vmhost/sshgate"
)

// moshOptions returns what publishes mosh-server's ports per ssh.mosh_ports:
// none when it says none.
func moshOptions(c config.SSH, nw *netplumb.Network, m *guest.Manager) sshgate.MoshOptions {
	first, last, ok := c.MoshPortRange()
	if !ok {
		return sshgate.MoshOptions{}
	}
	return sshgate.MoshOptions{Host: moshHost{nw: nw, m: m}, FirstPort: first, LastPort: last}
}

// moshHost adapts the guest network and the guest manager to what sshgate
// needs to publish mosh-server's ports.
type moshHost struct {
	nw *netplumb.Network
	m  *guest.Manager
}

// MapUDP implements sshgate.MoshHost.
func (h moshHost) MapUDP(m sshgate.MoshMapping) error {
	err := h.nw.MapUDP(netplumb.UDPMapping(m))
	if errors.Is(err, netplumb.ErrHostPortInUse) {
		return fmt.Errorf("%w: %w", sshgate.ErrMoshPortInUse, err)
	}
	return err
}

// UnmapUDP implements sshgate.MoshHost.
func (h moshHost) UnmapUDP(ms ...sshgate.MoshMapping) error {
	us := make([]netplumb.UDPMapping, len(ms))
	for i, m := range ms {
		us[i] = netplumb.UDPMapping(m)
	}
	return h.nw.UnmapUDP(us...)
}

// OpenNetTable implements sshgate.MoshHost.
func (h moshHost) OpenNetTable(guestID, table string) (io.ReadCloser, error) {
	return h.m.OpenNetTable(guestID, table)
}
