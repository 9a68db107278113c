package netplumb

import (
	"maps"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// splitFields splits on spaces, keeping "quoted words" together.
func splitFields(s string) []string {
	var out []string
	var cur []rune
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ' ' && !quoted:
			if len(cur) > 0 {
				out = append(out, string(cur))
			}
			cur = cur[:0]
		default:
			cur = append(cur, r)
		}
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}

// rules builds a chain's content from iptables-save-like lines.
func rules(lines ...string) [][]string {
	out := [][]string{}
	for _, l := range lines {
		out = append(out, splitFields(l))
	}
	return out
}

var testSubnet = netip.MustParsePrefix("10.250.9.0/24")

// testConfig is the configuration the firewall tests start from.
func testConfig(nat, isolate bool, fs ...Forward) *Config {
	return &Config{Bridge: "vmt0", Subnet: testSubnet, NAT: nat, Isolate: isolate, Forwards: fs}
}

// wantBase is the whole iptables state after setup on an empty host, for bridge
// vmt0 with subnet 10.250.9.0/24, isolation on and no published port.
func wantBase(nat bool) map[string][][]string {
	inbound, masq := "-o vmt0 -j ACCEPT", []string{}
	if nat {
		inbound, masq = "-o vmt0 -j DROP", []string{"-s 10.250.9.0/24 ! -o vmt0 -j MASQUERADE"}
	}
	return map[string][][]string{
		"filter/INPUT":   rules("-j VMHOST-vmt0-IN"),
		"filter/FORWARD": rules("-j VMHOST-vmt0-FWD"),
		"filter/OUTPUT":  rules(),
		"filter/VMHOST-vmt0-FWD": rules(
			"-i vmt0 ! -s 10.250.9.0/24 -j DROP",
			"-i vmt0 -o vmt0 -j DROP",
			"-i vmt0 -j ACCEPT",
			"-o vmt0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
			"-o vmt0 -m conntrack --ctstate DNAT -j ACCEPT",
			inbound,
		),
		"filter/VMHOST-vmt0-IN": rules(
			"-i vmt0 -d 10.250.9.1 -p udp --dport 53 -j ACCEPT",
			"-i vmt0 -d 10.250.9.1 -p tcp --dport 53 -j ACCEPT",
			"-i vmt0 -d 10.250.9.1 -p icmp --icmp-type echo-request -j ACCEPT",
			"-i vmt0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
			"-i vmt0 -j DROP",
		),
		"nat/PREROUTING":       rules("-j VMHOST-vmt0-DNAT"),
		"nat/INPUT":            rules(),
		"nat/OUTPUT":           rules("-j VMHOST-vmt0-DNAT"),
		"nat/POSTROUTING":      rules("-j VMHOST-vmt0-NAT"),
		"nat/VMHOST-vmt0-DNAT": rules("-i vmt0 -j RETURN"),
		"nat/VMHOST-vmt0-NAT":  append(rules("-s 127.0.0.0/8 -o vmt0 -j MASQUERADE"), rules(masq...)...),
	}
}

func newTestFirewall() (*firewall, *fakeTables) {
	ft := newFakeTables()
	return &firewall{t: ft, chains: chainsFor("vmt0")}, ft
}

func TestFirewallSetup(t *testing.T) {
	for _, nat := range []bool{true, false} {
		fw, ft := newTestFirewall()
		if err := fw.setup(baseRules(fw.chains, testConfig(nat, true))); err != nil {
			t.Fatalf("setup(nat=%v) = %v", nat, err)
		}
		if diff := cmp.Diff(wantBase(nat), ft.state()); diff != "" {
			t.Errorf("after setup(nat=%v), rules differ (-want +got):\n%s", nat, diff)
		}
	}
}

func TestFirewallSetupIdempotent(t *testing.T) {
	fw, ft := newTestFirewall()
	// Someone else's rules, before and after ours, stay where they are.
	ft.Append("filter", "FORWARD", "-j", "DOCKER-USER")
	ft.Append("nat", "POSTROUTING", "-s", "172.17.0.0/16", "-j", "MASQUERADE")
	base := baseRules(fw.chains, testConfig(true, true))
	for i := range 3 {
		if err := fw.setup(base); err != nil {
			t.Fatalf("setup #%d = %v", i+1, err)
		}
	}
	// A restarted daemon whose chains hold stale rules (a forward, an old
	// subnet) gets exactly the base rules back.
	ft.Append("nat", "VMHOST-vmt0-DNAT", "-p", "tcp", "--dport", "1", "-j", "DNAT", "--to-destination", "10.1.1.1:1")
	ft.Append("filter", "VMHOST-vmt0-FWD", "-i", "vmt0", "-s", "10.99.0.0/16", "-j", "ACCEPT")
	if err := (&firewall{t: ft, chains: chainsFor("vmt0")}).setup(base); err != nil {
		t.Fatalf("setup after restart = %v", err)
	}
	want := wantBase(true)
	want["filter/FORWARD"] = rules("-j VMHOST-vmt0-FWD", "-j DOCKER-USER")
	want["nat/POSTROUTING"] = rules("-j VMHOST-vmt0-NAT", "-s 172.17.0.0/16 -j MASQUERADE")
	if diff := cmp.Diff(want, ft.state()); diff != "" {
		t.Errorf("after repeated setup, rules differ (-want +got):\n%s", diff)
	}
}

func TestFirewallTwoBridges(t *testing.T) {
	ft := newFakeTables()
	a := &firewall{t: ft, chains: chainsFor("vmt0")}
	b := &firewall{t: ft, chains: chainsFor("vmt1")}
	if err := a.setup(baseRules(a.chains, testConfig(true, true))); err != nil {
		t.Fatal(err)
	}
	other := &Config{Bridge: "vmt1", Subnet: netip.MustParsePrefix("10.250.10.0/24"), NAT: true}
	if err := b.setup(baseRules(b.chains, other)); err != nil {
		t.Fatal(err)
	}
	if err := b.teardown(); err != nil {
		t.Fatalf("teardown of the second = %v", err)
	}
	if diff := cmp.Diff(wantBase(true), ft.state()); diff != "" {
		t.Errorf("the second bridge's teardown touched the first's rules (-want +got):\n%s", diff)
	}
}

func TestFirewallSetupIsolateOff(t *testing.T) {
	fw, ft := newTestFirewall()
	if err := fw.setup(baseRules(fw.chains, testConfig(true, false))); err != nil {
		t.Fatal(err)
	}
	want := wantBase(true)
	want["filter/VMHOST-vmt0-FWD"] = append(want["filter/VMHOST-vmt0-FWD"][:1], want["filter/VMHOST-vmt0-FWD"][2:]...)
	if diff := cmp.Diff(want, ft.state()); diff != "" {
		t.Errorf("after setup with isolate off, rules differ (-want +got):\n%s", diff)
	}
}

func TestForwardRules(t *testing.T) {
	fw, ft := newTestFirewall()
	fs := []Forward{
		{Guest: "alice+web", Proto: "tcp", HostPort: 8080, GuestPort: 80},
		{Guest: "alice+web", Proto: "udp", HostPort: 5353, GuestPort: 53},
	}
	if err := fw.setup(baseRules(fw.chains, testConfig(true, true, fs...))); err != nil {
		t.Fatal(err)
	}
	base := wantBase(true)
	in := base["filter/VMHOST-vmt0-IN"]
	base["filter/VMHOST-vmt0-IN"] = append(append(slices.Clone(in[:3]), rules(
		"-i vmt0 -p tcp -m addrtype --dst-type LOCAL --dport 8080 -j ACCEPT",
		"-i vmt0 -p udp -m addrtype --dst-type LOCAL --dport 5353 -j ACCEPT",
	)...), in[3:]...)
	if diff := cmp.Diff(base, ft.state()); diff != "" {
		t.Errorf("after setup with published ports, rules differ (-want +got):\n%s", diff)
	}
	ip := netip.MustParseAddr("10.250.9.7")
	for range 2 { // a second attach adds nothing
		for _, f := range fs {
			if err := fw.ensure(forwardRule(fw.chains, f, ip), false); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := maps.Clone(base)
	want["nat/VMHOST-vmt0-DNAT"] = append(slices.Clone(want["nat/VMHOST-vmt0-DNAT"]), rules(
		`-p tcp -m addrtype --dst-type LOCAL --dport 8080 -m comment --comment "vmhost guest alice+web" -j DNAT --to-destination 10.250.9.7:80`,
		`-p udp -m addrtype --dst-type LOCAL --dport 5353 -m comment --comment "vmhost guest alice+web" -j DNAT --to-destination 10.250.9.7:53`,
	)...)
	if diff := cmp.Diff(want, ft.state()); diff != "" {
		t.Errorf("after publishing, rules differ (-want +got):\n%s", diff)
	}
	for _, f := range fs {
		if err := fw.remove(forwardRule(fw.chains, f, ip)); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(base, ft.state()); diff != "" {
		t.Errorf("after unpublishing, rules differ (-want +got):\n%s", diff)
	}
}

func TestFirewallTeardown(t *testing.T) {
	fw, ft := newTestFirewall()
	ft.Append("filter", "FORWARD", "-j", "DOCKER-USER")
	empty := newFakeTables().state()
	empty["filter/FORWARD"] = rules("-j DOCKER-USER")
	// Teardown before any setup, after setup, and twice.
	if err := fw.teardown(); err != nil {
		t.Fatalf("teardown with nothing set up = %v", err)
	}
	if err := fw.setup(baseRules(fw.chains, testConfig(true, true))); err != nil {
		t.Fatal(err)
	}
	// A duplicated jump, as an old buggy version might leave, goes too.
	ft.Append("filter", "INPUT", "-j", "VMHOST-vmt0-IN")
	for i := range 2 {
		if err := fw.teardown(); err != nil {
			t.Fatalf("teardown #%d = %v", i+1, err)
		}
		if diff := cmp.Diff(empty, ft.state()); diff != "" {
			t.Errorf("after teardown #%d, rules differ (-want +got):\n%s", i+1, diff)
		}
	}
}
