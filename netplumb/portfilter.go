package netplumb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// PortFilter is the seam over nf_tables' bridge family: a table per bridge
// whose base chain, hooked at bridge prerouting before the bridge learns a
// source address or forwards a frame, sends each frame that enters by a
// guest's port to the chain of that port (by the port's name: the kernel here
// lacks `meta ibrname`, so frames are not told apart by bridge). The real one
// speaks netlink (github.com/google/nftables); tests use an in-memory fake.
type PortFilter interface {
	// Setup makes table exist with its base chain and the map from ports to
	// their chains. The ports' chains already there are kept, so that
	// guests stay filtered while a daemon restarts.
	Setup(table string) error
	// SetPort makes the chain of port hold exactly rules and the map send
	// the port's frames to it, in one transaction.
	SetPort(table, port string, rules []portRule) error
	// RemovePort removes the chain of port and its entry in the map; a port
	// that has none is not an error.
	RemovePort(table, port string) error
	// Ports returns the ports that have a chain in table.
	Ports(table string) ([]string, error)
	// Teardown removes table; a missing table is not an error.
	Teardown(table string) error
}

// portRule is one rule of a port's chain: when every match holds, the
// verdict ("accept" or "drop") ends the frame's way through the chain.
type portRule struct {
	Matches []match
	Verdict string
}

// match compares a header field of a frame with a value.
type match struct {
	Field field
	Neq   bool   // the field must differ from Value
	Mask  []byte // if set, the field is ANDed with it first
	Value []byte
}

// field is a header field the port rules look at, in nft's words.
type field string

// The fields of port rules.
const (
	etherSaddr    field = "ether saddr"
	etherType     field = "ether type"
	ipSaddr       field = "ip saddr"
	ipDaddr       field = "ip daddr"
	ipProtocol    field = "ip protocol"
	udpSport      field = "udp sport"
	arpHtype      field = "arp htype"
	arpPtype      field = "arp ptype"
	arpHlen       field = "arp hlen"
	arpPlen       field = "arp plen"
	arpSaddrEther field = "arp saddr ether"
	arpSaddrIP    field = "arp saddr ip"
)

// Ethertypes and IP protocol numbers of the port rules.
const (
	ethIPv4   = 0x0800
	ethARP    = 0x0806
	protoUDP  = 17
	dhcpSPort = 67 // the port DHCP servers answer from
)

// portRules returns the chain of a guest's port: frames only from the guest's
// MAC; ARP for Ethernet and IPv4 only with the guest's MAC and address as
// sender; IPv4 only from the guest's address, never to 127.0.0.0/8 and never
// from the DHCP server port; IPv6 as [portRules6] says when ip6, the guest's
// IPv6 address, is valid; nothing else (no VLAN tags, no IPv6 without ip6, no
// other ethertype).
func portRules(mac net.HardwareAddr, ip, ip6 netip.Addr) []portRule {
	ipv4, arp := eq(etherType, u16(ethIPv4)), eq(etherType, u16(ethARP))
	own := eq(ipSaddr, ip.AsSlice())
	loopback := match{Field: ipDaddr, Mask: []byte{255, 0, 0, 0}, Value: []byte{127, 0, 0, 0}}
	rs := []portRule{
		{[]match{{Field: etherSaddr, Neq: true, Value: mac}}, "drop"},
		{[]match{arp, eq(arpHtype, u16(1)), eq(arpPtype, u16(ethIPv4)), eq(arpHlen, []byte{6}), eq(arpPlen, []byte{4}),
			eq(arpSaddrEther, mac), eq(arpSaddrIP, ip.AsSlice())}, "accept"},
		{[]match{ipv4, loopback}, "drop"},
		{[]match{ipv4, own, eq(ipProtocol, []byte{protoUDP}), eq(udpSport, u16(dhcpSPort))}, "drop"},
		{[]match{ipv4, own}, "accept"},
	}
	if ip6.IsValid() {
		rs = append(rs, portRules6(mac, ip6)...)
	}
	return append(rs, portRule{nil, "drop"})
}

// eq is a match of field with value.
func eq(f field, value []byte) match { return match{Field: f, Value: value} }

// u16 is v in network byte order.
func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// String writes r like nft does, with values in hex: "ether type 0806 arp
// saddr ip 0afa0902 accept".
func (r portRule) String() string {
	var b strings.Builder
	for _, m := range r.Matches {
		b.WriteString(string(m.Field))
		if m.Mask != nil {
			fmt.Fprintf(&b, " & %x", m.Mask)
		}
		if m.Neq {
			b.WriteString(" !=")
		}
		fmt.Fprintf(&b, " %x ", m.Value)
	}
	return b.String() + r.Verdict
}

// GuestMAC returns the MAC address of the guest at ip: locally administered
// unicast, 02:76 ("v") and the four bytes of the address, so that it needs no
// state and reads back to the address in `bridge fdb`. Its port admits no
// other source MAC.
func GuestMAC(ip netip.Addr) net.HardwareAddr {
	a := ip.As4()
	return net.HardwareAddr{0x02, 0x76, a[0], a[1], a[2], a[3]}
}

// filterTable names the nf_tables table of bridge, in the bridge family:
// VMHOST-<bridge>, like the iptables chains, so that two daemons with
// different bridges never touch each other's.
func filterTable(bridge string) string { return "VMHOST-" + bridge }

// portFilter keeps the port chains of one bridge.
type portFilter struct {
	f     PortFilter
	table string
}

// setup makes the table ready for the bridge, keeping the ports' chains.
func (p *portFilter) setup() error {
	if err := p.f.Setup(p.table); errors.Is(err, errUnsupported) {
		return fmt.Errorf("setting up bridge filter table %s: %w; guests' ports are filtered with nf_tables, "+
			"and this kernel lacks its bridge family (CONFIG_NF_TABLES_BRIDGE)", p.table, err)
	} else if err != nil {
		return fmt.Errorf("setting up bridge filter table %s: %w", p.table, err)
	}
	return nil
}

// prune removes the chains of ports for which exists is false: those of
// guests that went away while no daemon ran.
func (p *portFilter) prune(exists func(port string) bool) error {
	ports, err := p.f.Ports(p.table)
	if err != nil {
		return fmt.Errorf("listing the ports of bridge filter table %s: %w", p.table, err)
	}
	for _, port := range ports {
		if !exists(port) {
			if err := p.forget(port); err != nil {
				return err
			}
		}
	}
	return nil
}

// admit makes the guest's port pass only the guest's own frames: those of
// the guest at ip and, if valid, ip6.
func (p *portFilter) admit(port string, ip, ip6 netip.Addr) error {
	if err := p.f.SetPort(p.table, port, portRules(GuestMAC(ip), ip, ip6)); err != nil {
		return fmt.Errorf("filtering bridge port %s: %w", port, err)
	}
	return nil
}

// forget removes the port's chain.
func (p *portFilter) forget(port string) error {
	if err := p.f.RemovePort(p.table, port); err != nil {
		return fmt.Errorf("removing the filter of bridge port %s: %w", port, err)
	}
	return nil
}

// teardown removes the table.
func (p *portFilter) teardown() error {
	if err := p.f.Teardown(p.table); err != nil {
		return fmt.Errorf("removing bridge filter table %s: %w", p.table, err)
	}
	return nil
}
