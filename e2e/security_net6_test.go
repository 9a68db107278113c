package e2e

import (
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestSecurityNet6Spoof: alice's root takes bob's IPv6 address, announces it
// with forged neighbour advertisements, sends router advertisements offering
// herself as router and a prefix, and sends DNS queries with bob's IPv6
// address as source. The host's neighbour entry for bob keeps bob's MAC,
// bob's published port is still answered by bob over IPv6, neither the host
// nor bob learns a route or prefix, the advertisements never reach the
// bridge, and bob gets no DNS answers (issue 15, IPv6).
func TestSecurityNet6Spoof(t *testing.T) {
	t.Parallel()
	hostPort := freePort(t)
	d := newDaemon(t, daemonOptions{network: fmt.Sprintf(
		"  forwards:\n    - {host_port: %d, guest: bob, guest_port: 8080, proto: tcp}\n", hostPort)})
	d.uploadAttacker(t, "alice")
	d.uploadAttacker(t, "bob")
	gw6, bob6, bobMAC := d.gateway6(t), d.guestAddr6(t, "bob"), d.guestMAC(t, "bob")
	d.serveWWW(t, "bob", 8080, "bob-page")
	published := netip.AddrPortFrom(gw6, uint16(hostPort)).String()
	if body, err := httpGet(published); err != nil || !strings.Contains(body, "bob-page") {
		t.Fatalf("before the attack, the published port %s: %q, %v; want bob's page", published, body, err)
	}
	if mac := neighMAC(t, d.cfg.bridge, bob6); mac != bobMAC {
		t.Fatalf("before the attack, the host has bob's %s at %q, want %s", bob6, mac, bobMAC)
	}
	d.mustSSH(t, "alice", "ip -6 addr add "+bob6.String()+"/128 dev eth0")
	d.serveWWW(t, "alice", 8080, "alice-fake-bob")
	capt := captureBridge(t, d.cfg.bridge)
	answers := d.attackInBackground(t, "bob", "udp6-count", "5399", "6")

	// The forged queries first: once the host sent bob's traffic to alice,
	// their answers would not reach bob either.
	from, dns := netip.AddrPortFrom(bob6, 5399).String(), netip.AddrPortFrom(gw6, 53).String()
	if f := d.attack(t, "alice", "udp6-forged", from, dns, "dns", "3"); f["sent"] != "3" {
		t.Errorf("alice sending from %s to %s: %v, want sent=3", from, dns, f)
	}
	d.attack(t, "alice", "na-spoof", bob6.String(), "5")
	d.attack(t, "alice", "ra6", "2001:db8:bad::", "ra-from-alice", "3")
	time.Sleep(time.Second)

	if mac := neighMAC(t, d.cfg.bridge, bob6); mac != bobMAC {
		t.Errorf("after alice's advertisements, the host has bob's %s at %q, want %s", bob6, mac, bobMAC)
	}
	if body, err := httpGet(published); err != nil || !strings.Contains(body, "bob-page") {
		t.Errorf("after the attack, the published port %s: %q, %v; want bob's page", published, body, err)
	}
	if n := capt.seen("ra-from-alice")["ra-from-alice"]; n != 0 {
		t.Errorf("%d of alice's router advertisements reached the bridge", n)
	}
	for login, routes := range map[string]string{"the host": runHost(t, "ip", "-6", "route"), "bob": d.mustSSH(t, "bob", "ip -6 route; ip -6 addr")} {
		if strings.Contains(routes, "proto ra") || strings.Contains(routes, "2001:db8:bad") {
			t.Errorf("%s learned from alice's router advertisement:\n%s", login, routes)
		}
	}
	if f := <-answers; f["count"] != "0" {
		t.Errorf("bob got %s datagrams answering alice's queries forged as his, want 0", f["count"])
	}
}

// runHost runs a command on the host and returns its output, failing the
// test if it fails.
func runHost(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
