package netplumb

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGuestMAC(t *testing.T) {
	tests := []struct{ ip, want string }{
		{"10.213.0.2", "02:76:0a:d5:00:02"},
		{"192.168.255.254", "02:76:c0:a8:ff:fe"},
	}
	for _, tt := range tests {
		mac := GuestMAC(netip.MustParseAddr(tt.ip))
		if mac.String() != tt.want {
			t.Errorf("GuestMAC(%s) = %s, want %s", tt.ip, mac, tt.want)
		}
		if mac[0]&1 != 0 || mac[0]&2 == 0 {
			t.Errorf("GuestMAC(%s) = %s is not a locally administered unicast address", tt.ip, mac)
		}
	}
}

// wantPortRules are the rules of the port of the guest at 10.250.9.7, as
// nft would print them with values in hex.
var wantPortRules = []string{
	"ether saddr != 02760afa0907 drop",
	"ether type 0806 arp htype 0001 arp ptype 0800 arp hlen 06 arp plen 04 arp saddr ether 02760afa0907 arp saddr ip 0afa0907 accept",
	"ether type 0800 ip daddr & ff000000 7f000000 drop",
	"ether type 0800 ip saddr 0afa0907 ip protocol 11 udp sport 0043 drop",
	"ether type 0800 ip saddr 0afa0907 accept",
	"drop",
}

func TestPortRules(t *testing.T) {
	ip := netip.MustParseAddr("10.250.9.7")
	var got []string
	for _, r := range portRules(GuestMAC(ip), ip, netip.Addr{}) {
		got = append(got, r.String())
	}
	if diff := cmp.Diff(wantPortRules, got); diff != "" {
		t.Errorf("portRules(%s) differ (-want +got):\n%s", ip, diff)
	}
}

// TestPortFilterLifetime follows guests' ports through the network's use
// of the filter: set up twice (a restart) keeps the ports, admitting twice
// leaves one chain, pruning removes the ports that are gone, forgetting twice
// is fine, and teardown leaves nothing.
func TestPortFilterLifetime(t *testing.T) {
	ff := newFakeFilter()
	pf := &portFilter{f: ff, table: filterTable("vmt0")}
	if err := pf.admit("vh1", netip.MustParseAddr("10.250.9.7"), netip.Addr{}); err == nil {
		t.Errorf("admit before setup = nil, want an error")
	}
	steps := []struct {
		name string
		do   func() error
		want map[string]map[string][]string
	}{
		{"setup", pf.setup, map[string]map[string][]string{"VMHOST-vmt0": {}}},
		{"admit", func() error { return pf.admit("vh1", netip.MustParseAddr("10.250.9.7"), netip.Addr{}) },
			map[string]map[string][]string{"VMHOST-vmt0": {"vh1": wantPortRules}}},
		{"admit again", func() error { return pf.admit("vh1", netip.MustParseAddr("10.250.9.7"), netip.Addr{}) },
			map[string]map[string][]string{"VMHOST-vmt0": {"vh1": wantPortRules}}},
		{"setup after a restart", pf.setup, map[string]map[string][]string{"VMHOST-vmt0": {"vh1": wantPortRules}}},
		{"admit another", func() error { return pf.admit("vh2", netip.MustParseAddr("10.250.9.7"), netip.Addr{}) },
			map[string]map[string][]string{"VMHOST-vmt0": {"vh1": wantPortRules, "vh2": wantPortRules}}},
		{"prune the one gone", func() error { return pf.prune(func(port string) bool { return port == "vh1" }) },
			map[string]map[string][]string{"VMHOST-vmt0": {"vh1": wantPortRules}}},
		{"forget", func() error { return pf.forget("vh1") }, map[string]map[string][]string{"VMHOST-vmt0": {}}},
		{"forget again", func() error { return pf.forget("vh1") }, map[string]map[string][]string{"VMHOST-vmt0": {}}},
		{"teardown", pf.teardown, map[string]map[string][]string{}},
		{"teardown again", pf.teardown, map[string]map[string][]string{}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s = %v", s.name, err)
		}
		if diff := cmp.Diff(s.want, ff.state()); diff != "" {
			t.Errorf("after %s, tables differ (-want +got):\n%s", s.name, diff)
		}
	}
}
