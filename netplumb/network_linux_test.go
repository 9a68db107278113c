package netplumb

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/vishvananda/netlink"
)

func TestStartIsIdempotent(t *testing.T) {
	h := newTestHost(t)
	if h == nil {
		return
	}
	n := h.start(h.config())
	a := h.attach(n, "alice")
	h.attach(n, "bob", a)
	br1, _ := netlink.LinkByName(h.prefix)
	veth1, _ := netlink.LinkByName(vethName(h.prefix, "alice"))
	n.Close()
	// Bob's guest goes away while the daemon is down.
	run(t, "", "ip", "link", "del", vethName(h.prefix, "bob"))

	// The daemon restarts: same bridge, same rules, the guest's link kept.
	n2 := h.start(h.config())
	if err := n2.Attach("alice", a.ip, "/run/netns/"+a.ns); err != nil {
		t.Fatal(err)
	}
	br2, err := netlink.LinkByName(h.prefix)
	if err != nil || br2.Attrs().Index != br1.Attrs().Index {
		t.Errorf("after a restart, bridge = %v, %v; want the same bridge, index %d", br2, err, br1.Attrs().Index)
	}
	addrs, _ := netlink.AddrList(br2, netlink.FAMILY_V4)
	if len(addrs) != 1 || addrs[0].IPNet.String() != netip.PrefixFrom(n.Gateway(), 24).String() {
		t.Errorf("bridge addresses = %v, want only %s/24", addrs, n.Gateway())
	}
	veth2, err := netlink.LinkByName(vethName(h.prefix, "alice"))
	if err != nil || veth2.Attrs().Index != veth1.Attrs().Index {
		t.Errorf("after a restart, alice's veth = %v, %v; want the same link, index %d", veth2, err, veth1.Attrs().Index)
	}
	save := run(t, "", "iptables-save")
	for _, jump := range []string{
		"-A FORWARD -j VMHOST-" + h.prefix + "-FWD",
		"-A INPUT -j VMHOST-" + h.prefix + "-IN",
		"-A POSTROUTING -j VMHOST-" + h.prefix + "-NAT",
		"-A PREROUTING -j VMHOST-" + h.prefix + "-DNAT",
		"-A OUTPUT -j VMHOST-" + h.prefix + "-DNAT",
		"-A VMHOST-" + h.prefix + "-FWD -i " + h.prefix + " -j ACCEPT",
	} {
		if c := strings.Count(save, jump+"\n"); c != 1 {
			t.Errorf("iptables-save has %q %d times, want once:\n%s", jump, c, save)
		}
	}
	checkFiltered(t, h.prefix, "alice")
	requirePing(t)
	if !h.ping(a.ns, n.Gateway()) {
		t.Errorf("after a restart, alice cannot ping the gateway")
	}
}

func TestStartRefusesConflicts(t *testing.T) {
	h := newTestHost(t)
	if h == nil {
		return
	}
	other := h.prefix + "-x"
	run(t, "", "ip", "link", "add", other, "type", "bridge")
	run(t, "", "ip", "addr", "add", netip.PrefixFrom(h.subnet.Addr().Next().Next().Next(), 28).String(), "dev", other)
	n, err := New(h.config())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err == nil || !strings.Contains(err.Error(), "dev "+other) {
		t.Errorf("Start with %s on %s = %v, want an error naming %s", h.subnet, other, err, other)
	}
	run(t, "", "ip", "link", "del", other)

	l, err := net.Listen("tcp4", ":8080")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := h.config()
	cfg.Forwards = []Forward{{Guest: "alice", Proto: "tcp", HostPort: 8080, GuestPort: 80}}
	n, _ = New(cfg)
	if err := n.Start(); err == nil || !strings.Contains(err.Error(), "8080/tcp") {
		t.Errorf("Start publishing a taken port = %v, want an error naming 8080/tcp", err)
	}

	run(t, "", "ip", "link", "add", h.prefix, "type", "veth", "peer", "name", h.prefix+"-p")
	n, _ = New(h.config())
	if err := n.Start(); err == nil || !strings.Contains(err.Error(), "not a bridge") {
		t.Errorf("Start with a veth named like the bridge = %v, want an error saying it is not a bridge", err)
	}
}

func TestAttach(t *testing.T) {
	h := newTestHost(t)
	if h == nil {
		return
	}
	requirePing(t)
	n := h.start(h.config())
	a := h.attach(n, "alice")

	ip := run(t, a.ns, "ip", "-4", "-o", "addr", "show", "dev", "eth0")
	if want := "inet " + netip.PrefixFrom(a.ip, 24).String(); !strings.Contains(ip, want) {
		t.Errorf("guest's eth0: %s, want %s", ip, want)
	}
	route := run(t, a.ns, "ip", "-4", "route", "show", "default")
	if want := "default via " + n.Gateway().String() + " dev eth0"; !strings.Contains(route, want) {
		t.Errorf("guest's default route: %q, want %q", route, want)
	}
	if lo := run(t, a.ns, "ip", "-o", "link", "show", "lo"); !strings.Contains(lo, "UP") {
		t.Errorf("guest's lo is not up: %s", lo)
	}
	if !h.ping(a.ns, n.Gateway()) {
		t.Errorf("guest cannot ping the gateway %s", n.Gateway())
	}
	host, err := netlink.LinkByName(vethName(h.prefix, "alice"))
	if err != nil {
		t.Fatal(err)
	}
	if pi, err := netlink.LinkGetProtinfo(host); err != nil || !pi.Isolated {
		t.Errorf("bridge port of alice: %v, %v; want isolated", pi, err)
	}

	checkFiltered(t, h.prefix, "alice")
	if mac := run(t, a.ns, "cat", "/sys/class/net/eth0/address"); strings.TrimSpace(mac) != GuestMAC(a.ip).String() {
		t.Errorf("guest's MAC address = %s, want %s", mac, GuestMAC(a.ip))
	}

	// Attach again repairs: a guest root that took eth0 down, deleted its
	// address and changed its MAC gets them back, on the same link.
	run(t, a.ns, "ip", "addr", "flush", "dev", "eth0")
	run(t, a.ns, "ip", "link", "set", "eth0", "down")
	run(t, a.ns, "ip", "link", "set", "eth0", "address", "02:00:00:00:00:99")
	if err := n.Attach("alice", a.ip, "/run/netns/"+a.ns); err != nil {
		t.Fatal(err)
	}
	if again, _ := netlink.LinkByName(host.Attrs().Name); again == nil || again.Attrs().Index != host.Attrs().Index {
		t.Errorf("Attach again replaced alice's veth %d with %v", host.Attrs().Index, again)
	}
	if !h.ping(a.ns, n.Gateway()) {
		t.Errorf("after a repair, guest cannot ping the gateway")
	}

	if err := n.Detach("alice"); err != nil {
		t.Fatal(err)
	}
	checkFiltered(t, h.prefix)
	if _, err := netlink.LinkByName(host.Attrs().Name); err == nil {
		t.Errorf("after Detach, %s still exists", host.Attrs().Name)
	}
	if err := command(a.ns, "ip", "link", "show", "eth0").Run(); err == nil {
		t.Errorf("after Detach, the guest still has eth0")
	}
	if err := n.Detach("alice"); err != nil {
		t.Errorf("Detach twice = %v, want nil", err)
	}
}

func TestIsolation(t *testing.T) {
	if h := newTestHost(t); h != nil {
		h.bridgeNetfilter(true)
		testIsolation(t, h)
	}
}

func TestIsolationWithoutBridgeNetfilter(t *testing.T) {
	if h := newTestHost(t); h != nil {
		h.bridgeNetfilter(false)
		testIsolation(t, h)
	}
}

func testIsolation(t *testing.T, h *testHost) {
	requirePing(t)
	n := h.start(h.config())
	a := h.attach(n, "alice")
	b := h.attach(n, "bob", a)
	if h.answersPing(a.ns, b.ip) {
		t.Errorf("isolate on: %v can ping %v", a, b)
	}
	if !h.ping(a.ns, n.Gateway()) || !h.ping(b.ns, n.Gateway()) {
		t.Errorf("isolate on: a guest cannot ping the gateway")
	}
	// Root in a guest routes to the other through the gateway: still no.
	run(t, a.ns, "ip", "route", "add", b.ip.String()+"/32", "via", n.Gateway().String())
	if h.answersPing(a.ns, b.ip) {
		t.Errorf("isolate on: %v can ping %v through the gateway", a, b)
	}
	run(t, a.ns, "ip", "route", "del", b.ip.String()+"/32")
	n.Close()

	cfg := h.config()
	cfg.Isolate = false
	n = h.start(cfg)
	for _, g := range []guest{a, b} {
		if err := n.Attach(g.id, g.ip, "/run/netns/"+g.ns); err != nil {
			t.Fatal(err)
		}
	}
	if !h.ping(a.ns, b.ip) {
		t.Errorf("isolate off: %v cannot ping %v", a, b)
	}
	if got, err := lookup(a.ns, n.Gateway(), "bob.vmhost."); err != nil || got != b.ip.String() {
		t.Errorf("isolate off: alice resolves bob.vmhost to %q, %v; want %s", got, err, b.ip)
	}
}

func TestNATToOutside(t *testing.T) {
	h := newTestHost(t)
	if h == nil {
		return
	}
	out := h.outside()
	h.serveReport(out, "198.51.100.2:7000")
	n := h.start(h.config())
	a := h.attach(n, "alice")
	for _, proto := range []string{"tcp4", "udp4"} {
		got, err := dialReport(a.ns, proto, "198.51.100.2:7000", reachable)
		if err != nil || got != "198.51.100.1" {
			t.Errorf("%s from the guest to the outside: the outside saw %q, %v; want 198.51.100.1", proto, got, err)
		}
	}
	// The outside cannot open a connection to a guest (no route, and the
	// firewall drops it even with one).
	run(t, out, "ip", "route", "add", h.subnet.String(), "via", "198.51.100.1")
	h.serveReport(a.ns, "0.0.0.0:7001")
	if got, err := dialReport(out, "tcp4", netip.AddrPortFrom(a.ip, 7001).String(), unreachable); err == nil {
		t.Errorf("the outside reached the guest behind NAT (it saw %q)", got)
	}
}

func TestGuestReachesHostOnlyForDNS(t *testing.T) {
	h := newTestHost(t)
	if h == nil {
		return
	}
	upstream := startFakeUpstream(t, "127.0.0.53:53")
	h.outside()
	n := h.start(h.config())
	a := h.attach(n, "alice")
	h.attach(n, "alice+web", a)
	gw := n.Gateway().String()
	h.serveReport("", gw+":2222")
	h.serveReport("", "0.0.0.0:2223")
	for _, addr := range []string{gw + ":2222", gw + ":2223", "198.51.100.1:2223", "127.0.0.1:2223"} {
		if _, err := dialReport("", "tcp4", addr, reachable); err != nil {
			t.Fatalf("the host itself cannot reach %s: %v", addr, err)
		}
		if got, err := dialReport(a.ns, "tcp4", addr, unreachable); err == nil {
			t.Errorf("the guest reached the host service on %s (it saw %q)", addr, got)
		}
	}
	tests := []struct{ name, want string }{
		{"alice.vmhost.", a.ip.String()},
		{"web.alice.vmhost.", a.ip.Next().String()},
		{"example.test.", "192.0.2.99"}, // forwarded to the stub on 127.0.0.53
	}
	for _, tt := range tests {
		if got, err := lookup(a.ns, n.Gateway(), tt.name); err != nil || got != tt.want {
			t.Errorf("from the guest, %s = %q, %v; want %s", tt.name, got, err, tt.want)
		}
	}
	if got := upstream.queries(); got["udp"] != 1 {
		t.Errorf("the stub resolver saw %v queries, want one over udp", got)
	}
}

func TestPublishedPorts(t *testing.T) {
	if h := newTestHost(t); h != nil {
		h.bridgeNetfilter(true)
		testPublishedPorts(t, h)
	}
}

func TestPublishedPortsWithoutBridgeNetfilter(t *testing.T) {
	if h := newTestHost(t); h != nil {
		h.bridgeNetfilter(false)
		testPublishedPorts(t, h)
	}
}

func testPublishedPorts(t *testing.T, h *testHost) {
	out := h.outside()
	cfg := h.config()
	cfg.Forwards = []Forward{
		{Guest: "alice+web", Proto: "tcp", HostPort: 8080, GuestPort: 80},
		{Guest: "alice+web", Proto: "udp", HostPort: 8053, GuestPort: 80},
	}
	n := h.start(cfg)
	a := h.attach(n, "alice")
	web := h.attach(n, "alice+web", a)
	h.serveReport(web.ns, "0.0.0.0:80")
	gw := n.Gateway().String()
	tests := []struct {
		from, proto, addr, wantPeer string
	}{
		{"", "tcp4", "127.0.0.1:8080", gw},
		{"", "udp4", "127.0.0.1:8053", gw},
		{"", "tcp4", "198.51.100.1:8080", "198.51.100.1"},
		{out, "tcp4", "198.51.100.1:8080", "198.51.100.2"},
		{out, "udp4", "198.51.100.1:8053", "198.51.100.2"},
		{a.ns, "tcp4", gw + ":8080", gw},
		{a.ns, "tcp4", "198.51.100.1:8080", gw},
		{a.ns, "udp4", gw + ":8053", gw},
		{web.ns, "tcp4", gw + ":8080", gw},
	}
	for _, tt := range tests {
		if got, err := dialReport(tt.from, tt.proto, tt.addr, reachable); err != nil || got != tt.wantPeer {
			t.Errorf("%s from %q to %s: the guest saw %q, %v; want %s", tt.proto, tt.from, tt.addr, got, err, tt.wantPeer)
		}
	}
	if t.Failed() {
		t.Log(run(t, "", "iptables-save", "-c"))
	}
	// The guests' DNS on the gateway is not affected.
	if got, err := lookup(a.ns, n.Gateway(), "web.alice.vmhost."); err != nil || got != web.ip.String() {
		t.Errorf("with ports published, web.alice.vmhost = %q, %v; want %s", got, err, web.ip)
	}

	if err := n.Detach("alice+web"); err != nil {
		t.Fatal(err)
	}
	if rules := run(t, "", "iptables", "-t", "nat", "-S", "VMHOST-"+h.prefix+"-DNAT"); strings.Contains(rules, "8080") {
		t.Errorf("after Detach, the DNAT rules remain:\n%s", rules)
	}
	// The relay still holds the host port, and closes what comes in.
	if got, err := dialReport("", "tcp4", "127.0.0.1:8080", unreachable); err == nil && got != "" {
		t.Errorf("after Detach, 127.0.0.1:8080 still reaches the guest, which saw %q", got)
	}
	if got, err := dialReport(a.ns, "tcp4", gw+":8080", unreachable); err == nil && got != "" {
		t.Errorf("after Detach, alice still reaches web on %s:8080, which saw %q", gw, got)
	}
}

func TestGuestWrecksOnlyItself(t *testing.T) {
	h := newTestHost(t)
	if h == nil {
		return
	}
	requirePing(t)
	requireCommand(t, "iptables")
	out := h.outside()
	h.serveReport(out, "198.51.100.2:7000")
	n := h.start(h.config())
	a := h.attach(n, "alice")
	b := h.attach(n, "bob", a)
	c := h.attach(n, "carol", a, b)

	d := h.attach(n, "dave", a, b, c)
	run(t, a.ns, "ip", "route", "flush", "table", "main")
	run(t, c.ns, "iptables", "-P", "OUTPUT", "DROP")
	run(t, d.ns, "ip", "link", "set", "eth0", "address", GuestMAC(b.ip).String())
	for _, g := range []guest{a, c, d} {
		if h.answersPing(g.ns, n.Gateway()) {
			t.Errorf("%v wrecked its network and can still ping the gateway", g)
		}
	}
	if !h.ping(b.ns, n.Gateway()) {
		t.Errorf("bob cannot ping the gateway after the others wrecked their networks")
	}
	if got, err := dialReport(b.ns, "tcp4", "198.51.100.2:7000", reachable); err != nil || got != "198.51.100.1" {
		t.Errorf("bob cannot reach the outside after the others wrecked their networks: %q, %v", got, err)
	}
	if got, err := lookup(b.ns, n.Gateway(), "alice.vmhost."); err != nil || got != a.ip.String() {
		t.Errorf("bob resolves alice.vmhost to %q, %v; want %s", got, err, a.ip)
	}
	if policy := run(t, "", "iptables", "-S", "OUTPUT"); !strings.Contains(policy, "-P OUTPUT ACCEPT") {
		t.Errorf("the host's OUTPUT policy changed: %s", policy)
	}
}

func TestTeardown(t *testing.T) {
	h := newTestHost(t)
	if h == nil {
		return
	}
	cfg := h.config()
	cfg.Forwards = []Forward{{Guest: "alice", Proto: "tcp", HostPort: 8080, GuestPort: 80}}
	n := h.start(cfg)
	a := h.attach(n, "alice")
	h.attach(n, "bob", a)
	for i := range 2 {
		if err := n.Teardown(); err != nil {
			t.Fatalf("Teardown #%d = %v", i+1, err)
		}
	}
	if save := run(t, "", "iptables-save"); strings.Contains(save, "VMHOST-"+h.prefix) {
		t.Errorf("after Teardown, iptables-save has our chains:\n%s", save)
	}
	if chains, _ := filterState(t, h.prefix); chains != nil {
		t.Errorf("after Teardown, the filter table remains with chains %v", chains)
	}
	if links := run(t, "", "ip", "-o", "link", "show"); strings.Contains(links, h.prefix) || strings.Contains(links, "vh") {
		t.Errorf("after Teardown, links remain:\n%s", links)
	}
	if err := command(a.ns, "ip", "link", "show", "eth0").Run(); err == nil {
		t.Errorf("after Teardown, alice still has eth0")
	}
	// A daemon's cleanup subcommand runs without a started network.
	n2, _ := New(cfg)
	if err := n2.Teardown(); err != nil {
		t.Errorf("Teardown with nothing to remove = %v", err)
	}
}

// lookup asks the DNS server at server, from ns, for the A record of name.
func lookup(ns string, server netip.Addr, name string) (string, error) {
	var got string
	err := inNetns(ns, func() error {
		c := &dns.Client{Timeout: 2 * time.Second}
		resp, _, err := c.Exchange(new(dns.Msg).SetQuestion(name, dns.TypeA), netip.AddrPortFrom(server, 53).String())
		if err != nil {
			return err
		}
		for _, rr := range resp.Answer {
			if a, ok := rr.(*dns.A); ok {
				got = a.A.String()
			}
		}
		return nil
	})
	return got, err
}

func TestBridgeFull(t *testing.T) {
	h := newTestHost(t)
	if h == nil {
		return
	}
	n := h.start(h.config())
	br, err := netlink.LinkByName(h.prefix)
	if err != nil {
		t.Fatal(err)
	}
	for i := range MaxGuests {
		attrs := netlink.NewLinkAttrs()
		attrs.Name = fmt.Sprintf("f%d", i)
		v := netlink.NewVeth(attrs)
		v.PeerName = fmt.Sprintf("f%dp", i)
		if err := netlink.LinkAdd(v); err != nil {
			t.Fatal(err)
		}
		if err := netlink.LinkSetMasterByIndex(v, br.Attrs().Index); err != nil {
			t.Fatalf("plugging port %d into the bridge: %v", i+1, err)
		}
	}
	ns := h.netns("alice")
	err = n.Attach("alice", h.subnet.Addr().Next().Next(), "/run/netns/"+ns)
	if !errors.Is(err, ErrBridgeFull) {
		t.Fatalf("Attach to a bridge with %d ports = %v, want ErrBridgeFull", MaxGuests, err)
	}
	t.Logf("Attach to a full bridge: %v", err)
	if _, err := netlink.LinkByName(vethName(h.prefix, "alice")); err == nil {
		t.Errorf("a failed Attach left the guest's veth behind")
	}
	if err := command(ns, "ip", "link", "show", "eth0").Run(); err == nil {
		t.Errorf("a failed Attach left eth0 in the guest")
	}
}

func TestAttachMany(t *testing.T) {
	h := newTestHost(t)
	if h == nil {
		return
	}
	const guests, workers = 200, 8
	cfg := h.config()
	cfg.Subnet = netip.PrefixFrom(h.subnet.Addr(), 23) // room for 200
	cfg.Subnet = cfg.Subnet.Masked()
	n := h.start(cfg)
	var gs []guest
	for i := range guests {
		ip := cfg.Subnet.Addr().Next().Next()
		for range i {
			ip = ip.Next()
		}
		id := fmt.Sprintf("u%d+g", i)
		gs = append(gs, guest{id: id, ns: h.netns(fmt.Sprintf("g%d", i)), ip: ip})
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, guests)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < guests; i += workers {
				errs <- n.Attach(gs[i].id, gs[i].ip, "/run/netns/"+gs[i].ns)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("attached %d guests in %v (%v each, %d at a time)", guests, took, took/guests, workers)
	names := make(map[string]bool)
	for _, g := range gs {
		names[vethName(h.prefix, g.id)] = true
	}
	if len(names) != guests {
		t.Errorf("%d guests got %d veth names", guests, len(names))
	}
	last := gs[guests-1]
	if got, err := lookup(gs[0].ns, n.Gateway(), guestFQDN(last.id)); err != nil || got != last.ip.String() {
		t.Errorf("%s resolves %s to %q, %v; want %s", gs[0].id, guestFQDN(last.id), got, err, last.ip)
	}
	for _, g := range gs {
		if err := n.Detach(g.id); err != nil {
			t.Fatal(err)
		}
	}
	if links := run(t, "", "ip", "-o", "link", "show", "master", h.prefix); links != "" {
		t.Errorf("after detaching every guest, the bridge has ports:\n%s", links)
	}
}
