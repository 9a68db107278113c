package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Attacks with forged packets: a guest's root sends what its own kernel never
// would, through raw IP and packet sockets on eth0.
func init() {
	register("udp-forged", udpForged)
	register("garp", garp)
	register("frame", frame)
	register("udp-ask", udpAsk)
	register("udp-echo", udpEcho)
}

// udpForged sends UDP datagrams with a forged source address.
//
//	udp-forged SRC:PORT DST:PORT dns|TEXT [COUNT]
//
// The payload is a DNS query for alice.vmhost (dns) or TEXT. Reports sent=N.
func udpForged(args []string) error {
	if len(args) < 3 {
		return errors.New("usage: udp-forged SRC:PORT DST:PORT dns|TEXT [COUNT]")
	}
	src, err := netip.ParseAddrPort(args[0])
	if err != nil {
		return err
	}
	dst, err := netip.ParseAddrPort(args[1])
	if err != nil {
		return err
	}
	payload := []byte(args[2])
	if args[2] == "dns" {
		payload = dnsQuery("alice.vmhost")
	}
	count := intArg(args, 3, 3)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_RAW)
	if err != nil {
		return fmt.Errorf("opening a raw IP socket: %w", err)
	}
	defer unix.Close(fd)
	sa := &unix.SockaddrInet4{Addr: dst.Addr().As4()}
	sent := 0
	for range count {
		if err := unix.Sendto(fd, udpPacket(src, dst, payload), 0, sa); err == nil {
			sent++
		}
		time.Sleep(20 * time.Millisecond)
	}
	report("sent", sent)
	return nil
}

// garp claims an address with gratuitous ARP from eth0's own MAC: requests
// and replies, broadcast.
//
//	garp IP [COUNT]
func garp(args []string) error {
	if len(args) < 1 {
		return errors.New("usage: garp IP [COUNT]")
	}
	ip, err := netip.ParseAddr(args[0])
	if err != nil {
		return err
	}
	ifc, err := net.InterfaceByName("eth0")
	if err != nil {
		return err
	}
	bcast := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	var frames [][]byte
	for _, op := range []uint16{1, 2} {
		arp := arpPacket(op, ifc.HardwareAddr, ip, make(net.HardwareAddr, 6), ip)
		frames = append(frames, ethFrame(bcast, ifc.HardwareAddr, 0, 0x0806, arp))
	}
	return sendRepeated(ifc, frames, intArg(args, 1, 3))
}

// frame sends an IPv4 UDP broadcast from eth0's address to port 9 holding
// MARKER, in a frame with source MAC (default: eth0's) and, with -vlan, an
// 802.1Q tag.
//
//	frame [-src MAC] [-vlan ID] [-count N] MARKER
func frame(args []string) error {
	fs := flag.NewFlagSet("frame", flag.ContinueOnError)
	srcMAC := fs.String("src", "", "source MAC")
	vlan := fs.Int("vlan", 0, "802.1Q VLAN ID, 0 for none")
	count := fs.Int("count", 3, "frames to send")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return errors.New("usage: frame [-src MAC] [-vlan ID] [-count N] MARKER")
	}
	ifc, err := net.InterfaceByName("eth0")
	if err != nil {
		return err
	}
	mac := ifc.HardwareAddr
	if *srcMAC != "" {
		if mac, err = net.ParseMAC(*srcMAC); err != nil {
			return err
		}
	}
	own, err := ownAddr(ifc)
	if err != nil {
		return err
	}
	pkt := udpPacket(netip.AddrPortFrom(own, 5399), netip.MustParseAddrPort("255.255.255.255:9"), []byte(fs.Arg(0)))
	bcast := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	return sendRepeated(ifc, [][]byte{ethFrame(bcast, mac, uint16(*vlan), 0x0800, pkt)}, *count)
}

// udpAsk sends a datagram to DST:PORT from an ordinary socket, retrying
// every 300ms for up to SECONDS, and reports the first answer
// (answer=TEXT, or answer= when none came).
//
//	udp-ask DST:PORT [SECONDS]
func udpAsk(args []string) error {
	if len(args) < 1 {
		return errors.New("usage: udp-ask DST:PORT [SECONDS]")
	}
	c, err := net.Dial("udp4", args[0])
	if err != nil {
		return err
	}
	defer c.Close()
	deadline := time.Now().Add(time.Duration(intArg(args, 1, 5)) * time.Second)
	buf := make([]byte, 2048)
	for time.Now().Before(deadline) {
		c.Write([]byte("ask"))
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if n, err := c.Read(buf); err == nil {
			report("answer", string(buf[:n]))
			return nil
		}
	}
	report("answer", "")
	return nil
}

// udpEcho answers every datagram on a UDP port with "echo:" and what it
// held, for SECONDS, and reports how many came that did not hold "probe"
// (count=N), the test's check that the server runs.
//
//	udp-echo PORT SECONDS
func udpEcho(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: udp-echo PORT SECONDS")
	}
	port, _ := strconv.Atoi(args[0])
	c, err := net.ListenUDP("udp4", &net.UDPAddr{Port: port})
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(time.Duration(intArg(args, 1, 10)) * time.Second))
	n := 0
	buf := make([]byte, 2048)
	for {
		m, from, err := c.ReadFromUDP(buf)
		if err != nil {
			break
		}
		if string(buf[:m]) != "probe" {
			n++
		}
		c.WriteToUDP(append([]byte("echo:"), buf[:m]...), from)
	}
	report("count", n)
	return nil
}

// sendRepeated sends frames out of ifc count times, 50ms apart, and reports
// sent=N.
func sendRepeated(ifc *net.Interface, frames [][]byte, count int) error {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		return fmt.Errorf("opening a packet socket: %w", err)
	}
	defer unix.Close(fd)
	sent := 0
	for range count {
		for _, f := range frames {
			sa := &unix.SockaddrLinklayer{Ifindex: ifc.Index, Halen: 6}
			copy(sa.Addr[:], f[:6])
			if err := unix.Sendto(fd, f, 0, sa); err != nil {
				return fmt.Errorf("sending a frame: %w", err)
			}
			sent++
		}
		time.Sleep(50 * time.Millisecond)
	}
	report("sent", sent)
	return nil
}

// ownAddr returns the first IPv4 address of ifc.
func ownAddr(ifc *net.Interface) (netip.Addr, error) {
	addrs, err := ifc.Addrs()
	if err != nil {
		return netip.Addr{}, err
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() {
			return p.Addr(), nil
		}
	}
	return netip.Addr{}, fmt.Errorf("%s has no IPv4 address", ifc.Name)
}

// intArg returns args[i] as a number, or def.
func intArg(args []string, i, def int) int {
	if i < len(args) {
		if v, err := strconv.Atoi(args[i]); err == nil {
			return v
		}
	}
	return def
}

// ethFrame returns an Ethernet frame; vlan > 0 adds an 802.1Q tag.
func ethFrame(dst, src net.HardwareAddr, vlan, etype uint16, payload []byte) []byte {
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
	b := binary.BigEndian.AppendUint16([]byte{0, 1, 8, 0, 6, 4}, op)
	b = append(append(b, sha...), spa.AsSlice()...)
	return append(append(b, tha...), tpa.AsSlice()...)
}

// udpPacket returns an IPv4 packet holding a UDP datagram, with the IP
// checksum and no UDP checksum.
func udpPacket(src, dst netip.AddrPort, payload []byte) []byte {
	ip := []byte{0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0}
	binary.BigEndian.PutUint16(ip[2:], uint16(28+len(payload)))
	ip = append(append(ip, src.Addr().AsSlice()...), dst.Addr().AsSlice()...)
	var sum uint32
	for i := 0; i < len(ip); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	udp := binary.BigEndian.AppendUint16(nil, src.Port())
	udp = binary.BigEndian.AppendUint16(udp, dst.Port())
	udp = binary.BigEndian.AppendUint16(udp, uint16(8+len(payload)))
	udp = append(udp, 0, 0)
	return append(append(ip, udp...), payload...)
}

// dnsQuery returns a DNS query for the A record of name, with EDNS0 asking
// for answers of up to 4096 bytes.
func dnsQuery(name string) []byte {
	b := []byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1}
	for _, label := range strings.Split(strings.Trim(name, "."), ".") {
		b = append(append(b, byte(len(label))), label...)
	}
	b = append(b, 0, 0, 1, 0, 1)
	return append(b, 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0) // OPT: root, type 41, size 4096
}
