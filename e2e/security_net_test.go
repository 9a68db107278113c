package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// udpForward is the network section line that publishes host UDP port
// hostPort to guestPort of login's guest.
func udpForward(hostPort int, login string, guestPort int) string {
	return fmt.Sprintf("  forwards:\n    - {host_port: %d, guest: %s, guest_port: %d, proto: udp}\n", hostPort, login, guestPort)
}

// TestSecurityNetForgedSources: alice's root sends datagrams with forged
// sources (the host's 127.0.0.2, bob's address, the gateway's) to a published
// UDP port and to the DNS server. Neither the relay's nor the DNS server's
// answers reach a service on the host or bob's guest (issue 14, item 7).
func TestSecurityNetForgedSources(t *testing.T) {
	t.Parallel()
	hostPort := freePort(t)
	d := newDaemon(t, daemonOptions{network: udpForward(hostPort, "bob", 7)})
	d.uploadAttacker(t, "alice")
	d.uploadAttacker(t, "bob")
	gw, bob := d.gateway(t), d.guestAddr(t, "bob")
	const port = 5399
	echo := d.attackInBackground(t, "bob", "udp-echo", "7", "40")
	atBob := d.attackInBackground(t, "bob", "udp-echo", strconv.Itoa(port), "40")
	atHost := []*udpCounter{
		countUDP(t, fmt.Sprintf("127.0.0.2:%d", port)),
		countUDP(t, netip.AddrPortFrom(gw, port).String()),
	}
	if got := askUDP(netip.AddrPortFrom(bob, port).String(), 20*time.Second); got != "echo:probe" {
		t.Fatalf("bob's listener on port %d does not answer the host: %q", port, got)
	}
	published := netip.AddrPortFrom(gw, uint16(hostPort)).String()
	if f := d.attack(t, "alice", "udp-ask", published, "10"); f["answer"] != "echo:ask" {
		t.Fatalf("alice's own datagram to the published port %s got %q, want bob's echo", published, f["answer"])
	}
	for _, src := range []netip.Addr{netip.MustParseAddr("127.0.0.2"), bob, gw} {
		for _, dst := range []string{published, netip.AddrPortFrom(gw, 53).String()} {
			from := netip.AddrPortFrom(src, port).String()
			if f := d.attack(t, "alice", "udp-forged", from, dst, "dns", "3"); f["sent"] != "3" {
				t.Errorf("alice sending from %s to %s: sent %q, want 3", from, dst, f["sent"])
			}
		}
	}
	time.Sleep(time.Second)
	for i, c := range atHost {
		if n := c.n.Load(); n != 0 {
			t.Errorf("the host's listener %d got %d datagrams answering alice's forged ones, want 0", i, n)
		}
	}
	if f := <-atBob; f["count"] != "0" {
		t.Errorf("bob's guest got %s datagrams answering alice's forged ones, want 0", f["count"])
	}
	if f := <-echo; f["count"] != "1" {
		t.Errorf("bob's published service got %s datagrams, want 1 (alice's own)", f["count"])
	}
}

// TestSecurityNetARPSpoof: alice's root takes bob's address and announces it
// with gratuitous ARP. The host's neighbour entry for bob keeps bob's MAC and
// bob's published port is still answered by bob (issue 15).
func TestSecurityNetARPSpoof(t *testing.T) {
	t.Parallel()
	hostPort := freePort(t)
	d := newDaemon(t, daemonOptions{network: fmt.Sprintf(
		"  forwards:\n    - {host_port: %d, guest: bob, guest_port: 8080, proto: tcp}\n", hostPort)})
	d.uploadAttacker(t, "alice")
	bob, bobMAC := d.guestAddr(t, "bob"), d.guestMAC(t, "bob")
	d.serveWWW(t, "bob", 8080, "bob-page")
	d.mustSSH(t, "alice", "ip addr add "+bob.String()+"/32 dev eth0")
	d.serveWWW(t, "alice", 8080, "alice-fake-bob")
	addr := fmt.Sprintf("127.0.0.1:%d", hostPort)
	if body, err := httpGet(addr); err != nil || !strings.Contains(body, "bob-page") {
		t.Fatalf("GET %s before the attack: %q, %v; want bob's page", addr, body, err)
	}
	if got := neighMAC(t, d.cfg.bridge, bob); got != bobMAC {
		t.Fatalf("before the attack, the host's neighbour entry for bob is %q, want %s", got, bobMAC)
	}
	if f := d.attack(t, "alice", "garp", bob.String(), "5"); f["sent"] != "10" {
		t.Errorf("alice's gratuitous ARP: sent %q, want 10", f["sent"])
	}
	time.Sleep(300 * time.Millisecond)
	if got := neighMAC(t, d.cfg.bridge, bob); got != bobMAC {
		t.Errorf("after alice's gratuitous ARP, the host's neighbour entry for bob is %q, want bob's %s", got, bobMAC)
	}
	if body, err := httpGet(addr); err != nil || !strings.Contains(body, "bob-page") {
		t.Errorf("GET %s after alice's gratuitous ARP: %q, %v; want bob's page", addr, body, err)
	}
}

// TestSecurityNetForgedFrames: alice's root sends a frame with bob's MAC as
// its source, and a VLAN-tagged frame. Bob's MAC stays on bob's port of the
// bridge, and neither frame reaches the bridge, while alice's own does.
func TestSecurityNetForgedFrames(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	d.uploadAttacker(t, "alice")
	gw := d.gateway(t).String()
	bobMAC, aliceMAC := d.guestMAC(t, "bob"), d.guestMAC(t, "alice")
	d.mustSSH(t, "bob", "ping -c 1 -W 5 "+gw)
	d.mustSSH(t, "alice", "ping -c 1 -W 5 "+gw)
	bobPort, alicePort := fdbPort(t, d.cfg.bridge, bobMAC), fdbPort(t, d.cfg.bridge, aliceMAC)
	if bobPort == "" || alicePort == "" || bobPort == alicePort {
		t.Fatalf("before the attack, the bridge has bob's MAC on %q and alice's on %q; want two ports", bobPort, alicePort)
	}
	tag := fmt.Sprintf("%06x", rand.IntN(1<<24))
	stolen, tagged, control := "stolen-mac-"+tag, "tagged-"+tag, "control-"+tag
	capture := captureBridge(t, d.cfg.bridge)
	d.attack(t, "alice", "frame", "-src", bobMAC, stolen)
	if got := fdbPort(t, d.cfg.bridge, bobMAC); got != bobPort {
		t.Errorf("after alice sent frames from bob's MAC, the bridge has it on %q, want bob's port %s", got, bobPort)
	}
	d.attack(t, "alice", "frame", "-vlan", "5", tagged)
	d.attack(t, "alice", "frame", control)
	time.Sleep(200 * time.Millisecond)
	seen := capture.seen(stolen, tagged, control)
	if seen[control] == 0 || seen[stolen] != 0 || seen[tagged] != 0 {
		t.Errorf("frames from alice on the bridge: %v; want only %s (her own)", seen, control)
	}
}

// TestSecurityNetUDPFlood: alice's root sends 5,000 datagrams from as many
// source ports to a published UDP port. The daemon's descriptors stay
// bounded, and the port still answers bob and the host (issue 14, item 6).
func TestSecurityNetUDPFlood(t *testing.T) {
	t.Parallel()
	hostPort := freePort(t)
	d := newDaemon(t, daemonOptions{network: udpForward(hostPort, "bob", 7)})
	d.uploadAttacker(t, "alice")
	d.uploadAttacker(t, "bob")
	echo := d.attackInBackground(t, "bob", "udp-echo", "7", "40")
	published := netip.AddrPortFrom(d.gateway(t), uint16(hostPort)).String()
	if f := d.attack(t, "bob", "udp-ask", published, "20"); f["answer"] != "echo:ask" {
		t.Fatalf("bob's datagram to his published port %s got %q, want his echo", published, f["answer"])
	}
	before := d.openFDs(t)
	if f := d.attack(t, "alice", "udp-flood", published, "5000"); f["sent"] != "5000" {
		t.Errorf("alice's flood: sent %q, want 5000", f["sent"])
	}
	if grew := d.openFDs(t) - before; grew > 64 {
		t.Errorf("after alice's flood, the daemon holds %d more descriptors, want at most 64", grew)
	}
	if f := d.attack(t, "bob", "udp-ask", published, "5"); f["answer"] != "echo:ask" {
		t.Errorf("after alice's flood, bob's datagram to %s got %q, want his echo", published, f["answer"])
	}
	local := fmt.Sprintf("127.0.0.1:%d", hostPort)
	if got := askUDP(local, 5*time.Second); got != "echo:probe" {
		t.Errorf("after alice's flood, the host's datagram to %s got %q, want bob's echo", local, got)
	}
	<-echo
}

// TestSecurityNetDNSFlood: alice's root keeps a thousand DNS-over-TCP
// connections to the gateway open, reopening each one the daemon closes. The
// daemon's descriptors stay bounded and bob's lookups still answer (issue
// 14, item 6).
func TestSecurityNetDNSFlood(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{})
	d.uploadAttacker(t, "alice")
	gw := d.gateway(t).String()
	alice := d.guestAddr(t, "alice")
	d.mustSSH(t, "bob", "true") // bob's guest runs before the flood
	before := d.openFDs(t)
	hold := d.attackInBackground(t, "alice", "tcp-hold", gw+":53", "1000", "20")
	time.Sleep(5 * time.Second)
	most := 0
	for range 5 {
		most = max(most, d.openFDs(t)-before)
		time.Sleep(time.Second)
	}
	start := time.Now()
	out, _, code := d.ssh(t, "bob", "nslookup alice.vmhost "+gw)
	if code != 0 || !strings.Contains(out, alice.String()) {
		t.Errorf("during alice's flood, bob's nslookup alice.vmhost: exit %d, %q; want %s", code, out, alice)
	}
	t.Logf("during alice's flood, bob's login and lookup took %v", time.Since(start))
	f := <-hold
	t.Logf("alice's flood: %s connections made, %s held to the end; the daemon held at most %d more descriptors",
		f["connects"], f["open"], most)
	if most > 64 {
		t.Errorf("during alice's flood, the daemon held %d more descriptors, want at most 64", most)
	}
	if n, _ := strconv.Atoi(f["connects"]); n < 1000 {
		t.Errorf("alice's flood made %q connections, want at least 1000", f["connects"])
	}
}
