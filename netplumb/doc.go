// Package netplumb gives every guest a network like a small VM's: one Linux
// bridge holding the gateway address, a veth pair per guest whose peer is the
// guest's eth0, a static IPv4 address per guest, NAT for the guest subnet, a
// firewall that lets guests reach the host only for DNS, a DNS server on the
// gateway that answers guest names (alice.vmhost, web.alice.vmhost), and
// published ports.
//
// Each guest's port of the bridge admits only the guest's own frames, before
// the bridge learns anything from them: its own MAC address (pinned on its
// eth0, see [GuestMAC]), IPv4 from its own address and ARP for it, nothing
// else; see [PortFilter].
//
// The daemon builds a [Network] from its configuration, calls [Network.Start]
// once, [Network.Attach] when a guest's init is running and [Network.Detach]
// when the guest goes away. [Network.Close] stops the DNS server and leaves the
// bridge, the rules and the guests' links in place, so that guests keep their
// network across a daemon restart; [Network.Teardown] removes everything the
// daemon added to the host's network.
//
// Addresses come from [Allocate]; the caller keeps each guest's address with
// the guest. [ResolvConf] is the resolv.conf to write into a guest.
//
// All links and the port filters (nf_tables, bridge family) are made
// in-process over netlink; only iptables rules go through the iptables binary
// (the [Tables] seam), at start and for a guest's published ports.
package netplumb
