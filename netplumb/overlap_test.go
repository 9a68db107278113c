package netplumb

import (
	"net/netip"
	"strings"
	"testing"
)

func TestCheckOverlap(t *testing.T) {
	subnet := netip.MustParsePrefix("10.213.0.0/16")
	p := netip.MustParsePrefix
	tests := []struct {
		name    string
		nets    []hostNet
		wantErr string // "" for no error
	}{
		{"nothing", nil, ""},
		{"disjoint", []hostNet{{"address", p("192.0.2.0/24"), "eth0"}, {"route", p("10.214.0.0/16"), "eth1"}}, ""},
		{"default route", []hostNet{{"route", p("0.0.0.0/0"), "eth0"}}, ""},
		{"our bridge", []hostNet{{"address", p("10.213.0.0/16"), "vmhost0"}, {"route", p("10.213.0.0/16"), "vmhost0"}}, ""},
		{"same subnet elsewhere", []hostNet{{"address", p("10.213.0.0/16"), "docker0"}}, "address 10.213.0.0/16 dev docker0"},
		{"wider route", []hostNet{{"route", p("10.0.0.0/8"), "wg0"}}, "route 10.0.0.0/8 dev wg0"},
		{"narrower route", []hostNet{{"route", p("10.213.7.0/24"), ""}}, "route 10.213.7.0/24"},
		{"another daemon's bridge", []hostNet{{"address", p("10.213.128.0/17"), "vmhost1"}}, "vmhost1"},
	}
	for _, tt := range tests {
		err := checkOverlap(subnet, tt.nets, "vmhost0")
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: checkOverlap = %v, want nil", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: checkOverlap = %v, want an error naming %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestCheckOverlap6(t *testing.T) {
	subnet6 := netip.MustParsePrefix("fd12:3456:789a::/64")
	p := netip.MustParsePrefix
	tests := []struct {
		name    string
		nets    []hostNet
		wantErr string // "" for no error
	}{
		{"IPv4 only", []hostNet{{"address", p("10.213.0.0/16"), "eth0"}}, ""},
		{"default route", []hostNet{{"route", p("::/0"), "eth0"}}, ""},
		{"link-local", []hostNet{{"address", p("fe80::/64"), "eth0"}}, ""},
		{"our bridge", []hostNet{{"route", p("fd12:3456:789a::/64"), "vmhost0"}}, ""},
		{"another /64 of the /48", []hostNet{{"route", p("fd12:3456:789b::/64"), "eth1"}}, ""},
		{"same /64 elsewhere", []hostNet{{"address", p("fd12:3456:789a::/64"), "eth0"}}, "network.subnet6"},
		{"wider route", []hostNet{{"route", p("fd12::/16"), "wg0"}}, "route fd12::/16 dev wg0"},
	}
	for _, tt := range tests {
		err := checkOverlap(subnet6, tt.nets, "vmhost0")
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: checkOverlap = %v, want nil", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: checkOverlap = %v, want an error naming %q", tt.name, err, tt.wantErr)
		}
	}
}
