package netplumb

import (
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestAddress6(t *testing.T) {
	p := netip.MustParsePrefix
	tests := []struct{ subnet, subnet6, ip, want string }{
		{"10.213.0.0/16", "fd12:3456:789a::/64", "10.213.0.2", "fd12:3456:789a::2"},
		{"10.213.0.0/16", "fd12:3456:789a::/64", "10.213.1.7", "fd12:3456:789a::107"},
		{"10.250.9.0/24", "2001:db8:5:6::/64", "10.250.9.254", "2001:db8:5:6::fe"},
		{"10.0.0.0/8", "fd00:1::/64", "10.255.255.254", "fd00:1::ff:fffe"},
	}
	for _, tt := range tests {
		got := Address6(p(tt.subnet), p(tt.subnet6), netip.MustParseAddr(tt.ip))
		if got.String() != tt.want {
			t.Errorf("Address6(%s, %s, %s) = %s, want %s", tt.subnet, tt.subnet6, tt.ip, got, tt.want)
		}
		back, ok := address4Of(p(tt.subnet), p(tt.subnet6), got)
		if !ok || back.String() != tt.ip {
			t.Errorf("address4Of(%s) = %s, %v; want %s, true", got, back, ok, tt.ip)
		}
	}
	if gw := Gateway6(p("fd12:3456:789a::/64")); gw.String() != "fd12:3456:789a::1" {
		t.Errorf("Gateway6 = %s, want fd12:3456:789a::1", gw)
	}
}

func TestLinkLocal(t *testing.T) {
	ip := netip.MustParseAddr("10.213.0.2")
	if got := LinkLocal(GuestMAC(ip)); got.String() != "fe80::76:aff:fed5:2" {
		t.Errorf("LinkLocal(%s) = %s, want fe80::76:aff:fed5:2", GuestMAC(ip), got)
	}
}

func TestAddress4Of(t *testing.T) {
	subnet, subnet6 := netip.MustParsePrefix("10.213.0.0/16"), netip.MustParsePrefix("fd12:3456:789a::/64")
	tests := []struct {
		a6, want string // want "" for no guest
	}{
		{"fd12:3456:789a::2", "10.213.0.2"},
		{"fe80::76:aff:fed5:2", "10.213.0.2"},
		{"fe80::76:aff:fed5:2%eth0", "10.213.0.2"},
		{"10.213.0.9", "10.213.0.9"},
		{"::ffff:10.213.0.9", "10.213.0.9"},
		{"fd12:3456:789a::1", ""},     // the gateway
		{"fd12:3456:789a::1:0:2", ""}, // beyond the IPv4 host part
		{"fd12:3456:789a::1:0", ""},   // 10.213.0.0 would be outside 10.213/16's hosts
		{"fd12:3456:789a::ff", "10.213.0.255"},
		{"fd12:3456:789a::ffff", ""},    // the broadcast address
		{"fd12:3456:789a::ff:ffff", ""}, // host part wider than /16
		{"fe80::76:aff:fed5:1", ""},     // the gateway's MAC-style address
		{"fe80::76:bff:fed5:2", ""},     // 11.213.0.2, outside the subnet
		{"fe80::1076:aff:fed5:2", ""},   // not a guest MAC
		{"2001:db8::2", ""},
	}
	for _, tt := range tests {
		got, ok := address4Of(subnet, subnet6, netip.MustParseAddr(tt.a6))
		if (tt.want == "") == ok || (ok && got.String() != tt.want) {
			t.Errorf("address4Of(%s) = %s, %v; want %q", tt.a6, got, ok, tt.want)
		}
	}
}

func TestCheckSubnet6(t *testing.T) {
	tests := []struct{ p, wantErr string }{
		{"fd12:3456:789a::/64", ""},
		{"2001:db8:1:2::/64", ""},
		{"fd12:3456:789a::/48", "not a /64"},
		{"fd12:3456:789a::1/64", "first address"},
		{"fe80::/64", "link-local"},
		{"ff02::/64", "multicast"},
		{"::ffff:0:0/96", "not an IPv6 subnet"},
		{"10.0.0.0/8", "not an IPv6 subnet"},
	}
	for _, tt := range tests {
		err := checkSubnet6(netip.MustParsePrefix(tt.p))
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("checkSubnet6(%s) = %v, want %q", tt.p, err, tt.wantErr)
		}
	}
}

func TestReverseName6(t *testing.T) {
	a := netip.MustParseAddr("fd12:3456:789a::2:3")
	name := reverseName6(a)
	if !strings.HasPrefix(name, "3.0.0.0.2.0.0.0.0.0.0.0") || !strings.HasSuffix(name, ".a.9.8.7.6.5.4.3.2.1.d.f.ip6.arpa.") {
		t.Errorf("reverseName6(%s) = %s", a, name)
	}
	if back, ok := parseReverseName6(name); !ok || back != a {
		t.Errorf("parseReverseName6(%s) = %s, %v; want %s", name, back, ok, a)
	}
	for _, bad := range []string{"1.ip6.arpa.", strings.Replace(name, "3.", "x.", 1), strings.Replace(name, "3.", "33.", 1)} {
		if _, ok := parseReverseName6(bad); ok {
			t.Errorf("parseReverseName6(%s) = ok, want not", bad)
		}
	}
}

func TestDNSSource(t *testing.T) {
	s := testDNS()
	tests := []struct{ src, want string }{
		{"fd00:db8:9::2", "10.250.9.2"},
		{"fe80::76:aff:fefa:902", "10.250.9.2"},
		{"10.250.9.2", "10.250.9.2"},
		{"127.0.0.1", "127.0.0.1"},
		{"2001:db8::9", "2001:db8::9"},
	}
	for _, tt := range tests {
		if got := s.source(netip.MustParseAddr(tt.src)); got.String() != tt.want {
			t.Errorf("source(%s) = %s, want %s", tt.src, got, tt.want)
		}
	}
}

// fakeListener hands out connections from the given remote addresses.
type fakeListener struct {
	net.Listener
	from []string
}

func (l *fakeListener) Accept() (net.Conn, error) {
	if len(l.from) == 0 {
		return nil, net.ErrClosed
	}
	a, b := net.Pipe()
	b.Close()
	c := remoteConn{Conn: a, remote: net.TCPAddrFromAddrPort(netip.MustParseAddrPort(l.from[0]))}
	l.from = l.from[1:]
	return c, nil
}

// remoteConn is a connection from remote.
type remoteConn struct {
	net.Conn
	remote net.Addr
}

func (c remoteConn) RemoteAddr() net.Addr { return c.remote }

// TestDNSConnsPerGuest checks that the DNS server's TCP connections count
// against one share per guest, whether they come from its IPv4 address, its
// IPv6 address or its link-local one.
func TestDNSConnsPerGuest(t *testing.T) {
	s := testDNS()
	q := newQuota(slog.New(slog.DiscardHandler), "DNS connections", 2, 100, 1, nil)
	l := quotaListener{Listener: &fakeListener{from: []string{
		"10.250.9.2:1000", "[fd00:db8:9::2]:1000", "[fe80::76:aff:fefa:902]:1000", "10.250.9.3:1000",
	}}, q: q, key: s.source}
	var got []string
	for {
		c, err := l.Accept()
		if err != nil {
			break
		}
		got = append(got, c.RemoteAddr().String())
	}
	want := []string{"10.250.9.2:1000", "[fd00:db8:9::2]:1000", "10.250.9.3:1000"}
	if !slices.Equal(got, want) {
		t.Errorf("with 2 connections a guest, accepted %v, want %v", got, want)
	}
}
