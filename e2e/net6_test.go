package e2e

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// inet6RE matches the address of `ip -6 -o addr show dev eth0 scope global`.
var inet6RE = regexp.MustCompile(`inet6 ([0-9a-f:]+)/64`)

// guestAddr6 returns the global IPv6 address of eth0 in the guest login
// lands in.
func (d *daemon) guestAddr6(t testing.TB, login string) netip.Addr {
	t.Helper()
	out := d.mustSSH(t, login, "ip -6 -o addr show dev eth0 scope global")
	m := inet6RE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("%s: no global IPv6 address on eth0: %q", login, out)
	}
	return netip.MustParseAddr(m[1])
}

// gateway6 returns the IPv6 gateway of the daemon's guests: the first
// address of the bridge's /64.
func (d *daemon) gateway6(t testing.TB) netip.Addr {
	t.Helper()
	l, err := netlink.LinkByName(d.cfg.bridge)
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := netlink.AddrList(l, unix.AF_INET6)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && !ip.IsLinkLocalUnicast() {
			return ip
		}
	}
	t.Fatalf("bridge %s has no global IPv6 address", d.cfg.bridge)
	return netip.Addr{}
}

// httpGetIn fetches / from addr inside the network namespace ns.
func httpGetIn(t testing.TB, ns netns.NsHandle, addr string) (string, error) {
	t.Helper()
	type result struct {
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // the thread dies with the goroutine, in ns
		if err := netns.Set(ns); err != nil {
			done <- result{"", err}
			return
		}
		body, err := httpGet(addr)
		done <- result{body, err}
	}()
	r := <-done
	return r.body, r.err
}

// TestNetwork6 checks a guest's IPv6 end to end: its address in the /64 of
// the bridge, ping -6 to the gateway, a host beyond the machine reached
// through NAT66 (seeing the host's address), another guest's name answered
// with its IPv6 address, another guest out of reach with isolation, a host
// service out of reach over IPv6, a published port reached over IPv6 by
// another machine and by the host, and teardown leaving no ip6tables rule
// (checked for every test's daemon in cleanup).
func TestNetwork6(t *testing.T) {
	t.Parallel()
	o := newOutside(t)
	hostPort := freePort(t)
	d := newDaemon(t, daemonOptions{network: fmt.Sprintf(
		"  forwards:\n    - {host_port: %d, guest: bob, guest_port: 8080, proto: tcp}\n", hostPort)})
	d.uploadAttacker(t, "alice")
	gw6, alice6, bob6 := d.gateway6(t), d.guestAddr6(t, "alice"), d.guestAddr6(t, "bob")
	if !sameNet64(gw6, alice6) || !sameNet64(gw6, bob6) || alice6 == bob6 {
		t.Fatalf("gateway %s, alice %s, bob %s: want three addresses of one /64", gw6, alice6, bob6)
	}
	if out, _, code := d.ssh(t, "alice", "ping -6 -c1 -W3 "+gw6.String()); code != 0 {
		t.Errorf("alice: ping -6 %s: exit %d: %s", gw6, code, out)
	}
	far := netip.AddrPortFrom(o.addr6, uint16(o.port6)).String()
	if f := d.attack(t, "alice", "tcp6-ask", far, "5"); f["answer"] != "outside-saw "+o.hostAddr6.String() {
		t.Errorf("alice to the outside host %s over NAT66: %v; want it to see %s", far, f, o.hostAddr6)
	}
	if f := d.attack(t, "alice", "aaaa", "bob.vmhost"); f["aaaa"] != bob6.String() {
		t.Errorf("alice's AAAA lookup of bob.vmhost: %v, want %s", f, bob6)
	}
	d.serveWWW(t, "bob", 8080, "bob-page6")
	if out, _, code := d.ssh(t, "alice", "ping -6 -c1 -W2 "+bob6.String()); code == 0 {
		t.Errorf("alice pings bob at %s with isolation on: %s", bob6, out)
	}
	ln := listenHost6(t)
	for _, ip := range []netip.Addr{gw6, o.hostAddr6} {
		addr := netip.AddrPortFrom(ip, ln).String()
		if f := d.attack(t, "alice", "tcp6-ask", addr, "2"); f["answer"] != "" {
			t.Errorf("alice reached the host's service on %s: %v", addr, f)
		}
	}
	if body, err := httpGetIn(t, o.ns, netip.AddrPortFrom(o.hostAddr6, uint16(hostPort)).String()); err != nil || !strings.Contains(body, "bob-page6") {
		t.Errorf("the outside host to the published port [%s]:%d: %q, %v; want bob's page", o.hostAddr6, hostPort, body, err)
	}
	if body, err := httpGet(netip.AddrPortFrom(gw6, uint16(hostPort)).String()); err != nil || !strings.Contains(body, "bob-page6") {
		t.Errorf("the host to the published port [%s]:%d: %q, %v; want bob's page", gw6, hostPort, body, err)
	}
}

// listenHost6 serves TCP on every IPv6 address of the host until the test
// ends, and returns its port: a host service no guest may reach.
func listenHost6(t testing.TB) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp6", "[::]:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "host-service\n")
			c.Close()
		}
	}()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// TestNetwork6IsolateOff checks that with isolate: false guests reach each
// other over IPv6 by name, as over IPv4.
func TestNetwork6IsolateOff(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, daemonOptions{network: "  isolate: false\n"})
	d.uploadAttacker(t, "bob")
	d.serveWWW(t, "alice+web", 8080, "web-page6")
	if f := d.attack(t, "bob", "tcp6-ask", "web.alice.vmhost:8080", "5"); !strings.HasPrefix(f["answer"], "HTTP/1") {
		t.Errorf("bob to web.alice.vmhost:8080 over IPv6 with isolation off: %v, want an HTTP answer", f)
	}
}

// sameNet64 reports whether a and b share their first 64 bits.
func sameNet64(a, b netip.Addr) bool {
	p, _ := a.Prefix(64)
	return p.Contains(b)
}
