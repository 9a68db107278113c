package netplumb

import (
	"encoding/binary"
	"net"
	"net/netip"
)

// ip6Packet returns an IPv6 packet from src to dst holding payload of
// protocol next, with the transport checksum at csumAt of payload filled in
// (-1 for none).
func ip6Packet(src, dst netip.Addr, next byte, hopLimit byte, payload []byte, csumAt int) []byte {
	payload = append([]byte{}, payload...)
	if csumAt >= 0 {
		binary.BigEndian.PutUint16(payload[csumAt:], checksum6(src, dst, next, payload))
	}
	h := []byte{0x60, 0, 0, 0, 0, 0, next, hopLimit}
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h = append(append(h, src.AsSlice()...), dst.AsSlice()...)
	return append(h, payload...)
}

// checksum6 is the Internet checksum of payload with the IPv6 pseudo-header.
func checksum6(src, dst netip.Addr, next byte, payload []byte) uint16 {
	b := append(append([]byte{}, src.AsSlice()...), dst.AsSlice()...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	b = append(b, 0, 0, 0, next)
	b = append(b, payload...)
	if len(b)%2 == 1 {
		b = append(b, 0)
	}
	return ipChecksum(b)
}

// udp6Packet returns an IPv6 packet holding a UDP datagram.
func udp6Packet(src, dst netip.AddrPort, payload []byte) []byte {
	udp := binary.BigEndian.AppendUint16(nil, src.Port())
	udp = binary.BigEndian.AppendUint16(udp, dst.Port())
	udp = binary.BigEndian.AppendUint16(udp, uint16(8+len(payload)))
	udp = append(append(udp, 0, 0), payload...)
	return ip6Packet(src.Addr(), dst.Addr(), protoUDP, 64, udp, 6)
}

// allNodes is ff02::1 and its MAC address.
var (
	allNodes    = netip.MustParseAddr("ff02::1")
	allNodesMAC = net.HardwareAddr{0x33, 0x33, 0, 0, 0, 1}
)

// neighborAdvert returns an unsolicited neighbour advertisement (override
// flag set) from src to all nodes saying that target is at mac.
func neighborAdvert(src, target netip.Addr, mac net.HardwareAddr) []byte {
	na := []byte{icmp6NA, 0, 0, 0, 0x20, 0, 0, 0}
	na = append(append(na, target.AsSlice()...), ndpTargetLL, 1)
	na = append(na, mac...)
	return ip6Packet(src, allNodes, protoICMPv6, 255, na, 2)
}

// routerAdvert returns a router advertisement from src (a link-local
// address) to all nodes offering a default route for 1800s, with an unknown
// option holding marker that receivers skip.
func routerAdvert(src netip.Addr, mac net.HardwareAddr, marker string) []byte {
	ra := []byte{icmp6RA, 0, 0, 0, 64, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0}
	ra = append(append(ra, ndpSourceLL, 1), mac...)
	opt := append([]byte{253, byte((2 + len(marker) + 7) / 8)}, marker...)
	for len(opt)%8 != 0 {
		opt = append(opt, 0)
	}
	return ip6Packet(src, allNodes, protoICMPv6, 255, append(ra, opt...), 2)
}
