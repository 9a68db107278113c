package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLookups(t *testing.T) {
	c, err := testLoader.Parse("/etc/vmhost/config.yaml", []byte(designExample+
		"  bob:\n    keys: [\""+bobKey+"\"]\n    max_guests: 5\n    limits: {cpus: 0.5, pids: 64}\n"))
	if err != nil {
		t.Fatalf("Parse(designExample) = %v", err)
	}
	type result struct {
		Known     bool
		Image     string
		MaxGuests int
		Limits    Limits
	}
	tests := []struct {
		user string
		want result
	}{
		{"alice", result{true, "debian", 3, Limits{Memory: GiB, CPUs: 1.5, Pids: 512}}},
		{"bob", result{true, "busybox", 5, Limits{Memory: 512 * MiB, CPUs: 0.5, Pids: 64}}},
		{"carol", result{false, "busybox", 3, Limits{Memory: 512 * MiB, CPUs: 1.5, Pids: 512}}},
	}
	for _, tt := range tests {
		_, known := c.User(tt.user)
		got := result{known, c.ImageFor(tt.user), c.MaxGuestsFor(tt.user), c.LimitsFor(tt.user)}
		if !cmp.Equal(got, tt.want) {
			t.Errorf("lookups for %q = %+v, want %+v", tt.user, got, tt.want)
		}
	}
}

func TestSwitches(t *testing.T) {
	off, on := false, true
	tests := []struct {
		net          Network
		nat, isolate bool
	}{
		{Network{}, true, true},
		{Network{NAT: &off, Isolate: &on}, false, true},
		{Network{NAT: &on, Isolate: &off}, true, false},
	}
	for _, tt := range tests {
		c := &Config{Network: tt.net}
		if c.NATEnabled() != tt.nat || c.IsolateEnabled() != tt.isolate {
			t.Errorf("NATEnabled, IsolateEnabled of %+v = %v, %v, want %v, %v",
				tt.net, c.NATEnabled(), c.IsolateEnabled(), tt.nat, tt.isolate)
		}
	}
}
