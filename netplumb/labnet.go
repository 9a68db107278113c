package netplumb

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
)

// LabNet is the private L2 segments of teaching labs: a Linux bridge per
// segment, joining a veth per guest on it, all in one network namespace of
// the daemon's own, bind-mounted at <dir>/ns as `ip netns add` does, so a
// restarted daemon finds it again. That namespace has no address, no route
// and no firewall rule, and nothing of the host's is in it: the host's
// iptables, nf_tables and br_netfilter never see a segment's frames, and a
// guest on a segment reaches only the other guests on it. Bridges do not
// learn (each floods to its few ports), so a guest sending from many MAC
// addresses fills no table.
//
// Attach may run concurrently for different guests.
type LabNet struct {
	dir string
	log *slog.Logger
	mu  sync.Mutex // serializes changes to the namespace
}

// LabLink is one interface of a guest on a segment.
type LabLink struct {
	// Segment names the segment, the same for every guest on it.
	Segment string
	// Iface is the interface's name in the guest, such as eth1.
	Iface string
}

// LabPort is one guest's place on a segment: what [LabNet.Prune] keeps.
type LabPort struct {
	Segment string
	Guest   string // the guest's ID
}

// MaxLabLinks bounds the segments one guest is on.
const MaxLabLinks = 8

// NewLabNet returns the segments whose namespace lives in dir, such as
// <run_dir>/labnet. It changes nothing until the first Attach.
func NewLabNet(dir string, log *slog.Logger) *LabNet {
	if log == nil {
		log = slog.Default()
	}
	return &LabNet{dir: dir, log: log}
}

// nsPath is where the segments' network namespace is mounted.
func (l *LabNet) nsPath() string { return filepath.Join(l.dir, "ns") }

// labBridgeName returns the name of a segment's bridge: "lb" and 12 hex
// digits of a hash of the segment, 14 characters, within the kernel's 15.
func labBridgeName(segment string) string {
	return "lb" + labHash("bridge\x00"+segment)
}

// labPortName returns the name of the namespace's end of guestID's veth on
// segment: "lp" and 12 hex digits of a hash.
func labPortName(segment, guestID string) string {
	return "lp" + labHash("port\x00"+segment+"\x00"+guestID)
}

// labHash returns 12 hex digits of the SHA-256 of s.
func labHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// LabMAC returns the MAC address of guestID's interface on segment: locally
// administered, unicast, and the same at every start of the guest.
func LabMAC(segment, guestID string) net.HardwareAddr {
	sum := sha256.Sum256([]byte("vmhost lab\x00" + segment + "\x00" + guestID))
	mac := net.HardwareAddr(sum[:6])
	mac[0] = mac[0]&^1 | 2
	return mac
}

// checkLabLinks wants at most MaxLabLinks links, each on a named segment
// once, with an interface name of its own that is valid and neither lo nor
// the guest's eth0.
func checkLabLinks(links []LabLink) error {
	if len(links) > MaxLabLinks {
		return fmt.Errorf("%d links, more than the %d a guest may have", len(links), MaxLabLinks)
	}
	ifaces, segments := make(map[string]bool), make(map[string]bool)
	for _, l := range links {
		switch {
		case l.Segment == "":
			return fmt.Errorf("a link to %s has no segment", l.Iface)
		case checkBridgeName(l.Iface) != nil || l.Iface == "lo" || l.Iface == guestIface:
			return fmt.Errorf("%q is no interface name a link may have", l.Iface)
		case ifaces[l.Iface] || segments[l.Segment]:
			return fmt.Errorf("link %s on segment %s repeats an interface or a segment", l.Iface, l.Segment)
		}
		ifaces[l.Iface], segments[l.Segment] = true, true
	}
	return nil
}
