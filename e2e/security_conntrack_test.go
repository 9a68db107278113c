package e2e

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSecurityConntrackShare: alice's root opens and closes TCP connections
// to an outside host in a loop, then sends UDP to many ports of it, many
// more flows than her share of the host's conntrack table
// (network.bounds.conntrack_per_guest). The host tracks no more open flows
// of hers than the share, and none of her closed TCP connections some
// seconds later; meanwhile bob reaches the outside host, the DNS server
// answers him and his published port answers the host (issue 15).
func TestSecurityConntrackShare(t *testing.T) {
	t.Parallel()
	const share, closedTimeout = 32, 5 // netplumb's closedTCPTimeout
	o := newOutside(t)
	hostPort := freePort(t)
	d := newDaemon(t, daemonOptions{network: fmt.Sprintf("  bounds:\n    conntrack_per_guest: %d\n"+
		"  forwards:\n    - {host_port: %d, guest: bob, guest_port: 8080, proto: tcp}\n", share, hostPort)})
	d.uploadAttacker(t, "alice")
	alice, gw := d.guestAddr(t, "alice"), d.gateway(t)
	d.serveWWW(t, "bob", 8080, "bob-page")

	f := d.attack(t, "alice", "ct-flood", o.addr.String(), strconv.Itoa(o.port), strconv.Itoa(4*share), strconv.Itoa(8*share))
	done := time.Now()
	if f["tcp_connected"] != strconv.Itoa(4*share) || f["udp_sent"] != strconv.Itoa(8*share) {
		t.Errorf("alice's flood: %v; want %d TCP connections made and %d datagrams sent", f, 4*share, 8*share)
	}
	open, closed := conntrackFrom(t, alice)
	t.Logf("after alice's flood, the host tracks %d open and %d closed connections of hers", open, closed)
	if open > share || open < share/2 {
		t.Errorf("after %d flows from alice, the host tracks %d open ones of hers; want at most her share, %d (and her flood to have reached it)",
			12*share, open, share)
	}
	if out, _, code := d.ssh(t, "alice", fmt.Sprintf("nc -w 2 %s %d </dev/null", o.addr, o.port)); code == 0 && out != "" {
		t.Errorf("alice, at her share, still opened a connection to the outside host: %q", out)
	}

	want := fmt.Sprintf("outside-saw %s\n", o.hostAddr)
	if out, errOut, code := d.ssh(t, "bob", fmt.Sprintf("nc -w 5 %s %d </dev/null", o.addr, o.port)); code != 0 || out != want {
		t.Errorf("bob to the outside host while alice holds her share: exit %d, %q (stderr %q); want %q", code, out, errOut, want)
	}
	if out, _, code := d.ssh(t, "bob", "nslookup alice.vmhost "+gw.String()); code != 0 || !strings.Contains(out, alice.String()) {
		t.Errorf("bob's nslookup alice.vmhost while alice holds her share: exit %d, %q; want %s", code, out, alice)
	}
	if body, err := httpGet(fmt.Sprintf("127.0.0.1:%d", hostPort)); err != nil || !strings.Contains(body, "bob-page") {
		t.Errorf("bob's published port while alice holds her share: %q, %v; want bob's page", body, err)
	}

	time.Sleep(time.Until(done.Add((closedTimeout + 2) * time.Second)))
	if open, closed := conntrackFrom(t, alice); open > share || closed != 0 {
		t.Errorf("%ds after alice's flood, the host tracks %d open and %d closed connections of hers; want at most %d, and none closed",
			closedTimeout+2, open, closed, share)
	}
}

// conntrackFrom returns how many entries of the host's conntrack table have
// ip as their original source: open ones, and closed TCP connections
// (TIME_WAIT, CLOSE).
// Equivalent to: conntrack -L -s IP
func conntrackFrom(t *testing.T, ip netip.Addr) (open, closed int) {
	t.Helper()
	table, err := os.ReadFile("/proc/net/nf_conntrack")
	if err != nil {
		t.Fatalf("reading the host's conntrack table: %v", err)
	}
	for _, line := range strings.Split(string(table), "\n") {
		_, rest, _ := strings.Cut(line, " src=")
		switch src, _, _ := strings.Cut(rest, " "); {
		case src != ip.String():
		case strings.Contains(line, " TIME_WAIT ") || strings.Contains(line, " CLOSE "):
			closed++
		default:
			open++
		}
	}
	return open, closed
}
