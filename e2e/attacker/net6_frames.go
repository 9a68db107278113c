package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
)

// IPv6 and NDP constants of the forged packets.
const (
	ethIPv6     = 0x86dd
	protoICMPv6 = 58
	icmp6RA     = 134
	icmp6NA     = 136
)

// allNodes is ff02::1 and its MAC address.
var (
	allNodes    = netip.MustParseAddr("ff02::1")
	allNodesMAC = net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}
)

// eth0AndGateway6 returns eth0 and the MAC address of the guest's IPv6
// default router, read from /proc/net/ipv6_route and the neighbour table.
func eth0AndGateway6() (*net.Interface, net.HardwareAddr, error) {
	ifc, err := net.InterfaceByName("eth0")
	if err != nil {
		return nil, nil, err
	}
	gw, err := defaultRouter6()
	if err != nil {
		return nil, nil, err
	}
	// Make sure the neighbour entry exists: a datagram to the gateway.
	if c, err := net.Dial("udp6", netip.AddrPortFrom(gw, 9).String()); err == nil {
		c.Write([]byte("x"))
		c.Close()
	}
	mac, err := neighbourMAC(gw)
	return ifc, mac, err
}

// defaultRouter6 reads the gateway of the IPv6 default route.
func defaultRouter6() (netip.Addr, error) {
	b, err := os.ReadFile("/proc/net/ipv6_route")
	if err != nil {
		return netip.Addr{}, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 10 && f[0] == strings.Repeat("0", 32) && f[1] == "00" && f[4] != strings.Repeat("0", 32) {
			return parseHex6(f[4])
		}
	}
	return netip.Addr{}, fmt.Errorf("no IPv6 default route")
}

// parseHex6 reads an address written as 32 hex digits.
func parseHex6(s string) (netip.Addr, error) {
	var a [16]byte
	for i := range a {
		if _, err := fmt.Sscanf(s[2*i:2*i+2], "%02x", &a[i]); err != nil {
			return netip.Addr{}, err
		}
	}
	return netip.AddrFrom16(a), nil
}

// neighbourMAC returns ip's MAC address from the guest's neighbour table.
// Equivalent to: ip -6 neigh show IP
func neighbourMAC(ip netip.Addr) (net.HardwareAddr, error) {
	for range 20 {
		neighs, err := netlink.NeighList(0, netlink.FAMILY_V6)
		if err != nil {
			return nil, err
		}
		for _, n := range neighs {
			if n.IP.Equal(ip.AsSlice()) && len(n.HardwareAddr) == 6 {
				return n.HardwareAddr, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, fmt.Errorf("no neighbour entry for %s", ip)
}

// linkLocal is the EUI-64 link-local address of mac.
func linkLocal(mac net.HardwareAddr) netip.Addr {
	b := [16]byte{0: 0xfe, 1: 0x80}
	copy(b[8:11], mac[:3])
	b[8] ^= 0x02
	b[11], b[12] = 0xff, 0xfe
	copy(b[13:], mac[3:6])
	return netip.AddrFrom16(b)
}

// ip6Packet returns an IPv6 packet holding payload of protocol next, with
// the transport checksum at csumAt of payload filled in.
func ip6Packet(src, dst netip.Addr, next, hopLimit byte, payload []byte, csumAt int) []byte {
	payload = append([]byte{}, payload...)
	binary.BigEndian.PutUint16(payload[csumAt:], checksum6(src, dst, next, payload))
	h := []byte{0x60, 0, 0, 0, 0, 0, next, hopLimit}
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h = append(append(h, src.AsSlice()...), dst.AsSlice()...)
	return append(h, payload...)
}

// checksum6 is the Internet checksum of payload with the IPv6 pseudo-header.
func checksum6(src, dst netip.Addr, next byte, payload []byte) uint16 {
	b := append(append([]byte{}, src.AsSlice()...), dst.AsSlice()...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	b = append(append(b, 0, 0, 0, next), payload...)
	if len(b)%2 == 1 {
		b = append(b, 0)
	}
	var sum uint32
	for i := 0; i < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// udp6Packet returns an IPv6 packet holding a UDP datagram.
func udp6Packet(src, dst netip.AddrPort, payload []byte) []byte {
	udp := binary.BigEndian.AppendUint16(nil, src.Port())
	udp = binary.BigEndian.AppendUint16(udp, dst.Port())
	udp = binary.BigEndian.AppendUint16(udp, uint16(8+len(payload)))
	udp = append(append(udp, 0, 0), payload...)
	return ip6Packet(src.Addr(), dst.Addr(), 17, 64, udp, 6)
}

// neighborAdvert returns an unsolicited neighbour advertisement (override
// flag set) from src to all nodes saying that target is at mac.
func neighborAdvert(src, target netip.Addr, mac net.HardwareAddr) []byte {
	na := []byte{icmp6NA, 0, 0, 0, 0x20, 0, 0, 0}
	na = append(append(append(na, target.AsSlice()...), 2, 1), mac...)
	return ip6Packet(src, allNodes, protoICMPv6, 255, na, 2)
}

// routerAdvert returns a router advertisement from src offering a default
// route and prefix/64 for autoconfiguration, with an unknown option
// holding marker.
func routerAdvert(src netip.Addr, mac net.HardwareAddr, prefix netip.Addr, marker string) []byte {
	ra := []byte{icmp6RA, 0, 0, 0, 64, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0}
	ra = append(append(ra, 1, 1), mac...)
	pio := []byte{3, 4, 64, 0xc0, 0, 0, 0x0e, 0x10, 0, 0, 0x0e, 0x10, 0, 0, 0, 0}
	ra = append(append(ra, pio...), prefix.AsSlice()...)
	opt := append([]byte{253, byte((2 + len(marker) + 7) / 8)}, marker...)
	for len(opt)%8 != 0 {
		opt = append(opt, 0)
	}
	return ip6Packet(src, allNodes, protoICMPv6, 255, append(ra, opt...), 2)
}
