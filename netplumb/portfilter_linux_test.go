package netplumb

import (
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/miekg/dns"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestRuleExprs(t *testing.T) {
	ip := netip.MustParseAddr("10.250.9.7")
	for _, r := range portRules(GuestMAC(ip), ip, netip.Addr{}) {
		if _, err := ruleExprs(r); err != nil {
			t.Errorf("ruleExprs(%s) = %v", r, err)
		}
	}
}

// noFilter is a [PortFilter] that filters nothing: the network as it was
// without port filters, which the spoofing test must catch.
type noFilter struct{}

func (noFilter) Setup(string) error                       { return nil }
func (noFilter) SetPort(string, string, []portRule) error { return nil }
func (noFilter) RemovePort(string, string) error          { return nil }
func (noFilter) Ports(string) ([]string, error)           { return nil, nil }
func (noFilter) Teardown(string) error                    { return nil }

// spoofed is what alice's forged frames achieved.
type spoofed struct {
	MovedBobsMAC    bool // the bridge learned bob's MAC on alice's port
	MovedBobsNeigh  bool // the host's neighbour entry for bob has alice's MAC
	AnswersAtBob    int  // DNS answers sent to bob for queries forged as his
	AnswersAtHost   int  // DNS answers sent to the host's 127.0.0.2 or gateway
	TaggedOnBridge  bool // a VLAN-tagged frame reached the bridge
	ControlOnBridge bool // alice's own broadcast reached the bridge
}

func TestPortFilterStopsSpoofing(t *testing.T) {
	if h := newTestHost(t); h != nil {
		requireNftBridge(t)
		got := spoof(t, h, nil)
		want := spoofed{ControlOnBridge: true}
		if got != want {
			t.Errorf("alice's forged frames achieved %+v, want %+v", got, want)
		}
	}
}

// TestSpoofingWithoutPortFilter shows that the spoofing test sees the
// attacks succeed on a network without port filters.
func TestSpoofingWithoutPortFilter(t *testing.T) {
	if h := newTestHost(t); h != nil {
		got := spoof(t, h, noFilter{})
		want := spoofed{MovedBobsMAC: true, MovedBobsNeigh: true, AnswersAtBob: 1, TaggedOnBridge: true, ControlOnBridge: true}
		if got != want {
			t.Errorf("without port filters, alice's forged frames achieved %+v, want %+v", got, want)
		}
	}
}

// spoof attaches alice and bob to a network whose port filter is filter (nil:
// the real one), lets alice send forged frames and says what they achieved.
func spoof(t *testing.T, h *testHost, filter PortFilter) spoofed {
	requirePing(t)
	cfg := h.config()
	cfg.Filter = filter
	cfg.Forwards = []Forward{{Guest: "bob", Proto: "udp", HostPort: 8053, GuestPort: 53}} // route_localnet on
	n := h.start(cfg)
	a := h.attach(n, "alice")
	b := h.attach(n, "bob", a)
	gw := n.Gateway()
	if !h.ping("", b.ip) || !h.ping(b.ns, gw) || !h.ping(a.ns, gw) {
		t.Fatal("the guests and the host cannot ping each other")
	}
	bobPort, alicePort := vethName(h.prefix, "bob"), vethName(h.prefix, "alice")
	if port := fdbPort(t, h.prefix, GuestMAC(b.ip)); port != bobPort {
		t.Fatalf("before the attack, bob's MAC is on port %q, want %s", port, bobPort)
	}
	const port = 5399
	atBob := listenUDP(t, b.ns, netip.AddrPortFrom(netip.IPv4Unspecified(), port))
	atHost := []chan int{
		listenUDP(t, "", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), port)),
		listenUDP(t, "", netip.AddrPortFrom(gw, port)),
	}
	capt := startCapture(t, h.prefix)

	aliceMAC, bobMAC, gwMAC := GuestMAC(a.ip), GuestMAC(b.ip), bridgeMAC(h.prefix)
	own := netip.AddrPortFrom(a.ip, port)
	bcast := netip.AddrPortFrom(netip.MustParseAddr("255.255.255.255"), 9)
	var got spoofed
	// Each attack on its own, so that one does not undo another.

	query, _ := new(dns.Msg).SetQuestion("alice.vmhost.", dns.TypeA).Pack()
	for _, src := range []netip.Addr{netip.MustParseAddr("127.0.0.2"), b.ip, gw} {
		pkt := udpPacket(netip.AddrPortFrom(src, port), netip.AddrPortFrom(gw, 53), query)
		sendFrames(t, a.ns, "eth0", ethFrame(gwMAC, aliceMAC, 0, ethIPv4, pkt))
	}
	time.Sleep(300 * time.Millisecond)
	got.AnswersAtBob = count(atBob)
	got.AnswersAtHost = count(atHost[0]) + count(atHost[1])

	got.MovedBobsMAC = stealMAC(t, a.ns, h.prefix, alicePort, ethFrame(broadcastMAC, bobMAC, 0, ethIPv4, udpPacket(own, bcast, []byte("stolen-mac"))), bobMAC)

	sendFrames(t, a.ns, "eth0",
		ethFrame(broadcastMAC, aliceMAC, 0, ethARP, arpPacket(1, aliceMAC, b.ip, make(net.HardwareAddr, 6), b.ip)),
		ethFrame(gwMAC, aliceMAC, 0, ethARP, arpPacket(2, aliceMAC, b.ip, gwMAC, gw)),
		ethFrame(broadcastMAC, aliceMAC, 5, ethIPv4, udpPacket(own, bcast, []byte("tagged-frame"))),
		ethFrame(broadcastMAC, aliceMAC, 0, ethIPv4, udpPacket(own, bcast, []byte("control-frame"))),
	)
	time.Sleep(100 * time.Millisecond)
	got.MovedBobsNeigh = neighMAC(t, h.prefix, b.ip) == aliceMAC.String()
	seen := capt.seen("tagged-frame", "control-frame")
	got.TaggedOnBridge, got.ControlOnBridge = seen["tagged-frame"] > 0, seen["control-frame"] > 0
	return got
}

// stealMAC sends frame, forged with mac as its source, from netns ns a few
// times and says whether the bridge ever learned mac on port. bob's own
// traffic (an ARP or a neighbour solicitation) moves his MAC back at any
// moment, so one look right after one frame can miss the move.
func stealMAC(t *testing.T, ns, bridge, port string, frame []byte, mac net.HardwareAddr) bool {
	t.Helper()
	for range 10 {
		sendFrames(t, ns, "eth0", frame)
		for range 5 {
			if fdbPort(t, bridge, mac) == port {
				return true
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return false
}

// requireNftBridge skips the test when the kernel has no nf_tables bridge
// family.
func requireNftBridge(t *testing.T) {
	t.Helper()
	if err := (nfTables{}).Setup("VMHOST-probe"); err != nil {
		t.Skipf("skipping: the kernel has no nf_tables bridge family: %v", err)
	}
	(nfTables{}).Teardown("VMHOST-probe")
}

// fdbPort returns the name of the bridge port the bridge learned mac on, or
// "".
// Equivalent to: bridge fdb show br BRIDGE | grep MAC
func fdbPort(t *testing.T, bridge string, mac net.HardwareAddr) string {
	t.Helper()
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		t.Fatal(err)
	}
	fdb, err := netlink.NeighList(0, unix.AF_BRIDGE)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range fdb {
		if e.MasterIndex == br.Attrs().Index && e.HardwareAddr.String() == mac.String() {
			if l, err := netlink.LinkByIndex(e.LinkIndex); err == nil {
				return l.Attrs().Name
			}
		}
	}
	return ""
}

// neighMAC returns the MAC of the host's neighbour entry for ip (IPv4 or
// IPv6) on iface, or "".
// Equivalent to: ip neigh show IP dev IFACE
func neighMAC(t *testing.T, iface string, ip netip.Addr) string {
	t.Helper()
	l, err := netlink.LinkByName(iface)
	if err != nil {
		t.Fatal(err)
	}
	family := unix.AF_INET6
	if ip.Is4() {
		family = unix.AF_INET
	}
	neighs, err := netlink.NeighList(l.Attrs().Index, family)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range neighs {
		if e.IP.Equal(ip.AsSlice()) {
			return e.HardwareAddr.String()
		}
	}
	return ""
}

// listenUDP counts the datagrams that reach addr (IPv4 or IPv6) in the
// named network namespace; each arrival sends 1 on the channel.
func listenUDP(t *testing.T, ns string, addr netip.AddrPort) chan int {
	t.Helper()
	network := "udp6"
	if addr.Addr().Is4() {
		network = "udp4"
	}
	var pc net.PacketConn
	if err := inNetns(ns, func() (err error) { pc, err = net.ListenPacket(network, addr.String()); return err }); err != nil {
		t.Fatalf("listening on %s in %q: %v", addr, ns, err)
	}
	t.Cleanup(func() { pc.Close() })
	got := make(chan int, 64)
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
			got <- 1
		}
	}()
	return got
}

// count drains c and returns how many arrived.
func count(c chan int) int {
	n := 0
	for {
		select {
		case <-c:
			n++
		default:
			return n
		}
	}
}

// filterState returns the port chains of the bridge's filter table with
// their count of rules, and the ports in its map; nil when the table is
// missing.
// Equivalent to: nft list table bridge VMHOST-BRIDGE
func filterState(t *testing.T, bridge string) (chains map[string]int, ports []string) {
	t.Helper()
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	table, err := c.ListTableOfFamily(filterTable(bridge), nftables.TableFamilyBridge)
	if err != nil {
		return nil, nil
	}
	all, err := c.ListChainsOfTableFamily(nftables.TableFamilyBridge)
	if err != nil {
		t.Fatal(err)
	}
	chains = make(map[string]int)
	for _, ch := range all {
		if ch.Table.Name != table.Name || ch.Name == baseChain {
			continue
		}
		rules, err := c.GetRules(table, ch)
		if err != nil {
			t.Fatal(err)
		}
		chains[ch.Name] = len(rules)
	}
	elems, err := c.GetSetElements(portSet(table))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range elems {
		ports = append(ports, strings.TrimRight(string(e.Key), "\x00"))
	}
	return chains, ports
}

// checkFiltered fails the test unless the bridge's filter table holds
// exactly one chain of port rules per guest and maps each guest's port to
// it.
func checkFiltered(t *testing.T, bridge string, guestIDs ...string) {
	t.Helper()
	chains, ports := filterState(t, bridge)
	want := map[string]int{}
	var wantPorts []string
	for _, id := range guestIDs {
		want[portChain(vethName(bridge, id))] = len(wantPortRules)
		wantPorts = append(wantPorts, vethName(bridge, id))
	}
	slices.Sort(ports)
	slices.Sort(wantPorts)
	if !maps.Equal(chains, want) || !slices.Equal(ports, wantPorts) {
		t.Errorf("filter table of %s: chains %v, ports %v; want chains %v, ports %v", bridge, chains, ports, want, wantPorts)
	}
}

func TestRuleExprs6(t *testing.T) {
	ip := netip.MustParseAddr("10.250.9.7")
	for _, r := range portRules(GuestMAC(ip), ip, netip.MustParseAddr("fd00:db8:9::7")) {
		if _, err := ruleExprs(r); err != nil {
			t.Errorf("ruleExprs(%s) = %v", r, err)
		}
	}
}
