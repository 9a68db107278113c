package netplumb

import (
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wantBase6 is the whole ip6tables state after setup on an empty host, for
// bridge vmt0 with subnet6 fd00:db8:9::/64, isolation on and no published
// port.
func wantBase6(nat6 bool) map[string][][]string {
	inbound, masq := "-o vmt0 -j ACCEPT", [][]string{}
	if nat6 {
		inbound, masq = "-o vmt0 -j DROP", rules("-s fd00:db8:9::/64 ! -o vmt0 -j MASQUERADE")
	}
	return map[string][][]string{
		"filter/INPUT":   rules("-j VMHOST-vmt0-IN"),
		"filter/FORWARD": rules("-j VMHOST-vmt0-FWD"),
		"filter/OUTPUT":  rules(),
		"filter/VMHOST-vmt0-FWD": rules(
			"-i vmt0 ! -s fd00:db8:9::/64 -j DROP",
			"-i vmt0 -o vmt0 -j DROP",
			"-i vmt0 -j ACCEPT",
			"-o vmt0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
			"-o vmt0 -m conntrack --ctstate DNAT -j ACCEPT",
			inbound,
		),
		"filter/VMHOST-vmt0-IN": rules(
			"-i vmt0 -d fd00:db8:9::1 -p udp --dport 53 -j ACCEPT",
			"-i vmt0 -d fd00:db8:9::1 -p tcp --dport 53 -j ACCEPT",
			"-i vmt0 -p ipv6-icmp --icmpv6-type echo-request -d fd00:db8:9::1 -j ACCEPT",
			"-i vmt0 -p ipv6-icmp --icmpv6-type neighbour-solicitation -m hl --hl-eq 255 -j ACCEPT",
			"-i vmt0 -p ipv6-icmp --icmpv6-type neighbour-advertisement -m hl --hl-eq 255 -j ACCEPT",
			"-i vmt0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
			"-i vmt0 -j DROP",
		),
		"nat/PREROUTING":       rules("-j VMHOST-vmt0-DNAT"),
		"nat/INPUT":            rules(),
		"nat/OUTPUT":           rules("-j VMHOST-vmt0-DNAT"),
		"nat/POSTROUTING":      rules("-j VMHOST-vmt0-NAT"),
		"nat/VMHOST-vmt0-DNAT": rules("-i vmt0 -j RETURN"),
		"nat/VMHOST-vmt0-NAT":  masq,
	}
}

// testConfig6 is testConfig with IPv6.
func testConfig6(nat6 bool, fs ...Forward) *Config {
	c := testConfig(true, true, fs...)
	c.Subnet6, c.NAT6 = testSubnet6, nat6
	return c
}

func TestFirewall6Setup(t *testing.T) {
	for _, nat6 := range []bool{true, false} {
		fw, ft := newTestFirewall()
		for range 2 { // a restart leaves the same rules
			if err := fw.setup(baseRules6(fw.chains, testConfig6(nat6))); err != nil {
				t.Fatalf("setup(nat6=%v) = %v", nat6, err)
			}
		}
		if diff := cmp.Diff(wantBase6(nat6), ft.state()); diff != "" {
			t.Errorf("after setup(nat6=%v), ip6tables rules differ (-want +got):\n%s", nat6, diff)
		}
	}
}

// TestNetworkPublish6 follows a guest's published ports through the network
// with fake iptables and ip6tables: attached, each port has a DNAT rule to
// the guest's IPv4 address in iptables and one to its IPv6 address in
// ip6tables; detached, neither; teardown leaves no rule of the daemon in
// either.
func TestNetworkPublish6(t *testing.T) {
	ft4, ft6 := newFakeTables(), newFakeTables()
	fs := []Forward{{Guest: "alice", Proto: "tcp", HostPort: 8080, GuestPort: 80}}
	cfg := *testConfig6(true, fs...)
	cfg.Tables, cfg.Tables6, cfg.Filter, cfg.Logger = ft4, ft6, newFakeFilter(), slog.New(slog.DiscardHandler)
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.setupFirewall(); err != nil {
		t.Fatal(err)
	}
	if err := n.setupFirewall6(); err != nil {
		t.Fatal(err)
	}
	base := ft6.state()
	ip := netip.MustParseAddr("10.250.9.7")
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.publish("alice", ip); err != nil {
		t.Fatal(err)
	}
	want := maps.Clone(base)
	want["nat/VMHOST-vmt0-DNAT"] = append(slices.Clone(base["nat/VMHOST-vmt0-DNAT"]), rules(
		`-p tcp ! -d ::1 -m addrtype --dst-type LOCAL --dport 8080 -m comment --comment "vmhost guest alice" -j DNAT --to-destination [fd00:db8:9::7]:80`)...)
	if diff := cmp.Diff(want, ft6.state()); diff != "" {
		t.Errorf("after publishing, ip6tables rules differ (-want +got):\n%s", diff)
	}
	if got := ft4.state()["nat/VMHOST-vmt0-DNAT"]; len(got) != 3 {
		t.Errorf("after publishing, iptables DNAT chain = %v, want its RETURN, the jump to the dynamic mappings and the guest's rule", got)
	}
	if err := n.unpublish("alice", ip); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(base, ft6.state()); diff != "" {
		t.Errorf("after unpublishing, ip6tables rules differ (-want +got):\n%s", diff)
	}
	if err := n.teardown6(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(newFakeTables().state(), ft6.state()); diff != "" {
		t.Errorf("after teardown, ip6tables rules differ (-want +got):\n%s", diff)
	}
}
