package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLookups(t *testing.T) {
	c, err := testLoader.Parse("/etc/vmhost/config.yaml", []byte(designExample+
		"  bob:\n    keys: [\""+bobKey+"\"]\n    max_guests: 5\n    limits: {cpus: 0.5, pids: 64, swap: 1GiB, cpu_weight: 50, io_weight: 200, disk: 5GiB, inodes: 100000}\n"))
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
		{"bob", result{true, "busybox", 5, Limits{Memory: 512 * MiB, Swap: GiB, CPUs: 0.5, CPUWeight: 50, Pids: 64, IOWeight: 200, Disk: 5 * GiB, Inodes: 100000}}},
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

func TestLimitsOverride(t *testing.T) {
	base := Limits{Memory: GiB, Swap: 2 * GiB, CPUs: 1, CPUWeight: 100, Pids: 100, IOWeight: 100}
	tests := []struct {
		over, want Limits
	}{
		{Limits{}, base},
		{Limits{Memory: 512 * MiB}, Limits{Memory: 512 * MiB, Swap: 2 * GiB, CPUs: 1, CPUWeight: 100, Pids: 100, IOWeight: 100}},
		{Limits{Swap: GiB, CPUs: 0.5, CPUWeight: 7, Pids: 5, IOWeight: 9000},
			Limits{Memory: GiB, Swap: GiB, CPUs: 0.5, CPUWeight: 7, Pids: 5, IOWeight: 9000}},
	}
	for _, tt := range tests {
		if got := base.Override(tt.over); got != tt.want {
			t.Errorf("%+v.Override(%+v) = %+v, want %+v", base, tt.over, got, tt.want)
		}
	}
}

func TestLimitsCheck(t *testing.T) {
	host := Host{MemTotal: int64(8 * GiB), CPUs: 4, SwapTotal: int64(GiB)}
	tests := []struct {
		in   Limits
		want string // "" for no error
	}{
		{Limits{}, ""},
		{Limits{Memory: GiB, Swap: 9 * GiB, CPUs: 4, CPUWeight: 10000, Pids: 1, IOWeight: 1}, ""},
		{Limits{Memory: -1}, "memory: -1 is not a memory size"},
		{Limits{Memory: GiB, Swap: 10 * GiB}, "swap: 10GiB is more than this host's memory and swap (9GiB)"},
		{Limits{Memory: GiB, Swap: 512 * MiB}, "swap: 512MiB is less than memory (1GiB); swap is the ceiling of memory plus swap"},
		{Limits{Swap: GiB}, "swap: swap is the ceiling of memory plus swap (as Docker's --memory-swap); set memory too"},
		{Limits{CPUs: 5}, "cpus: 5 is more than this host's 4 CPUs"},
		{Limits{CPUWeight: 10001}, "cpu_weight: 10001 is not a weight; write one from 1 to 10000"},
		{Limits{IOWeight: -3}, "io_weight: -3 is not a weight"},
		{Limits{Disk: 10 * GiB, Inodes: 100000}, ""},
		{Limits{Disk: MiB}, "disk: 1MiB is too little; a guest's disk needs at least 16MiB"},
		{Limits{Disk: -1}, "disk: -1 is not a disk size"},
		{Limits{Inodes: 10, Disk: GiB}, "inodes: 10 is too few inodes; write 1024 or more"},
		{Limits{Pids: -1, CPUs: -2}, "cpus: -2 is not a number of CPUs; write one above 0, like 1.5, or leave it out for no limit\npids: -1 is not a number of processes"},
	}
	for _, tt := range tests {
		err := tt.in.Check(host)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%+v.Check() = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestValidateLimitsOverOwner(t *testing.T) {
	host := Host{MemTotal: int64(8 * GiB), CPUs: 4, SwapTotal: int64(GiB)}
	owner := Limits{Memory: GiB, Swap: 2 * GiB, CPUs: 2}
	tests := []struct {
		own  Limits
		want string // "" for no error
	}{
		{Limits{}, ""},
		{Limits{Pids: 10}, ""},
		{Limits{Memory: 4 * GiB}, "memory: 4GiB is more than swap (2GiB), the ceiling of memory plus swap of defaults.limits; set swap too"},
		{Limits{Memory: 4 * GiB, Swap: 4 * GiB}, ""},
		{Limits{Swap: 512 * MiB}, "swap: 512MiB is less than memory (1GiB)"},
		{Limits{CPUs: 8}, "cpus: 8 is more than this host's 4 CPUs"},
	}
	for _, tt := range tests {
		err := ValidateLimits(tt.own, owner.Override(tt.own), host)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("ValidateLimits(%+v over %+v) = %v, want %q", tt.own, owner, err, tt.want)
		}
	}
}
