package netplumb

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// config6 returns the test's network with IPv6 in a random ULA /64.
func (h *testHost) config6() Config {
	cfg := h.config()
	b := []byte(randomHex(2))
	cfg.Subnet6 = netip.MustParsePrefix(fmt.Sprintf("fd00:db8:%s::/64", b))
	cfg.NAT6 = true
	return cfg
}

// requireIP6tables skips the test without ip6tables and its nat table.
func requireIP6tables(t *testing.T) {
	t.Helper()
	requireCommand(t, "ip6tables")
	if out, err := exec.Command("ip6tables", "-t", "nat", "-S").CombinedOutput(); err != nil {
		t.Skipf("skipping: the kernel has no ip6tables nat table: %v: %s", err, out)
	}
}

// outside6 links the outside machine ns to the host over IPv6 as well:
// the host at 2001:db8:ffff::1/64 on <prefix>-up, the outside at ::2 with no
// route to any guest subnet.
func (h *testHost) outside6(ns string) netip.Addr {
	up := h.prefix + "-up"
	run(h.t, "", "ip", "addr", "add", "2001:db8:ffff::1/64", "dev", up, "nodad")
	run(h.t, ns, "ip", "addr", "add", "2001:db8:ffff::2/64", "dev", "eth0", "nodad")
	return netip.MustParseAddr("2001:db8:ffff::2")
}

// TestNetwork6 checks a guest's IPv6: its addresses, the gateway reachable,
// a host beyond reached through NAT66 (seeing the host's address), names
// answered with AAAA over IPv6, another guest out of reach with isolation,
// the host's services out of reach, the bridge deaf to router
// advertisements, and teardown leaving no ip6tables rule.
func TestNetwork6(t *testing.T) {
	h := newTestHost(t)
	if h == nil {
		return
	}
	requirePing(t)
	requireIP6tables(t)
	requireNftBridge(t)
	out := h.outside()
	far := h.outside6(out)
	h.serveReport6(out, netip.AddrPortFrom(far, 7007).String())
	cfg := h.config6()
	n := h.start(cfg)
	a := h.attach(n, "alice")
	b := h.attach(n, "bob", a)
	a6, b6, gw6 := n.Address6(a.ip), n.Address6(b.ip), n.Gateway6()

	if got := addrs6(t, a.ns); !strings.Contains(got, a6.String()+"/64") || !strings.Contains(got, LinkLocal(GuestMAC(a.ip)).String()+"/64") {
		t.Errorf("alice's IPv6 addresses = %s; want %s/64 and %s/64", got, a6, LinkLocal(GuestMAC(a.ip)))
	}
	if err := n.Attach("alice", a.ip, "/run/netns/"+a.ns); err != nil { // as a restarted daemon does
		t.Fatalf("attaching alice again: %v", err)
	}
	if !h.ping(a.ns, gw6) || !h.ping("", b6) {
		t.Fatalf("alice cannot ping the gateway %s, or the host bob %s", gw6, b6)
	}
	if got, err := dialReport(a.ns, "tcp6", netip.AddrPortFrom(far, 7007).String(), reachable); err != nil || got != "2001:db8:ffff::1" {
		t.Errorf("alice to the outside %s over NAT66: %q, %v; want it to see 2001:db8:ffff::1", far, got, err)
	}
	if h.answersPing(a.ns, b6) {
		t.Errorf("alice pings bob at %s with isolation on", b6)
	}
	h.serveReport6("", "[::]:7008")
	if got, err := dialReport(a.ns, "tcp6", netip.AddrPortFrom(gw6, 7008).String(), unreachable); err == nil {
		t.Errorf("alice reached a host service on [%s]:7008: %q", gw6, got)
	}
	if got := lookupAAAA(t, a.ns, netip.AddrPortFrom(gw6, 53), "bob.vmhost.", dns.TypeAAAA); got != b6.String() {
		t.Errorf("alice's AAAA query for bob.vmhost to [%s]:53 = %q, want %s", gw6, got, b6)
	}
	if v := readSysctl(t, "ipv6/conf/"+h.prefix+"/accept_ra"); v != "0" {
		t.Errorf("the bridge's accept_ra = %s, want 0", v)
	}
	if err := n.Teardown(); err != nil {
		t.Fatal(err)
	}
	if got := run(t, "", "ip6tables-save"); strings.Contains(got, "VMHOST-") {
		t.Errorf("after teardown, ip6tables holds the daemon's rules:\n%s", got)
	}
}

// spoofed6 is what alice's forged IPv6 frames achieved.
type spoofed6 struct {
	AnswersAtBob   int  // DNS answers sent to bob for queries forged as his
	MovedBobsNeigh bool // the host's neighbour entry for bob's address has alice's MAC
	RAOnBridge     bool // alice's router advertisement reached the bridge
	OwnAnswered    bool // alice's own DNS query got its answer
}

func TestPortFilter6StopsSpoofing(t *testing.T) {
	if h := newTestHost(t); h != nil {
		requireNftBridge(t)
		got := spoof6(t, h, nil)
		want := spoofed6{OwnAnswered: true}
		if got != want {
			t.Errorf("alice's forged IPv6 frames achieved %+v, want %+v", got, want)
		}
	}
}

// TestSpoofing6WithoutPortFilter shows that the IPv6 spoofing test sees the
// attacks succeed on a network without port filters.
func TestSpoofing6WithoutPortFilter(t *testing.T) {
	if h := newTestHost(t); h != nil {
		got := spoof6(t, h, noFilter{})
		want := spoofed6{AnswersAtBob: 1, MovedBobsNeigh: true, RAOnBridge: true, OwnAnswered: true}
		if got != want {
			t.Errorf("without port filters, alice's forged IPv6 frames achieved %+v, want %+v", got, want)
		}
	}
}

// spoof6 attaches alice and bob, without isolation (so that only the port
// filter stands between them), to a network whose port filter is filter
// (nil: the real one), lets alice send forged IPv6 frames and says what
// they achieved.
func spoof6(t *testing.T, h *testHost, filter PortFilter) spoofed6 {
	requirePing(t)
	requireIP6tables(t)
	cfg := h.config6()
	cfg.Filter, cfg.Isolate = filter, false
	n := h.start(cfg)
	a := h.attach(n, "alice")
	b := h.attach(n, "bob", a)
	a6, b6, gw6 := n.Address6(a.ip), n.Address6(b.ip), n.Gateway6()
	if !h.ping("", b6) || !h.ping(a.ns, gw6) {
		t.Fatal("the guests and the host cannot ping each other over IPv6")
	}
	aliceMAC, bobMAC, gwMAC := GuestMAC(a.ip), GuestMAC(b.ip), bridgeMAC(h.prefix)
	if mac := neighMAC(t, h.prefix, b6); mac != bobMAC.String() {
		t.Fatalf("before the attack, the host has bob's %s at %q, want %s", b6, mac, bobMAC)
	}
	const port = 5399
	atBob := listenUDP(t, b.ns, netip.AddrPortFrom(netip.IPv6Unspecified(), port))
	atAlice := listenUDP(t, a.ns, netip.AddrPortFrom(netip.IPv6Unspecified(), port))
	capt := startCapture(t, h.prefix)
	var got spoofed6

	query, _ := new(dns.Msg).SetQuestion("alice.vmhost.", dns.TypeAAAA).Pack()
	dnsAt := netip.AddrPortFrom(gw6, 53)
	sendFrames(t, a.ns, "eth0", ethFrame(gwMAC, aliceMAC, 0, ethIPv6, udp6Packet(netip.AddrPortFrom(b6, port), dnsAt, query)))
	time.Sleep(300 * time.Millisecond)
	got.AnswersAtBob = count(atBob)
	sendFrames(t, a.ns, "eth0", ethFrame(gwMAC, aliceMAC, 0, ethIPv6, udp6Packet(netip.AddrPortFrom(a6, port), dnsAt, query)))

	sendFrames(t, a.ns, "eth0", ethFrame(allNodesMAC, aliceMAC, 0, ethIPv6, neighborAdvert(a6, b6, aliceMAC)))
	sendFrames(t, a.ns, "eth0", ethFrame(allNodesMAC, aliceMAC, 0, ethIPv6, routerAdvert(LinkLocal(aliceMAC), aliceMAC, "router-advert")))
	time.Sleep(300 * time.Millisecond)
	got.OwnAnswered = count(atAlice) > 0
	got.MovedBobsNeigh = neighMAC(t, h.prefix, b6) == aliceMAC.String()
	got.RAOnBridge = capt.seen("router-advert")["router-advert"] > 0
	if routes := run(t, "", "ip", "-6", "route"); strings.Contains(routes, "proto ra") {
		t.Errorf("the host learned a route from a router advertisement:\n%s", routes)
	}
	return got
}

// serveReport6 serves TCP on addr, an IPv6 one, in ns: each connection gets
// the address of its sender.
func (h *testHost) serveReport6(ns, addr string) {
	h.t.Helper()
	var l net.Listener
	if err := inNetns(ns, func() (err error) { l, err = net.Listen("tcp6", addr); return err }); err != nil {
		h.t.Fatalf("listening on %s in %q: %v", addr, ns, err)
	}
	h.t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(c.RemoteAddr().(*net.TCPAddr).IP.String()))
			c.Close()
		}
	}()
}

// addrs6 lists the IPv6 addresses of eth0 in ns.
func addrs6(t *testing.T, ns string) string {
	return run(t, ns, "ip", "-6", "-o", "addr", "show", "dev", "eth0")
}

// lookupAAAA asks server from ns for name's records of qtype and returns the
// first answer's value, or the error.
func lookupAAAA(t *testing.T, ns string, server netip.AddrPort, name string, qtype uint16) string {
	t.Helper()
	var got string
	err := inNetns(ns, func() error {
		c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
		resp, _, err := c.Exchange(new(dns.Msg).SetQuestion(name, qtype), server.String())
		if err != nil {
			return err
		}
		for _, rr := range resp.Answer {
			if aaaa, ok := rr.(*dns.AAAA); ok {
				got = aaaa.AAAA.String()
			}
		}
		return nil
	})
	if err != nil {
		return err.Error()
	}
	return got
}

// readSysctl reads /proc/sys/net/KEY.
func readSysctl(t *testing.T, key string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/" + key)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
