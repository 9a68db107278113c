package netplumb

import (
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

// result is the part of a DNS answer the tests compare.
type result struct {
	Rcode  string
	Answer []string
}

func resultOf(m *dns.Msg) result {
	r := result{Rcode: dns.RcodeToString[m.Rcode]}
	for _, rr := range m.Answer {
		r.Answer = append(r.Answer, rr.String())
	}
	return r
}

// testSubnet6 is the IPv6 subnet of the tests' guests.
var testSubnet6 = netip.MustParsePrefix("fd00:db8:9::/64")

func testDNS(upstreams ...string) *dnsServer {
	s := newDNSServer(slog.New(slog.DiscardHandler), testSubnet, testSubnet6, func() []string { return upstreams }, nil, Bounds{})
	s.setName("alice", netip.MustParseAddr("10.250.9.2"))
	s.setName("alice+web", netip.MustParseAddr("10.250.9.3"))
	s.setName("bob+db", netip.MustParseAddr("10.250.9.4"))
	return s
}

func TestDNSAnswer(t *testing.T) {
	s := testDNS()
	s.setName("bob+db", netip.MustParseAddr("10.250.9.5")) // moved
	s.setName("carol", netip.MustParseAddr("10.250.9.6"))
	s.removeName("carol")
	tests := []struct {
		name  string
		qtype uint16
		want  result
	}{
		{"alice.vmhost.", dns.TypeA, result{"NOERROR", []string{"alice.vmhost.\t5\tIN\tA\t10.250.9.2"}}},
		{"ALICE.VMHOST.", dns.TypeA, result{"NOERROR", []string{"ALICE.VMHOST.\t5\tIN\tA\t10.250.9.2"}}},
		{"web.alice.vmhost.", dns.TypeA, result{"NOERROR", []string{"web.alice.vmhost.\t5\tIN\tA\t10.250.9.3"}}},
		{"web.alice.vmhost.", dns.TypeAAAA, result{"NOERROR", []string{"web.alice.vmhost.\t5\tIN\tAAAA\tfd00:db8:9::3"}}},
		{"web.alice.vmhost.", dns.TypeMX, result{"NOERROR", nil}},
		{"bob.vmhost.", dns.TypeAAAA, result{"NOERROR", nil}},
		{"carol.vmhost.", dns.TypeAAAA, result{"NXDOMAIN", nil}},
		{reverseName6(netip.MustParseAddr("fd00:db8:9::3")), dns.TypePTR, result{"NOERROR", []string{reverseName6(netip.MustParseAddr("fd00:db8:9::3")) + "\t5\tIN\tPTR\tweb.alice.vmhost."}}},
		{reverseName6(netip.MustParseAddr("fd00:db8:9::4")), dns.TypePTR, result{"NXDOMAIN", nil}},
		{"db.bob.vmhost.", dns.TypeA, result{"NOERROR", []string{"db.bob.vmhost.\t5\tIN\tA\t10.250.9.5"}}},
		{"bob.vmhost.", dns.TypeA, result{"NOERROR", nil}}, // exists: db.bob is below it
		{"vmhost.", dns.TypeA, result{"NOERROR", nil}},
		{"carol.vmhost.", dns.TypeA, result{"NXDOMAIN", nil}},
		{"x.web.alice.vmhost.", dns.TypeA, result{"NXDOMAIN", nil}},
		{"nobody.vmhost.", dns.TypeA, result{"NXDOMAIN", nil}},
		{"3.9.250.10.in-addr.arpa.", dns.TypePTR, result{"NOERROR", []string{"3.9.250.10.in-addr.arpa.\t5\tIN\tPTR\tweb.alice.vmhost."}}},
		{"4.9.250.10.in-addr.arpa.", dns.TypePTR, result{"NXDOMAIN", nil}},
		{"6.9.250.10.in-addr.arpa.", dns.TypePTR, result{"NXDOMAIN", nil}},
	}
	for _, tt := range tests {
		req := new(dns.Msg).SetQuestion(tt.name, tt.qtype)
		resp, ok := s.answer(req, netip.Addr{})
		if !ok {
			t.Errorf("answer(%s %s) = not ours, want an answer", tt.name, dns.TypeToString[tt.qtype])
			continue
		}
		if diff := cmp.Diff(tt.want, resultOf(resp)); diff != "" {
			t.Errorf("answer(%s %s) differs (-want +got):\n%s", tt.name, dns.TypeToString[tt.qtype], diff)
		}
		if !resp.Authoritative || resp.Id != req.Id {
			t.Errorf("answer(%s) = id %d, authoritative %v; want id %d, authoritative", tt.name, resp.Id, resp.Authoritative, req.Id)
		}
	}
}

func TestDNSNotOurs(t *testing.T) {
	s := testDNS()
	for _, name := range []string{"example.com.", "vmhost.example.com.", "9.250.10.in-addr.arpa.", "1.1.168.192.in-addr.arpa.", "3.9.250.10.ip6.arpa.",
		reverseName6(netip.MustParseAddr("fd00:db8:a::3")), reverseName6(netip.MustParseAddr("2001:db8::1"))} {
		if resp, ok := s.answer(new(dns.Msg).SetQuestion(name, dns.TypeA), netip.Addr{}); ok {
			t.Errorf("answer(%s) = %v, want it forwarded", name, resp)
		}
	}
}

// fakeUpstream is a resolver that answers every A query with
// 192.0.2.99 and counts the queries by transport.
type fakeUpstream struct {
	addr string
	mu   sync.Mutex
	seen map[string]int
}

// queries returns how many queries came over each transport.
func (f *fakeUpstream) queries() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.seen)
}

// bigName is the name the fake upstream answers with many records.
const bigName = "big.test."

// startFakeUpstream serves on addr, "ip:port"; port 0 picks one free for
// both UDP and TCP.
func startFakeUpstream(t *testing.T, addr string) *fakeUpstream {
	t.Helper()
	f := &fakeUpstream{seen: make(map[string]int)}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		f.mu.Lock()
		f.seen[w.RemoteAddr().Network()]++
		f.mu.Unlock()
		resp := new(dns.Msg).SetReply(req)
		resp.Answer = []dns.RR{&dns.A{Hdr: header(req.Question[0].Name, dns.TypeA), A: net.ParseIP("192.0.2.99")}}
		if req.Question[0].Name == bigName { // an answer of over 2 KB
			for i := range 150 {
				resp.Answer = append(resp.Answer, &dns.A{Hdr: header(bigName, dns.TypeA), A: net.IPv4(192, 0, 2, byte(i))})
			}
		}
		w.WriteMsg(resp)
	})
	pc, l := listenBoth(t, addr)
	f.addr = pc.LocalAddr().String()
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: l, Handler: h}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go srv.ActivateAndServe()
		<-started
		t.Cleanup(func() { srv.Shutdown() })
	}
	return f
}

// listenBoth listens on addr for UDP and TCP; port 0 picks a port free for
// both.
func listenBoth(t *testing.T, addr string) (net.PacketConn, net.Listener) {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp4", pc.LocalAddr().String())
		if err == nil {
			return pc, l
		}
		pc.Close()
	}
	t.Fatalf("no port free for both UDP and TCP at %s", addr)
	return nil, nil
}

// freeAddrPort returns an address of 127.0.0.1 whose port is free for UDP and
// TCP.
func freeAddrPort(t *testing.T) netip.AddrPort {
	pc, l := listenBoth(t, "127.0.0.1:0")
	ap := netip.MustParseAddrPort(pc.LocalAddr().String())
	pc.Close()
	l.Close()
	return ap
}

func TestDNSServer(t *testing.T) {
	up := startFakeUpstream(t, "127.0.0.1:0")
	refused := freeAddrPort(t).String() // nothing listens there
	s := testDNS(refused, up.addr)
	addr := freeAddrPort(t)
	if err := s.listen(addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	tests := []struct {
		name string
		want result
	}{
		{"web.alice.vmhost.", result{"NOERROR", []string{"web.alice.vmhost.\t5\tIN\tA\t10.250.9.3"}}},
		{"nobody.vmhost.", result{"NXDOMAIN", nil}},
		{"example.test.", result{"NOERROR", []string{"example.test.\t5\tIN\tA\t192.0.2.99"}}},
	}
	for _, proto := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: proto, Timeout: 5 * time.Second}
		for _, tt := range tests {
			resp, _, err := c.Exchange(new(dns.Msg).SetQuestion(tt.name, dns.TypeA), addr.String())
			if err != nil {
				t.Errorf("%s query for %s: %v", proto, tt.name, err)
				continue
			}
			if diff := cmp.Diff(tt.want, resultOf(resp)); diff != "" {
				t.Errorf("%s query for %s differs (-want +got):\n%s", proto, tt.name, diff)
			}
		}
	}
	if diff := cmp.Diff(map[string]int{"udp": 1, "tcp": 1}, up.queries()); diff != "" {
		t.Errorf("upstream saw queries (-want +got):\n%s", diff)
	}
}

func TestDNSServerNoUpstream(t *testing.T) {
	s := testDNS(freeAddrPort(t).String())
	addr := freeAddrPort(t)
	if err := s.listen(addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	resp, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(new(dns.Msg).SetQuestion("example.test.", dns.TypeA), addr.String())
	if err != nil || resp.Rcode != dns.RcodeServerFailure {
		t.Errorf("query with no upstream = %v, %v; want SERVFAIL", resp, err)
	}
}

func TestHostResolvers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	r := &hostResolvers{path: path, exclude: netip.MustParseAddr("10.250.9.1")}
	write := func(content string, mtime time.Time) {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(path, mtime, mtime)
	}
	if diff := cmp.Diff([]string{"127.0.0.1:53"}, r.list()); diff != "" {
		t.Errorf("without resolv.conf (-want +got):\n%s", diff)
	}
	t0 := time.Now().Add(-time.Hour)
	write("nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n", t0)
	if diff := cmp.Diff([]string{"127.0.0.53:53"}, r.list()); diff != "" {
		t.Errorf("systemd-resolved stub (-want +got):\n%s", diff)
	}
	write("nameserver 10.250.9.1\nnameserver 192.0.2.53\nnameserver fd00::53\n", t0.Add(time.Minute))
	if diff := cmp.Diff([]string{"192.0.2.53:53", "[fd00::53]:53"}, r.list()); diff != "" {
		t.Errorf("after a rewrite, without the gateway (-want +got):\n%s", diff)
	}
	write("nameserver 10.250.9.1\n", t0.Add(2*time.Minute))
	if diff := cmp.Diff([]string{"127.0.0.1:53"}, r.list()); diff != "" {
		t.Errorf("only the gateway (-want +got):\n%s", diff)
	}
}

func ExampleResolvConf() {
	fmt.Printf("%s", ResolvConf(Gateway(netip.MustParsePrefix("10.213.0.0/16"))))
	// Output:
	// nameserver 10.213.0.1
	// search vmhost
}
