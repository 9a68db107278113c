package netplumb

import (
	"fmt"
	"log/slog"
	"net/netip"

	"vmhost/fdbudget"
)

// Config is what a [Network] is made of; the daemon fills it from the
// network section of its configuration file.
type Config struct {
	// Bridge is the bridge's interface name. It also names the daemon's
	// iptables chains (VMHOST-<Bridge>-FWD, ...), so two daemons with
	// different bridges never touch each other's rules.
	Bridge string
	// Subnet is the guests' IPv4 subnet; the bridge holds its first host
	// address, the gateway.
	Subnet netip.Prefix
	// NAT masquerades the subnet's traffic leaving through other interfaces.
	NAT bool
	// Subnet6 is the guests' IPv6 /64; the bridge holds PREFIX::1, the
	// gateway, and each guest the address [Address6] derives from its IPv4
	// one. The zero Prefix leaves guests without IPv6, as before.
	Subnet6 netip.Prefix
	// NAT6 masquerades Subnet6's traffic leaving through other interfaces
	// (NAT66); without it Subnet6 is routed, and must be routed to the host.
	NAT6 bool
	// Isolate keeps guests from reaching each other (bridge port isolation).
	Isolate bool
	// AdoptBridge lets the network take over an existing bridge that vmhost
	// did not make (its addresses are replaced by the gateway's); without
	// it, Start refuses one.
	AdoptBridge bool
	// Forwards are the published ports.
	Forwards []Forward
	// DynamicUDP says that UDP ports will be published while the daemon
	// runs ([Network.MapUDP], for mosh), so that IPv4 forwarding is turned
	// on for them even without NAT or Forwards.
	DynamicUDP bool
	// ResolvConf is the host file whose nameservers get the DNS queries
	// that are not for guest names; "" means /etc/resolv.conf.
	ResolvConf string
	// Tables is the iptables seam; nil means the iptables binary.
	Tables Tables
	// Tables6 is the ip6tables seam; nil means the ip6tables binary.
	Tables6 Tables
	// Filter is the seam over the bridge's port filters; nil means
	// nf_tables over netlink.
	Filter PortFilter
	// ConnShares is the seam over the table of the guests' shares of the
	// host's conntrack table; nil means nf_tables over netlink.
	ConnShares ConnShares
	// Budget is the daemon's budget of descriptors that guests can make it
	// open (relayed connections and exchanges, DNS connections and
	// forwarded queries); nil allows all.
	Budget *fdbudget.Budget
	// Bounds bound what one guest address may make the daemon hold; zero
	// fields take their defaults.
	Bounds Bounds
	// Logger gets what the network does; nil means slog.Default().
	Logger *slog.Logger
}

// Forward publishes a host port to a guest port while the guest is attached.
//
// Other machines reach it on any of the host's addresses through a DNAT rule,
// and keep their source address. The host itself reaches it on any of its
// addresses, 127.0.0.1 included, through a DNAT rule in OUTPUT; connections
// from loopback are masqueraded to the gateway address, and the bridge has
// net.ipv4.conf.<bridge>.route_localnet set so that they can be routed out of
// it at all. That also lets the kernel take 127.0.0.0/8 on the bridge, so the
// guests' port filters drop every guest packet from or to 127.0.0.0/8 (see
// [PortFilter]), strict rp_filter on the bridge drops a loopback source again,
// and the input rules drop everything from the bridge that is not DNS, ping to
// the gateway, a published port or a reply. (Sending the host's own
// connections to 127.0.0.1 through the relay instead would need no
// route_localnet, but would bound them like a guest's and copy them in user
// space.) Guests reach it on
// the gateway and on the host's addresses through the daemon, which holds the
// host port and relays their connections (see relay.go): a
// guest sees connections from the host and from other guests come from the
// gateway.
type Forward struct {
	// Guest is the guest's ID: "alice" for alice's default guest,
	// "alice+web" for her guest web.
	Guest string
	// Proto is "tcp" or "udp".
	Proto string
	// HostPort is the published port on the host.
	HostPort uint16
	// GuestPort is the port the guest serves on.
	GuestPort uint16
}

// check says what is wrong with c, as advice.
func (c *Config) check() error {
	if err := checkBridgeName(c.Bridge); err != nil {
		return err
	}
	if err := checkSubnet(c.Subnet); err != nil {
		return err
	}
	if c.Subnet6.IsValid() {
		if err := checkSubnet6(c.Subnet6); err != nil {
			return err
		}
	}
	seen := make(map[string]bool)
	for _, f := range c.Forwards {
		key := fmt.Sprintf("%d/%s", f.HostPort, f.Proto)
		switch {
		case f.Proto != "tcp" && f.Proto != "udp":
			return fmt.Errorf("published port %d: protocol %q is not tcp or udp", f.HostPort, f.Proto)
		case f.HostPort == 0 || f.GuestPort == 0:
			return fmt.Errorf("published port %s to %s:%d: port 0 is not a port", key, f.Guest, f.GuestPort)
		case f.Guest == "":
			return fmt.Errorf("published port %s: no guest named", key)
		case seen[key]:
			return fmt.Errorf("published port %s: published twice; publish each host port once", key)
		}
		seen[key] = true
	}
	return nil
}

// forwardsOf returns the published ports of guestID.
func (c *Config) forwardsOf(guestID string) []Forward {
	var fs []Forward
	for _, f := range c.Forwards {
		if f.Guest == guestID {
			fs = append(fs, f)
		}
	}
	return fs
}
