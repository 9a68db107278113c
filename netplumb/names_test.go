package netplumb

import (
	"net/netip"
	"strings"
	"testing"
)

func TestVethName(t *testing.T) {
	seen := make(map[string]string)
	for _, bridge := range []string{"vmhost0", "vmhost1", "averylongbridge"} {
		for _, id := range []string{"alice", "alice+web", "bob", "a", "averyveryverylongusername+averyveryverylongguestname"} {
			got := vethName(bridge, id)
			if len(got) > 15 || !strings.HasPrefix(got, "vh") {
				t.Errorf("vethName(%q, %q) = %q, want vh and at most 15 characters", bridge, id, got)
			}
			if again := vethName(bridge, id); again != got {
				t.Errorf("vethName(%q, %q) = %q then %q, want stable", bridge, id, got, again)
			}
			key := bridge + " " + id
			if other, dup := seen[got]; dup {
				t.Errorf("vethName(%s) = vethName(%s) = %q", key, other, got)
			}
			seen[got] = key
		}
	}
}

func TestGuestFQDN(t *testing.T) {
	tests := []struct{ id, want string }{
		{"alice", "alice.vmhost."},
		{"alice+web", "web.alice.vmhost."},
		{"alice+alice", "alice.vmhost."},
		{"Bob+DB", "db.bob.vmhost."},
	}
	for _, tt := range tests {
		if got := guestFQDN(tt.id); got != tt.want {
			t.Errorf("guestFQDN(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

func TestResolvConf(t *testing.T) {
	got := string(ResolvConf(netip.MustParseAddr("10.213.0.1")))
	want := "nameserver 10.213.0.1\nsearch vmhost\n"
	if got != want {
		t.Errorf("ResolvConf(10.213.0.1) = %q, want %q", got, want)
	}
}

func TestChainsFor(t *testing.T) {
	c := chainsFor("abcdefghijklmno")
	for _, ref := range c.own() {
		if len(ref.Chain) > maxChainName {
			t.Errorf("chain %q has %d characters, more than iptables' %d", ref.Chain, len(ref.Chain), maxChainName)
		}
	}
	if a, b := chainsFor("vmhost0"), chainsFor("vmhost1"); a.Forward == b.Forward || a.DNAT == b.DNAT {
		t.Errorf("chainsFor gives two bridges the same chains: %v and %v", a, b)
	}
}

func TestCheckBridgeName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"vmhost0", true},
		{"vmt1a2b3c", true},
		{"br-lab.1_x", true},
		{"abcdefghijklmno", true},
		{"abcdefghijklmnop", false},
		{"", false},
		{"a b", false},
		{"a/b", false},
		{"a:b", false},
		{"a!b", false},
		{"..", false},
	}
	for _, tt := range tests {
		if err := checkBridgeName(tt.name); (err == nil) != tt.ok {
			t.Errorf("checkBridgeName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
