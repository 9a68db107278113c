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
