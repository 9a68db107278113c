package netplumb

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// TestConnShareBoundsGuest has alice open and close TCP connections in a
// loop, then open many more connections than her share of the host's
// conntrack table, through the host (UDP and TCP to the outside) and to it
// (UDP to the DNS server): the host tracks no more open ones of hers than
// the share, and her closed ones are gone after closedTCPTimeout, while bob
// still reaches the outside and the DNS server. A restart keeps the table
// and alice's count; teardown removes the table.
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
	for range 4 * share {
		if _, err := dialReport(a.ns, "tcp4", "198.51.100.2:7000", reachable); err != nil {
			t.Fatalf("alice connecting to the outside and closing in a loop: %v", err)
		}
	}
	lastClose := time.Now()
	// Closed connections count against the share until they leave the
	// table (closedTCPTimeout): wait for that, so that the flows below
	// fill the share.
	time.Sleep(time.Until(lastClose.Add((closedTCPTimeout + 2) * time.Second)))
	if open, closed := trackedFrom(t, a.ip); closed != 0 {
		t.Errorf("%ds after her last close, the host tracks %d open and %d closed connections of alice; want none closed", closedTCPTimeout+2, open, closed)
	}
	flows := []string{"198.51.100.2:7000", netip.AddrPortFrom(n.Gateway(), 53).String()}
	for _, to := range flows {
		if err := sendFromPorts(a.ns, to, 4*share); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := dialReport(a.ns, "tcp4", "198.51.100.2:7000", unreachable); err == nil {
		t.Errorf("alice, over her share, connected over TCP to the outside (it saw %q)", got)
	}
	if open, _ := trackedFrom(t, a.ip); open != share {
		t.Errorf("after %d UDP flows and a TCP connection from alice, the host tracks %d open ones of hers; want her share, %d", 8*share, open, share)
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
	if open, closed := trackedFrom(t, a.ip); open != share || closed != 0 {
		t.Errorf("after a restart, the host tracks %d open and %d closed connections of alice; want %d and none", open, closed, share)
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
// ip as their original source: open ones, and closed TCP connections
// (TIME_WAIT, CLOSE), which a ct count does not count.
// Equivalent to: conntrack -L -s IP
func trackedFrom(t *testing.T, ip netip.Addr) (open, closed int) {
	t.Helper()
	for _, line := range strings.Split(run(t, "", "cat", "/proc/net/nf_conntrack"), "\n") {
		switch {
		case firstSource(line) != ip.String():
		case strings.Contains(line, " TIME_WAIT ") || strings.Contains(line, " CLOSE "):
			closed++
		default:
			open++
		}
	}
	return open, closed
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

// TestConnShareTableReplaced sets the table up, again unchanged, then with
// another share: the table holds the rules of the last share, once, and ct
// timeout objects that shorten closed TCP connections only.
func TestConnShareTableReplaced(t *testing.T) {
	if h := newTestHost(t); h == nil {
		return
	}
	const table = "VMHOST-CT-vmtest"
	var s ConnShares = nfConnShares{}
	t.Cleanup(func() { s.Teardown(table) })
	for _, max := range []int{8, 8, 9} {
		if err := s.Set(table, connShare{Bridge: "vmtest", Max: max}); err != nil {
			t.Fatalf("Set with share %d: %v", max, err)
		}
	}
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	same, exists, err := holdsShare(c, inetTable(table), connShare{Bridge: "vmtest", Max: 9})
	if err != nil || !same || !exists {
		t.Errorf("after Set with share 9: holds it %v, exists %v, %v; want both", same, exists, err)
	}
	checkClosedTCPPolicy(t, c, inetTable(table))
	if err := s.Teardown(table); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListTableOfFamily(table, nftables.TableFamilyINet); err == nil {
		t.Errorf("Teardown left table inet %s", table)
	}
}

// checkClosedTCPPolicy wants the ct timeout objects of table to give closed
// TCP connections closedTCPTimeout and established ones the host's own
// timeout (nf_conntrack_tcp_timeout_established).
func checkClosedTCPPolicy(t *testing.T, c *nftables.Conn, table *nftables.Table) {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established")
	if err != nil {
		t.Fatal(err)
	}
	established, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := c.GetNamedObjects(table)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 {
		t.Errorf("table inet %s has %d objects, want 2 ct timeouts", table.Name, len(objs))
	}
	for _, o := range objs {
		named, ok := o.(*nftables.NamedObj)
		ct, isCt := named.Obj.(*expr.CtTimeout)
		if !ok || !isCt {
			t.Errorf("object %v of table inet %s is not a ct timeout", o, table.Name)
			continue
		}
		want := map[uint16]uint32{expr.CtStateTCPTIMEWAIT: closedTCPTimeout, expr.CtStateTCPCLOSE: closedTCPTimeout,
			expr.CtStateTCPESTABLISHED: uint32(established)}
		for state, v := range want {
			if ct.Policy[state] != v {
				t.Errorf("ct timeout %s: state %d has %d s, want %d", named.Name, state, ct.Policy[state], v)
			}
		}
	}
}
