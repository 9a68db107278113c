package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Attacks on what the host counts of a guest.
func init() {
	register("metrics-fake-traffic", metricsFakeTraffic)
}

// metricsFakeTraffic makes a veth pair inside the guest's own network
// namespace and sends COUNT frames of 1400 bytes between its ends, traffic
// that never leaves the guest, to make the host count traffic the guest
// did not send. It reports sent_bytes=N, and what the guest's own
// /proc/net/dev counted besides lo before and after (inside_before=,
// inside_after=), which shows the frames were counted inside. With keep,
// the pair stays, its counters with it.
//
//	metrics-fake-traffic COUNT [keep]
func metricsFakeTraffic(args []string) error {
	if len(args) < 1 {
		return errors.New("usage: metrics-fake-traffic COUNT")
	}
	before, err := netDevTotal()
	if err != nil {
		return err
	}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "fk0"}, PeerName: "fk1"}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("adding a veth pair: %w", err)
	}
	if len(args) < 2 || args[1] != "keep" {
		defer netlink.LinkDel(veth)
	}
	for _, name := range []string{"fk0", "fk1"} {
		l, err := netlink.LinkByName(name)
		if err == nil {
			err = netlink.LinkSetUp(l)
		}
		if err != nil {
			return fmt.Errorf("setting %s up: %w", name, err)
		}
	}
	ifc, err := net.InterfaceByName("fk0")
	if err != nil {
		return err
	}
	sent, err := sendFrames(ifc, intArg(args, 0, 10000))
	if err != nil {
		return err
	}
	after, err := netDevTotal()
	if err != nil {
		return err
	}
	report("sent_bytes", sent)
	report("inside_before", before)
	report("inside_after", after)
	return nil
}

// sendFrames sends count broadcast frames of 1400 bytes out of ifc and
// returns the bytes sent.
func sendFrames(ifc *net.Interface, count int) (int, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		return 0, fmt.Errorf("opening a packet socket: %w", err)
	}
	defer unix.Close(fd)
	frame := bytes.Repeat([]byte{0xff}, 1400)
	copy(frame[6:12], ifc.HardwareAddr)
	frame[12], frame[13] = 0x88, 0xb5 // the local experimental EtherType
	sa := &unix.SockaddrLinklayer{Ifindex: ifc.Index, Halen: 6}
	copy(sa.Addr[:], frame[:6])
	sent := 0
	for range count {
		if err := unix.Sendto(fd, frame, 0, sa); err != nil {
			return sent, fmt.Errorf("sending a frame: %w", err)
		}
		sent += len(frame)
	}
	return sent, nil
}

// netDevTotal sums the bytes received and sent of every interface but lo
// in /proc/net/dev.
func netDevTotal() (uint64, error) {
	b, err := os.ReadFile("/proc/net/dev")
	if err != nil {
		return 0, err
	}
	var total uint64
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		f := strings.Fields(rest)
		if !ok || strings.TrimSpace(name) == "lo" || len(f) < 9 {
			continue
		}
		rx, _ := strconv.ParseUint(f[0], 10, 64)
		tx, _ := strconv.ParseUint(f[8], 10, 64)
		total += rx + tx
	}
	return total, nil
}
