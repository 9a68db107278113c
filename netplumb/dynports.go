package netplumb

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
)

// UDPMapping is a dynamic published port: host UDP port HostPort reaches
// GuestPort of the guest's IPv4 address, for packets from Client alone. The
// SSH server makes one for each mosh-server a client starts (see
// [Network.MapUDP]); unlike a [Forward], it is not in the configuration and
// lives only as long as the daemon keeps it.
type UDPMapping struct {
	Guest     string     // the guest's ID, as in [Forward]
	Client    netip.Addr // the only source address admitted, IPv4
	HostPort  uint16
	GuestPort uint16
}

// String names the mapping in messages.
func (m UDPMapping) String() string {
	return fmt.Sprintf("udp %d from %s to guest %s port %d", m.HostPort, m.Client, m.Guest, m.GuestPort)
}

// ErrHostPortInUse is returned by [Network.MapUDP] for a host port that is
// taken: by another mapping, a published port, or a socket of the host.
// The caller tries another.
var ErrHostPortInUse = errors.New("the host port is in use")

// dynChain names the nat chain of the dynamic mappings of bridge:
// VMHOST-<bridge>-DYN, at most 26 characters. It is jumped to from the
// DNAT chain, after the rule that returns guests' own traffic, and holds one
// rule per mapping, so that adding or removing one never touches another.
func dynChain(bridge string) string { return "VMHOST-" + bridge + "-DYN" }

// dynJump is the rule of the DNAT chain that sends traffic through the
// chain of dynamic mappings.
func dynJump(c chains, bridge string) rule {
	return rule{"nat", c.DNAT, []string{"-j", dynChain(bridge)}}
}

// checkMapping says what is wrong with m, before anything is made for it.
func checkMapping(m UDPMapping) error {
	switch {
	case m.Guest == "":
		return errors.New("no guest named")
	case !m.Client.Is4() || m.Client.IsLoopback() || m.Client.IsUnspecified() || m.Client.IsMulticast():
		return fmt.Errorf("client address %v is not a unicast IPv4 address of another machine", m.Client)
	case m.HostPort == 0 || m.GuestPort == 0:
		return errors.New("port 0 is not a port")
	}
	return nil
}

// dynRule returns the DNAT rule of m for the guest at ip: UDP from the
// client to HostPort on any of the host's own addresses goes to
// ip:GuestPort. The FORWARD chain's rule for DNATed traffic to the bridge
// admits it; replies go back through conntrack.
func dynRule(bridge string, m UDPMapping, ip netip.Addr) rule {
	return rule{"nat", dynChain(bridge), []string{
		"-s", m.Client.String() + "/32", "-p", "udp", "-m", "addrtype", "--dst-type", "LOCAL",
		"--dport", strconv.Itoa(int(m.HostPort)),
		"-m", "comment", "--comment", "vmhost dynamic " + m.Guest,
		"-j", "DNAT", "--to-destination", netip.AddrPortFrom(ip, m.GuestPort).String(),
	}}
}

// staticUDP reports whether port is a published UDP port of the config.
func (c *Config) staticUDP(port uint16) bool {
	for _, f := range c.Forwards {
		if f.Proto == "udp" && f.HostPort == port {
			return true
		}
	}
	return false
}
