package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// TestSecurityLabMACFlood floods s01's segment from s01's pc with frames
// from 5,000 source MAC addresses: no segment bridge learns any of them, and
// the segment still works.
func TestSecurityLabMACFlood(t *testing.T) {
	t.Parallel()
	d := newLabDaemon(t)
	d.mustSSH(t, "s01", "ip addr add 10.0.0.1/24 dev eth1")
	d.mustSSH(t, "s01+router", "ip addr add 10.0.0.2/24 dev eth1")
	d.uploadAttacker(t, "s01")
	facts := d.attack(t, "s01", "lab-macflood", "eth1", "5000")
	if facts["sent"] != "5000" {
		t.Fatalf("the flood sent %q frames, want 5000", facts["sent"])
	}
	if n := labLearned(t, d.runDir); n > 0 {
		t.Errorf("the segments' bridges learned %d of the flood's addresses, want none", n)
	}
	if !d.pings(t, "s01", "10.0.0.2") {
		t.Errorf("after the flood, s01's pc does not reach s01's router over eth1")
	}
}

// labLearned counts the entries of the segments' bridges' forwarding
// databases for the flood's addresses (02:4c:...).
// Equivalent to: nsenter --net=RUN_DIR/labnet/ns bridge fdb show | grep -c ^02:4c
func labLearned(t *testing.T, runDir string) int {
	t.Helper()
	ns, err := netns.GetFromPath(filepath.Join(runDir, "labnet", "ns"))
	if err != nil {
		t.Fatalf("opening the segments' namespace: %v", err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	fdb, err := h.NeighList(0, unix.AF_BRIDGE)
	if err != nil {
		t.Fatalf("listing the segments' forwarding databases: %v", err)
	}
	n := 0
	for _, e := range fdb {
		if strings.HasPrefix(e.HardwareAddr.String(), "02:4c:") {
			n++
		}
	}
	return n
}
