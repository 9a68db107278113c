package netplumb

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// broadcastMAC is the Ethernet broadcast address.
var broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// ethFrame returns an Ethernet frame; vlan > 0 adds an 802.1Q tag.
func ethFrame(dst, src net.HardwareAddr, vlan uint16, etype uint16, payload []byte) []byte {
	b := append(append([]byte{}, dst...), src...)
	if vlan > 0 {
		b = binary.BigEndian.AppendUint16(b, 0x8100)
		b = binary.BigEndian.AppendUint16(b, vlan)
	}
	b = binary.BigEndian.AppendUint16(b, etype)
	return append(b, payload...)
}

// arpPacket returns an ARP packet for Ethernet and IPv4.
func arpPacket(op uint16, sha net.HardwareAddr, spa netip.Addr, tha net.HardwareAddr, tpa netip.Addr) []byte {
	b := []byte{0, 1, 8, 0, 6, 4}
	b = binary.BigEndian.AppendUint16(b, op)
	b = append(append(b, sha...), spa.AsSlice()...)
	return append(append(b, tha...), tpa.AsSlice()...)
}

// udpPacket returns an IPv4 packet holding a UDP datagram, with the IP
// checksum and no UDP checksum.
func udpPacket(src, dst netip.AddrPort, payload []byte) []byte {
	ip := []byte{0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, protoUDP, 0, 0}
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(payload)))
	ip = append(append(ip, src.Addr().AsSlice()...), dst.Addr().AsSlice()...)
	binary.BigEndian.PutUint16(ip[10:], ipChecksum(ip))
	udp := binary.BigEndian.AppendUint16(nil, src.Port())
	udp = binary.BigEndian.AppendUint16(udp, dst.Port())
	udp = binary.BigEndian.AppendUint16(udp, uint16(8+len(payload)))
	udp = append(udp, 0, 0)
	return append(append(ip, udp...), payload...)
}

// ipChecksum is the Internet checksum of an IPv4 header.
func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// sendFrames sends raw frames out of iface in the named network namespace.
// Equivalent to: a packet socket's sendto on IFACE
func sendFrames(t *testing.T, ns, iface string, frames ...[]byte) {
	t.Helper()
	err := inNetns(ns, func() error {
		ifc, err := net.InterfaceByName(iface)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		for _, f := range frames {
			sa := &unix.SockaddrLinklayer{Ifindex: ifc.Index, Halen: 6}
			copy(sa.Addr[:], f[:6])
			if err := unix.Sendto(fd, f, 0, sa); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("sending frames on %s in %s: %v", iface, ns, err)
	}
}

// capture counts, until the test ends, the frames that iface of the host
// receives holding each marker. Frames a bridge port's filter drops never
// reach the bridge's own interface.
type capture struct{ fd int }

// startCapture opens a packet socket on iface in the host's namespace.
// Equivalent to: tcpdump -i IFACE
func startCapture(t *testing.T, iface string) *capture {
	t.Helper()
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		t.Fatal(err)
	}
	proto := int(htons(unix.ETH_P_ALL))
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK, proto)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifc.Index}); err != nil {
		t.Fatal(err)
	}
	return &capture{fd: fd}
}

// seen returns the frames received so far that hold marker, by marker.
func (c *capture) seen(markers ...string) map[string]int {
	got := make(map[string]int)
	buf := make([]byte, 65536)
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, 0)
		if err != nil {
			return got
		}
		for _, m := range markers {
			if containsBytes(buf[:n], m) {
				got[m]++
			}
		}
	}
}

// containsBytes reports whether b holds s.
func containsBytes(b []byte, s string) bool { return strings.Contains(string(b), s) }

// htons converts a short to network byte order.
func htons(v uint16) uint16 { return v<<8 | v>>8 }
