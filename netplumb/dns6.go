package netplumb

import (
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// source returns the address that a query from src counts against: a
// guest's IPv6 addresses, global or link-local, count as its IPv4 address,
// so that a guest gets one share of every per-source bound whatever family
// it asks over. Any other address is itself.
func (s *dnsServer) source(src netip.Addr) netip.Addr {
	if ip, ok := address4Of(s.subnet, s.subnet6, src); ok {
		return ip
	}
	return src.Unmap()
}

// addressRecords returns the records of a guest at ip that answer q: its
// IPv4 address for A, its IPv6 address for AAAA (when guests have IPv6),
// both for ANY. The caller holds s.mu.
func (s *dnsServer) addressRecords(q dns.Question, ip netip.Addr) []dns.RR {
	var rrs []dns.RR
	if q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY {
		rrs = append(rrs, &dns.A{Hdr: header(q.Name, dns.TypeA), A: ip.AsSlice()})
	}
	if s.subnet6.IsValid() && (q.Qtype == dns.TypeAAAA || q.Qtype == dns.TypeANY) {
		ip6 := Address6(s.subnet, s.subnet6, ip)
		rrs = append(rrs, &dns.AAAA{Hdr: header(q.Name, dns.TypeAAAA), AAAA: ip6.AsSlice()})
	}
	return rrs
}

// reverseNames returns the reverse names of the guest at ip: in-addr.arpa,
// and ip6.arpa when guests have IPv6.
func (s *dnsServer) reverseNames(ip netip.Addr) []string {
	names := []string{reverseName(ip)}
	if s.subnet6.IsValid() {
		names = append(names, reverseName6(Address6(s.subnet, s.subnet6, ip)))
	}
	return names
}

// inReverseZone6 reports whether name is the ip6.arpa name of an address of
// subnet6. Those are never forwarded.
func (s *dnsServer) inReverseZone6(name string) bool {
	ip, ok := parseReverseName6(name)
	return ok && s.subnet6.IsValid() && s.subnet6.Contains(ip)
}

// reverseName6 returns the ip6.arpa name of an IPv6 address: its 32 nibbles
// in reverse order.
func reverseName6(ip netip.Addr) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	a := ip.As16()
	for i := 15; i >= 0; i-- {
		b.WriteByte(hex[a[i]&0xf])
		b.WriteByte('.')
		b.WriteByte(hex[a[i]>>4])
		b.WriteByte('.')
	}
	return b.String() + "ip6.arpa."
}

// parseReverseName6 reads the address of an ip6.arpa name with all 32
// nibbles, lower case.
func parseReverseName6(name string) (netip.Addr, bool) {
	rest, ok := strings.CutSuffix(name, ".ip6.arpa.")
	labels := strings.Split(rest, ".")
	if !ok || len(labels) != 32 {
		return netip.Addr{}, false
	}
	var a [16]byte
	for i, l := range labels {
		v := strings.Index("0123456789abcdef", l)
		if len(l) != 1 || v < 0 {
			return netip.Addr{}, false
		}
		a[15-i/2] |= byte(v) << (4 * (i % 2))
	}
	return netip.AddrFrom16(a), true
}
