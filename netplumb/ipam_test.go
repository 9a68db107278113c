package netplumb

import (
	"errors"
	"net/netip"
	"testing"
)

func addrs(ss ...string) map[netip.Addr]bool {
	m := make(map[netip.Addr]bool)
	for _, s := range ss {
		m[netip.MustParseAddr(s)] = true
	}
	return m
}

func TestAllocate(t *testing.T) {
	tests := []struct {
		subnet string
		used   map[netip.Addr]bool
		want   string
	}{
		{"10.213.0.0/16", nil, "10.213.0.2"},
		{"10.213.0.0/16", addrs("10.213.0.2"), "10.213.0.3"},
		{"10.213.0.0/16", addrs("10.213.0.2", "10.213.0.4"), "10.213.0.3"},
		{"10.213.0.0/16", addrs("10.213.0.3"), "10.213.0.2"},
		{"10.213.0.0/16", addrs("10.213.0.2", "10.213.0.3", "10.213.0.4"), "10.213.0.5"},
		{"10.250.7.0/24", addrs("10.250.7.1"), "10.250.7.2"},
		{"10.0.0.0/30", nil, "10.0.0.2"},
		{"10.0.0.0/29", addrs("10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"), "10.0.0.6"},
		{"10.213.0.0/23", addrsRange("10.213.0.2", "10.213.0.255"), "10.213.1.0"},
	}
	for _, tt := range tests {
		got, err := Allocate(netip.MustParsePrefix(tt.subnet), tt.used)
		if err != nil || got.String() != tt.want {
			t.Errorf("Allocate(%s, %d used) = %v, %v, want %s", tt.subnet, len(tt.used), got, err, tt.want)
		}
	}
}

// addrsRange marks from..to, inclusive.
func addrsRange(from, to string) map[netip.Addr]bool {
	m := make(map[netip.Addr]bool)
	end := netip.MustParseAddr(to)
	for a := netip.MustParseAddr(from); !end.Less(a); a = a.Next() {
		m[a] = true
	}
	return m
}

func TestAllocateFull(t *testing.T) {
	tests := []struct {
		subnet string
		used   map[netip.Addr]bool
	}{
		{"10.0.0.0/30", addrs("10.0.0.2")},
		{"10.0.0.0/29", addrsRange("10.0.0.2", "10.0.0.6")},
		{"10.9.0.0/24", addrsRange("10.9.0.2", "10.9.0.254")},
	}
	for _, tt := range tests {
		got, err := Allocate(netip.MustParsePrefix(tt.subnet), tt.used)
		if !errors.Is(err, ErrSubnetFull) {
			t.Errorf("Allocate(%s, full) = %v, %v, want ErrSubnetFull", tt.subnet, got, err)
		}
	}
}

func TestAllocateBadSubnet(t *testing.T) {
	for _, s := range []string{"10.0.0.0/31", "10.0.0.0/32", "10.0.0.1/24", "fd00::/64"} {
		if got, err := Allocate(netip.MustParsePrefix(s), nil); err == nil || errors.Is(err, ErrSubnetFull) {
			t.Errorf("Allocate(%s) = %v, %v, want an error about the subnet", s, got, err)
		}
	}
	if got, err := Allocate(netip.Prefix{}, nil); err == nil {
		t.Errorf("Allocate(zero prefix) = %v, nil, want an error", got)
	}
}

func TestGatewayAndBroadcast(t *testing.T) {
	tests := []struct{ subnet, gw, bcast string }{
		{"10.213.0.0/16", "10.213.0.1", "10.213.255.255"},
		{"10.250.9.0/24", "10.250.9.1", "10.250.9.255"},
		{"172.16.4.0/22", "172.16.4.1", "172.16.7.255"},
		{"10.0.0.0/8", "10.0.0.1", "10.255.255.255"},
	}
	for _, tt := range tests {
		p := netip.MustParsePrefix(tt.subnet)
		if got := Gateway(p).String(); got != tt.gw {
			t.Errorf("Gateway(%s) = %s, want %s", p, got, tt.gw)
		}
		if got := broadcast(p).String(); got != tt.bcast {
			t.Errorf("broadcast(%s) = %s, want %s", p, got, tt.bcast)
		}
	}
}

func TestCheckGuestAddr(t *testing.T) {
	subnet := netip.MustParsePrefix("10.250.9.0/24")
	tests := []struct {
		ip string
		ok bool
	}{
		{"10.250.9.2", true},
		{"10.250.9.254", true},
		{"10.250.9.0", false},
		{"10.250.9.1", false},
		{"10.250.9.255", false},
		{"10.250.10.2", false},
	}
	for _, tt := range tests {
		err := checkGuestAddr(subnet, netip.MustParseAddr(tt.ip))
		if (err == nil) != tt.ok {
			t.Errorf("checkGuestAddr(%s, %s) = %v, want ok=%v", subnet, tt.ip, err, tt.ok)
		}
	}
}
