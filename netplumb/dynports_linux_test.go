package netplumb

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// TestMapUDP checks dynamic UDP mappings: one reaches its guest from its
// client's address only; a taken host port, a guest not attached and a
// loopback client are refused; removing one leaves the others; Detach
// removes the guest's; a new Start removes those a killed daemon left.
func TestMapUDP(t *testing.T) {
	h := newTestHost(t)
	if h == nil {
		return
	}
	out := h.outside()
	cfg := h.config()
	cfg.DynamicUDP = true
	cfg.Forwards = []Forward{{Guest: "bob", Proto: "udp", HostPort: 61005, GuestPort: 53}}
	n := h.start(cfg)
	a := h.attach(n, "alice")
	h.attach(n, "bob", a)
	h.serveReport(a.ns, "0.0.0.0:60001")
	client := netip.MustParseAddr("198.51.100.2")
	other := netip.MustParseAddr("198.51.100.3")
	mine := UDPMapping{Guest: "alice", Client: client, HostPort: 61001, GuestPort: 60001}
	theirs := UDPMapping{Guest: "alice", Client: other, HostPort: 61002, GuestPort: 60001}
	for _, m := range []UDPMapping{mine, theirs} {
		if err := n.MapUDP(m); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := dialReport(out, "udp4", "198.51.100.1:61001", reachable); err != nil || got != "198.51.100.2" {
		t.Errorf("from the client to its mapping: the guest saw %q, %v; want 198.51.100.2", got, err)
	}
	flow := openFlow(t, out, "198.51.100.1:61001")
	if got := askFlow(flow, reachable); got != "198.51.100.2" {
		t.Errorf("a flow from the client to its mapping: the guest saw %q, want 198.51.100.2", got)
	}
	if got, err := dialReport(out, "udp4", "198.51.100.1:61002", unreachable); err == nil {
		t.Errorf("from 198.51.100.2 to the mapping of %v: the guest answered %q", other, got)
	}
	if got, err := dialReport(a.ns, "udp4", n.Gateway().String()+":61001", unreachable); err == nil {
		t.Errorf("from a guest to the mapping of %v: answered %q", client, got)
	}

	pc, err := net.ListenPacket("udp4", "0.0.0.0:61003")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	refused := []struct {
		m    UDPMapping
		want error
	}{
		{UDPMapping{Guest: "alice", Client: client, HostPort: 61001, GuestPort: 60002}, ErrHostPortInUse},
		{UDPMapping{Guest: "alice", Client: client, HostPort: 61003, GuestPort: 60002}, ErrHostPortInUse},
		{UDPMapping{Guest: "alice", Client: client, HostPort: 61005, GuestPort: 60002}, ErrHostPortInUse},
		{UDPMapping{Guest: "carol", Client: client, HostPort: 61004, GuestPort: 60002}, nil},
		{UDPMapping{Guest: "alice", Client: netip.MustParseAddr("127.0.0.1"), HostPort: 61004, GuestPort: 60002}, nil},
		{UDPMapping{Guest: "alice", Client: netip.MustParseAddr("2001:db8::2"), HostPort: 61004, GuestPort: 60002}, nil},
	}
	for _, tt := range refused {
		err := n.MapUDP(tt.m)
		if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("MapUDP(%v) = %v, want an error (%v)", tt.m, err, tt.want)
		}
	}

	stale := mine
	stale.Client = other
	if err := n.UnmapUDP(stale); err != nil {
		t.Errorf("UnmapUDP of a mapping that is not there = %v", err)
	}
	if rules := dynRules(t, h); !strings.Contains(rules, "61001") || !strings.Contains(rules, "61002") {
		t.Errorf("UnmapUDP of a mapping that is not there removed another:\n%s", rules)
	}
	if err := n.UnmapUDP(mine); err != nil {
		t.Fatal(err)
	}
	if rules := dynRules(t, h); strings.Contains(rules, "61001") || !strings.Contains(rules, "61002") {
		t.Errorf("after UnmapUDP of port 61001, want only 61002's rule:\n%s", rules)
	}
	if got := askFlow(flow, unreachable); got != "" {
		t.Errorf("after UnmapUDP, the client's flow still reaches the guest, which saw %q", got)
	}
	if err := n.MapUDP(mine); err != nil {
		t.Fatal(err)
	}
	flow = openFlow(t, out, "198.51.100.1:61001")
	if got := askFlow(flow, reachable); got != "198.51.100.2" {
		t.Errorf("a flow from the client to its mapping made again: the guest saw %q, want 198.51.100.2", got)
	}
	if err := n.Detach("alice"); err != nil {
		t.Fatal(err)
	}
	if rules := dynRules(t, h); strings.Contains(rules, "61001") || strings.Contains(rules, "61002") {
		t.Errorf("after Detach, the guest's mappings remain:\n%s", rules)
	}
	if err := n.Attach("alice", a.ip, "/run/netns/"+a.ns); err != nil {
		t.Fatal(err)
	}
	if got := askFlow(flow, unreachable); got != "" {
		t.Errorf("after Detach and Attach, the client's flow still reaches the guest, which saw %q", got)
	}

	if err := n.MapUDP(mine); err != nil {
		t.Fatal(err)
	}
	flow = openFlow(t, out, "198.51.100.1:61001")
	if got := askFlow(flow, reachable); got != "198.51.100.2" {
		t.Errorf("a flow from the client to its mapping made a third time: the guest saw %q, want 198.51.100.2", got)
	}
	n.Close() // as a killed daemon: the rule stays
	h.start(cfg)
	if rules := dynRules(t, h); strings.Contains(rules, "61001") {
		t.Errorf("after a new Start, a stale mapping remains:\n%s", rules)
	}
	if got := askFlow(flow, unreachable); got != "" {
		t.Errorf("after a new Start, the client's flow through a stale mapping still reaches the guest, which saw %q", got)
	}
}

func TestStaleFlows(t *testing.T) {
	cfg := testConfig(true, false, Forward{Guest: "bob", Proto: "udp", HostPort: 8053, GuestPort: 53})
	flow := func(proto uint8, src, dst string, dport uint16, replySrc string) *netlink.ConntrackFlow {
		return &netlink.ConntrackFlow{
			Forward: netlink.IPTuple{Protocol: proto, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst), SrcPort: 50000, DstPort: dport},
			Reverse: netlink.IPTuple{Protocol: proto, SrcIP: net.ParseIP(replySrc), DstIP: net.ParseIP(src), SrcPort: 60001, DstPort: 50000},
		}
	}
	tests := []struct {
		name string
		flow *netlink.ConntrackFlow
		want bool
	}{
		{"to a guest through a dynamic port", flow(17, "192.0.2.7", "198.51.100.1", 60123, "10.250.9.7"), true},
		{"to a published UDP port", flow(17, "192.0.2.7", "198.51.100.1", 8053, "10.250.9.7"), false},
		{"TCP", flow(6, "192.0.2.7", "198.51.100.1", 60123, "10.250.9.7"), false},
		{"from a guest, out", flow(17, "10.250.9.7", "192.0.2.7", 53, "192.0.2.7"), false},
		{"from a guest to another", flow(17, "10.250.9.7", "10.250.9.8", 60123, "10.250.9.8"), false},
		{"to the host", flow(17, "192.0.2.7", "198.51.100.1", 60123, "198.51.100.1"), false},
		{"to a guest without NAT", flow(17, "192.0.2.7", "10.250.9.7", 60123, "10.250.9.7"), false},
	}
	for _, tt := range tests {
		if got := (staleFlows{cfg}).MatchConntrackFlow(tt.flow); got != tt.want {
			t.Errorf("%s: MatchConntrackFlow = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// dynRules returns the rules of the chain of dynamic mappings.
func dynRules(t *testing.T, h *testHost) string {
	return run(t, "", "iptables", "-t", "nat", "-S", dynChain(h.prefix))
}

// openFlow returns a UDP socket of ns connected to addr, closed when the
// test ends: its datagrams are one flow for connection tracking.
func openFlow(t *testing.T, ns, addr string) net.Conn {
	t.Helper()
	var c net.Conn
	if err := inNetns(ns, func() (err error) {
		c, err = net.Dial("udp4", addr)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// askFlow sends a datagram on c every 300ms for patience and returns the
// first answer, "" for none.
func askFlow(c net.Conn, patience time.Duration) string {
	buf := make([]byte, 64)
	for deadline := time.Now().Add(patience); time.Now().Before(deadline); {
		c.Write([]byte("?"))
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if n, err := c.Read(buf); err == nil {
			return string(buf[:n])
		}
	}
	return ""
}
