package netplumb

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestUDPAnswerSize(t *testing.T) {
	tests := []struct {
		edns uint16 // 0: no EDNS0 record
		want int
	}{
		{0, 512},
		{100, 512},
		{1000, 1000},
		{1232, 1232},
		{4096, 1232},
	}
	for _, tt := range tests {
		req := new(dns.Msg).SetQuestion("example.test.", dns.TypeA)
		if tt.edns > 0 {
			req.SetEdns0(tt.edns, false)
		}
		if got := udpAnswerSize(req); got != tt.want {
			t.Errorf("udpAnswerSize(EDNS0 %d) = %d, want %d", tt.edns, got, tt.want)
		}
	}
}

// TestDNSTruncates checks that a large answer over UDP is cut to the bound
// and marked truncated, while TCP carries it whole.
func TestDNSTruncates(t *testing.T) {
	up := startFakeUpstream(t, "127.0.0.1:0")
	s := testDNS(up.addr)
	addr := freeAddrPort(t)
	if err := s.listen(addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	tests := []struct {
		proto     string
		edns      uint16
		truncated bool
		maxLen    int
	}{
		{"udp", 0, true, 512},
		{"udp", 4096, true, maxUDPAnswer},
		{"tcp", 4096, false, 65535},
	}
	for _, tt := range tests {
		req := new(dns.Msg).SetQuestion(bigName, dns.TypeA)
		if tt.edns > 0 {
			req.SetEdns0(tt.edns, false)
		}
		c := &dns.Client{Net: tt.proto, Timeout: 5 * time.Second, UDPSize: 65535}
		resp, _, err := c.Exchange(req, addr.String())
		if err != nil {
			t.Errorf("%s query with EDNS0 %d: %v", tt.proto, tt.edns, err)
			continue
		}
		resp.Compress = true // as it came, or smaller
		size := resp.Len()
		if resp.Truncated != tt.truncated || size > tt.maxLen || (!tt.truncated && len(resp.Answer) != 151) {
			t.Errorf("%s answer with EDNS0 %d: %d bytes, %d records, truncated %v; want at most %d bytes, truncated %v",
				tt.proto, tt.edns, size, len(resp.Answer), resp.Truncated, tt.maxLen, tt.truncated)
		}
	}
}

// TestDNSConnectionBounds holds many DNS connections open from one address:
// the server keeps dnsTCPPerSource of them, closes them when they idle, and
// serves another address meanwhile.
func TestDNSConnectionBounds(t *testing.T) {
	s := testDNS()
	addr := freeAddrPort(t)
	if err := s.listen(addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	var conns []net.Conn
	for range 3 * dnsTCPPerSource {
		c, err := net.Dial("tcp4", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	time.Sleep(300 * time.Millisecond)
	if got := openConns(conns); got != dnsTCPPerSource {
		t.Errorf("%d connections from one address: %d kept open, want %d", len(conns), got, dnsTCPPerSource)
	}
	c := &dns.Client{Net: "tcp", Timeout: 2 * time.Second,
		Dialer: &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 3)}}}
	resp, _, err := c.Exchange(new(dns.Msg).SetQuestion("alice.vmhost.", dns.TypeA), addr.String())
	if err != nil || len(resp.Answer) != 1 {
		t.Errorf("a query over TCP from another address while one is at its bound = %v, %v; want an answer", resp, err)
	}
	time.Sleep(dnsReadTimeout + 500*time.Millisecond)
	if got := openConns(conns); got != 0 {
		t.Errorf("after %v without a query, %d connections are open, want 0", dnsReadTimeout, got)
	}
}

// openConns returns how many of conns the server has not closed.
func openConns(conns []net.Conn) int {
	n := 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			n++
		}
	}
	return n
}

// recorder is a dns.ResponseWriter that keeps what is written, for a query
// from a given address.
type recorder struct {
	dns.ResponseWriter
	from    net.Addr
	written []*dns.Msg
}

func (r *recorder) RemoteAddr() net.Addr      { return r.from }
func (r *recorder) WriteMsg(m *dns.Msg) error { r.written = append(r.written, m); return nil }

func TestDNSAnswersOnlyGuestsAndHost(t *testing.T) {
	s := testDNS()
	tests := []struct {
		from    string
		answers bool
	}{
		{"10.250.9.2", true}, // a guest
		{"10.250.9.1", true}, // the gateway: the host itself
		{"127.0.0.1", true},
		{"198.51.100.7", false}, // a machine beyond the host
		{"10.250.10.2", false},
	}
	for _, tt := range tests {
		for _, from := range []net.Addr{
			&net.UDPAddr{IP: net.ParseIP(tt.from), Port: 5353},
			&net.TCPAddr{IP: net.ParseIP(tt.from), Port: 5353},
		} {
			w := &recorder{from: from}
			s.ServeDNS(w, new(dns.Msg).SetQuestion("alice.vmhost.", dns.TypeA))
			if got := len(w.written) == 1; got != tt.answers {
				t.Errorf("query from %s/%s: answered %v, want %v", tt.from, from.Network(), got, tt.answers)
			}
		}
	}
}
