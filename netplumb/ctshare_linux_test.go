package netplumb

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/nftables"
)

// TestConnShareBoundsGuest has alice open many more connections than her
// share of the host's conntrack table, through the host (UDP and TCP to the
// outside) and to it (UDP to the DNS server): the host tracks no more of
// hers than the share, while bob still reaches the outside and the DNS
// server. A restart keeps the table and alice's count; teardown removes the
// table.
func TestConnShareBoundsGuest(t *testing.T) {
	h := newTestHost(t)
	if h == nil {
		return
	}
	const share = 8
	out := h.outside()
	h.serveReport(out, "198.51.100.2:7000")
	cfg := h.config()
	cfg.Bounds.Conntrack = share
	n := h.start(cfg)
	a := h.attach(n, "alice")
	b := h.attach(n, "bob", a)
	flows := []string{"198.51.100.2:7000", netip.AddrPortFrom(n.Gateway(), 53).String()}
	for _, to := range flows {
		if err := sendFromPorts(a.ns, to, 4*share); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := dialReport(a.ns, "tcp4", "198.51.100.2:7000", unreachable); err == nil {
		t.Errorf("alice, over her share, connected over TCP to the outside (it saw %q)", got)
	}
	if got := trackedFrom(t, a.ip); got != share {
		t.Errorf("after %d UDP flows and a TCP connection from alice, the host tracks %d of hers; want her share, %d", 8*share, got, share)
	}
	for _, proto := range []string{"tcp4", "udp4"} {
		if got, err := dialReport(b.ns, proto, "198.51.100.2:7000", reachable); err != nil || got != "198.51.100.1" {
			t.Errorf("%s from bob to the outside while alice holds her share: the outside saw %q, %v; want 198.51.100.1", proto, got, err)
		}
	}
	if got, err := lookup(b.ns, n.Gateway(), guestFQDN(a.id)); err != nil || got != a.ip.String() {
		t.Errorf("bob resolves %s to %q, %v while alice holds her share; want %s", guestFQDN(a.id), got, err, a.ip)
	}

	n.Close()
	n = h.start(cfg)
	h.attach(n, "carol", a, b)
	if got, err := dialReport(a.ns, "udp4", "198.51.100.2:7000", unreachable); err == nil {
		t.Errorf("after a restart, alice, over her share, reached the outside (it saw %q)", got)
	}
	if got := trackedFrom(t, a.ip); got != share {
		t.Errorf("after a restart, the host tracks %d connections of alice; want %d", got, share)
	}
	if err := n.Teardown(); err != nil {
		t.Fatal(err)
	}
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListTableOfFamily(connShareTable(h.prefix), nftables.TableFamilyINet); err == nil {
		t.Errorf("teardown left table inet %s", connShareTable(h.prefix))
	}
}

// sendFromPorts sends one UDP datagram to addr from each of count new
// sockets in ns: count flows, each an entry in the host's conntrack table
// when it passes.
func sendFromPorts(ns, addr string, count int) error {
	return inNetns(ns, func() error {
		for range count {
			c, err := net.Dial("udp4", addr)
			if err != nil {
				return err
			}
			c.Write([]byte("x"))
			c.Close()
		}
		return nil
	})
}

// trackedFrom returns how many entries of the host's conntrack table have
// ip as their original source.
// Equivalent to: conntrack -L -s IP | wc -l
func trackedFrom(t *testing.T, ip netip.Addr) int {
	t.Helper()
	n := 0
	for _, line := range strings.Split(run(t, "", "cat", "/proc/net/nf_conntrack"), "\n") {
		if firstSource(line) == ip.String() {
			n++
		}
	}
	return n
}

// firstSource returns the original source address of a line of
// /proc/net/nf_conntrack: its first src= field.
func firstSource(line string) string {
	for _, f := range strings.Fields(line) {
		if src, ok := strings.CutPrefix(f, "src="); ok {
			return src
		}
	}
	return ""
}
