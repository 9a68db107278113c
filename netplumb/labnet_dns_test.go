package netplumb

import (
	"log/slog"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

// labDNS is a DNS server with the guests of two students, s01 and s02, each
// with hosts pc and router, and of a user called router with her own guest.
func labDNS() *dnsServer {
	s := newDNSServer(slog.New(slog.DiscardHandler), testSubnet, testSubnet6, func() []string { return nil }, nil, Bounds{})
	for id, ip := range map[string]string{
		"s01+pc": "10.250.9.11", "s01+router": "10.250.9.12",
		"s02+pc": "10.250.9.21", "s02+router": "10.250.9.22",
		"router": "10.250.9.30", "alice": "10.250.9.40",
	} {
		s.setName(id, netip.MustParseAddr(ip))
	}
	return s
}

func TestDNSSiblingNames(t *testing.T) {
	s := labDNS()
	s.setName("s02+router", netip.MustParseAddr("10.250.9.23")) // moved
	s.setName("gone", netip.MustParseAddr("10.250.9.50"))
	s.removeName("gone")
	tests := []struct {
		from, name string
		qtype      uint16
		want       result
	}{
		{"10.250.9.11", "router.vmhost.", dns.TypeA, result{"NOERROR", []string{"router.vmhost.\t5\tIN\tA\t10.250.9.12"}}},
		{"10.250.9.12", "PC.vmhost.", dns.TypeA, result{"NOERROR", []string{"PC.vmhost.\t5\tIN\tA\t10.250.9.11"}}},
		{"fd00:db8:9::b", "router.vmhost.", dns.TypeA, result{"NOERROR", []string{"router.vmhost.\t5\tIN\tA\t10.250.9.12"}}},
		{"10.250.9.11", "router.vmhost.", dns.TypeAAAA, result{"NOERROR", []string{"router.vmhost.\t5\tIN\tAAAA\tfd00:db8:9::c"}}},
		{"10.250.9.21", "router.vmhost.", dns.TypeA, result{"NOERROR", []string{"router.vmhost.\t5\tIN\tA\t10.250.9.23"}}},
		{"10.250.9.11", "pc.vmhost.", dns.TypeA, result{"NOERROR", []string{"pc.vmhost.\t5\tIN\tA\t10.250.9.11"}}},
		// everyone else's answers are as before
		{"10.250.9.40", "router.vmhost.", dns.TypeA, result{"NOERROR", []string{"router.vmhost.\t5\tIN\tA\t10.250.9.30"}}},
		{"10.250.9.50", "router.vmhost.", dns.TypeA, result{"NOERROR", []string{"router.vmhost.\t5\tIN\tA\t10.250.9.30"}}},
		{"127.0.0.1", "router.vmhost.", dns.TypeA, result{"NOERROR", []string{"router.vmhost.\t5\tIN\tA\t10.250.9.30"}}},
		{"10.250.9.40", "pc.vmhost.", dns.TypeA, result{"NXDOMAIN", nil}},
		{"10.250.9.11", "router.s02.vmhost.", dns.TypeA, result{"NOERROR", []string{"router.s02.vmhost.\t5\tIN\tA\t10.250.9.23"}}},
		{"10.250.9.11", "web.vmhost.", dns.TypeA, result{"NXDOMAIN", nil}},
		{"10.250.9.11", "s01.vmhost.", dns.TypeA, result{"NOERROR", nil}},
		{"10.250.9.11", "alice.vmhost.", dns.TypeA, result{"NOERROR", []string{"alice.vmhost.\t5\tIN\tA\t10.250.9.40"}}},
		{"10.250.9.11", "12.9.250.10.in-addr.arpa.", dns.TypePTR, result{"NOERROR", []string{"12.9.250.10.in-addr.arpa.\t5\tIN\tPTR\trouter.s01.vmhost."}}},
	}
	for _, tt := range tests {
		src := s.source(netip.MustParseAddr(tt.from))
		resp, ok := s.answer(new(dns.Msg).SetQuestion(tt.name, tt.qtype), src)
		if !ok {
			t.Errorf("answer(%s %s) from %s = not ours, want an answer", tt.name, dns.TypeToString[tt.qtype], tt.from)
			continue
		}
		if diff := cmp.Diff(tt.want, resultOf(resp)); diff != "" {
			t.Errorf("answer(%s %s) from %s differs (-want +got):\n%s", tt.name, dns.TypeToString[tt.qtype], tt.from, diff)
		}
	}
}

// TestDNSSiblingServed asks over the wire, from a guest's address: the
// server takes the query's source, not anything in the query, as the asker.
func TestDNSSiblingServed(t *testing.T) {
	s := labDNS()
	s.setName("s01+router", netip.MustParseAddr("127.0.0.1")) // the test asks from loopback
	addr := freeAddrPort(t)
	if err := s.listen(addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	for _, proto := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: proto}
		resp, _, err := c.Exchange(new(dns.Msg).SetQuestion("pc.vmhost.", dns.TypeA), addr.String())
		if err != nil {
			t.Fatalf("%s query: %v", proto, err)
		}
		want := result{"NOERROR", []string{"pc.vmhost.\t5\tIN\tA\t10.250.9.11"}}
		if diff := cmp.Diff(want, resultOf(resp)); diff != "" {
			t.Errorf("%s: pc.vmhost. from s01+router differs (-want +got):\n%s", proto, diff)
		}
	}
}
