package netplumb

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Counters returns the bytes the guest received and sent on its link,
// counted on the host's end of its veth pair: what the guest sends there
// is what that end receives. A guest's root can make interfaces of its own
// and send between them, but cannot move these counters but by real
// traffic through its link.
// Equivalent to: cat /sys/class/net/VETH/statistics/{tx,rx}_bytes
func (n *Network) Counters(guestID string) (rx, tx uint64, err error) {
	dir := filepath.Join("/sys/class/net", vethName(n.cfg.Bridge, guestID), "statistics")
	if rx, err = readCounter(filepath.Join(dir, "tx_bytes")); err != nil {
		return 0, 0, err
	}
	if tx, err = readCounter(filepath.Join(dir, "rx_bytes")); err != nil {
		return 0, 0, err
	}
	return rx, tx, nil
}

// readCounter reads one number of a sysfs statistics file.
func readCounter(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("reading the link's counters: %w", err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", path, err)
	}
	return v, nil
}
