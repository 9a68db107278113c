// Package netplumb gives every guest a network like a small VM's: one Linux
// bridge holding the gateway address, a veth pair per guest whose peer is the
// guest's eth0, a static IPv4 address per guest, NAT for the guest subnet, a
// firewall that lets guests reach the host only for DNS, a DNS server on the
// gateway that answers guest names (alice.vmhost, web.alice.vmhost), and
// published ports.
//
// With [Config.Subnet6], a /64, guests have IPv6 as well, with the same
// guarantees: the bridge holds PREFIX::1 ([Gateway6]), each guest the address
// [Address6] derives from its IPv4 one (no lease of its own) and its EUI-64
// link-local address ([LinkLocal]), NAT66 or a routed /64 ([Config.NAT6]),
// the firewall's rules again in ip6tables ([Config.Tables6]), AAAA records,
// the DNS server also on PREFIX::1, published ports DNATed over IPv6 too. The
// bridge never accepts router advertisements.
//
// Each guest's port of the bridge admits only the guest's own frames, before
// the bridge learns anything from them: its own MAC address (pinned on its
// eth0, see [GuestMAC]), IPv4 from its own address and ARP for it, IPv6 from
// its own two addresses with neighbour discovery only about them and no
// router advertisements, redirects or DHCPv6 server traffic, nothing else;
// see [PortFilter].
//
// The daemon builds a [Network] from its configuration, calls [Network.Start]
// once, [Network.Attach] when a guest's init is running and [Network.Detach]
// when the guest goes away. [Network.Close] stops the DNS server and leaves the
// bridge, the rules and the guests' links in place, so that guests keep their
// network across a daemon restart; [Network.Teardown] removes everything the
// daemon added to the host's network.
//
// Besides the published ports of the configuration, [Network.MapUDP]
// publishes a host UDP port to a guest's port for one client address while
// the daemon runs (for mosh), one rule each in a chain of its own, removed
// with its tracked flows by [Network.UnmapUDP], Detach, or the next Start.
//
// Addresses come from [Allocate]; the caller keeps each guest's address with
// the guest. [ResolvConf] is the resolv.conf to write into a guest: the IPv4
// nameserver only, which answers AAAA queries too.
//
// [LabNet] is apart from the guest network: the private L2 segments of
// teaching labs, bridges in a network namespace of the daemon's own that
// join a student's hosts over interfaces eth1, eth2, ... The DNS server
// answers a guest's short names ("router") with its owner's guest of that
// name first, so a student's hosts find each other.
//
// All links and the port filters (nf_tables, bridge family) are made
// in-process over netlink; only iptables and ip6tables rules go through their
// binaries (the [Tables] seam), at start and for a guest's published ports.
package netplumb
