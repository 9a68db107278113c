package netplumb

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"vmhost/fdbudget"
)

// Limits of the DNS server.
const (
	// dnsTTL is the TTL of guest names: short, since guests come and go.
	dnsTTL = 5
	// forwardTimeout bounds one query to one upstream resolver.
	forwardTimeout = 2 * time.Second
	// maxForwards bounds the queries being forwarded at once; beyond it a
	// query gets SERVFAIL and the guest's resolver retries. See also
	// dnsForwardsPerSource.
	maxForwards = 256
	// dnsReadTimeout bounds the wait for a query on a new DNS connection,
	// and dnsWriteTimeout the sending of an answer.
	dnsReadTimeout, dnsWriteTimeout = 2 * time.Second, 2 * time.Second
	// dnsIdleTimeout ends a DNS connection idle this long between queries.
	dnsIdleTimeout = 8 * time.Second
	// maxUDPAnswer bounds an answer over UDP, whatever size the query's
	// EDNS0 allows: 1232 bytes, the size DNS Flag Day 2020 settled on, fits
	// any path without fragments and keeps answers too small to amplify
	// much. A larger answer is truncated (TC) and the resolver asks again
	// over TCP.
	maxUDPAnswer = 1232
)

// dnsServer answers guest names (alice.vmhost, web.alice.vmhost) and the
// reverse names of guest addresses from its table, and forwards every other
// query to the host's resolvers. It runs in the daemon, on the host, so a
// loopback stub resolver such as systemd-resolved's 127.0.0.53 works as an
// upstream.
type dnsServer struct {
	log       *slog.Logger
	subnet    netip.Prefix
	subnet6   netip.Prefix    // the zero Prefix without IPv6
	upstreams func() []string // host:port of the resolvers to forward to
	forwards  *quota          // queries being forwarded, one descriptor each
	conns     *quota          // TCP connections, one descriptor each
	rate      *rateLimiter    // answers per source address

	mu     sync.RWMutex
	names  map[string]netip.Addr // FQDN → address
	ptrs   map[string]string     // reverse name → FQDN
	guests map[netip.Addr]string // address → guest ID, for siblings' names

	servers []*dns.Server
}

// newDNSServer returns a server for the guests of subnet (and of subnet6,
// unless it is the zero Prefix) that forwards to the resolvers upstreams
// returns, and takes the descriptors of its connections and forwarded queries
// from budget.
func newDNSServer(log *slog.Logger, subnet, subnet6 netip.Prefix, upstreams func() []string, budget *fdbudget.Budget, b Bounds) *dnsServer {
	b = b.withDefaults()
	return &dnsServer{
		log: log, subnet: subnet, subnet6: subnet6, upstreams: upstreams,
		forwards: newQuota(log, "forwarded DNS queries", b.DNSQueries, maxForwards, 1, budget),
		conns:    newQuota(log, "DNS connections", b.DNSConns, dnsTCPTotal, 1, budget),
		rate:     newRateLimiter(log, "DNS answers", float64(b.DNSRate), float64(2*b.DNSRate), time.Now),
		names:    make(map[string]netip.Addr),
		ptrs:     make(map[string]string),
		guests:   make(map[netip.Addr]string),
	}
}

// setName makes the guest's name resolve to ip, and ip to the name.
func (s *dnsServer) setName(guestID string, ip netip.Addr) {
	fqdn := guestFQDN(guestID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.names[fqdn]; ok {
		for _, r := range s.reverseNames(old) {
			delete(s.ptrs, r)
		}
		s.forgetGuest(old, guestID)
	}
	s.names[fqdn] = ip
	s.guests[ip] = guestID
	for _, r := range s.reverseNames(ip) {
		s.ptrs[r] = fqdn
	}
}

// removeName forgets the guest's name.
func (s *dnsServer) removeName(guestID string) {
	fqdn := guestFQDN(guestID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if ip, ok := s.names[fqdn]; ok {
		for _, r := range s.reverseNames(ip) {
			if s.ptrs[r] == fqdn {
				delete(s.ptrs, r)
			}
		}
		s.forgetGuest(ip, guestID)
		delete(s.names, fqdn)
	}
}

// ServeDNS answers one query; over UDP within [udpAnswerSize]. Queries from
// elsewhere than the guests' subnets (the guests and the gateway) and the
// host's loopback get no answer: the server is no open resolver for the
// networks beyond the host. A guest's IPv6 addresses count as its IPv4 one
// in every per-source bound (see [dnsServer.source]).
func (s *dnsServer) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	src := s.source(sourceOf(w.RemoteAddr()))
	if !s.subnet.Contains(src) && !src.IsLoopback() {
		s.log.Debug("ignoring a DNS query from outside the guest network", "from", w.RemoteAddr())
		return
	}
	if !s.rate.allow(src) {
		return
	}
	var resp *dns.Msg
	proto := w.RemoteAddr().Network()
	switch {
	case req.Opcode != dns.OpcodeQuery || len(req.Question) != 1:
		resp = new(dns.Msg).SetRcode(req, dns.RcodeNotImplemented)
	default:
		var ok bool
		if resp, ok = s.answer(req, src); !ok {
			resp = s.forward(req, proto, src)
		}
	}
	if proto == "udp" {
		resp.Truncate(udpAnswerSize(req))
	}
	if err := w.WriteMsg(resp); err != nil {
		s.log.Debug("answering DNS query", "from", w.RemoteAddr(), "err", err)
	}
}

// answer answers a query from src for a guest name or for a guest address's
// reverse name from the table: a short name ("router.vmhost.") is first that
// of src's owner's guest of that name (see [dnsServer.sibling]). It reports
// false for any other query.
func (s *dnsServer) answer(req *dns.Msg, src netip.Addr) (*dns.Msg, bool) {
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	s.mu.RLock()
	defer s.mu.RUnlock()
	resp := new(dns.Msg).SetReply(req)
	resp.Authoritative, resp.RecursionAvailable = true, true
	switch {
	case dns.IsSubDomain(Domain+".", name):
		ip, ok := s.sibling(name, src)
		if !ok {
			ip, ok = s.names[name]
		}
		switch {
		case ok:
			resp.Answer = s.addressRecords(q, ip)
		case !s.hasBelow(name):
			resp.Rcode = dns.RcodeNameError
		}
	case s.inReverseZone(name) || s.inReverseZone6(name):
		fqdn, ok := s.ptrs[name]
		switch {
		case ok && (q.Qtype == dns.TypePTR || q.Qtype == dns.TypeANY):
			resp.Answer = []dns.RR{&dns.PTR{Hdr: header(q.Name, dns.TypePTR), Ptr: fqdn}}
		case !ok:
			resp.Rcode = dns.RcodeNameError
		}
	default:
		return nil, false
	}
	return resp, true
}

// hasBelow reports whether name is the domain itself or has a guest name below
// it (alice.vmhost when only web.alice.vmhost exists): such a name exists
// without records and must not be NXDOMAIN. The caller holds s.mu.
func (s *dnsServer) hasBelow(name string) bool {
	if name == Domain+"." {
		return true
	}
	for n := range s.names {
		if strings.HasSuffix(n, "."+name) {
			return true
		}
	}
	return false
}

// inReverseZone reports whether name is the reverse name of an address of the
// subnet. Those are never forwarded: the world knows nothing of them.
func (s *dnsServer) inReverseZone(name string) bool {
	rest, ok := strings.CutSuffix(name, ".in-addr.arpa.")
	labels := strings.Split(rest, ".")
	if !ok || len(labels) != 4 {
		return false
	}
	ip, err := netip.ParseAddr(labels[3] + "." + labels[2] + "." + labels[1] + "." + labels[0])
	return err == nil && s.subnet.Contains(ip)
}

// udpAnswerSize returns the most bytes an answer to req may take over UDP:
// the size its EDNS0 record allows, at least 512 and at most maxUDPAnswer.
func udpAnswerSize(req *dns.Msg) int {
	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		size = max(size, min(int(opt.UDPSize()), maxUDPAnswer))
	}
	return size
}

// forward asks the host's resolvers in turn over proto ("udp" or "tcp") and
// returns the first answer, or SERVFAIL, also when src has too many queries
// being forwarded already.
func (s *dnsServer) forward(req *dns.Msg, proto string, src netip.Addr) *dns.Msg {
	if !s.forwards.take(src) {
		return new(dns.Msg).SetRcode(req, dns.RcodeServerFailure)
	}
	defer s.forwards.give(src)
	// The upstream answers within the size the query's EDNS0 allows; the
	// buffer takes what it sends, and ServeDNS cuts it to the guest's.
	c := &dns.Client{Net: proto, Timeout: forwardTimeout, UDPSize: dns.MaxMsgSize}
	for _, up := range s.upstreams() {
		resp, _, err := c.Exchange(req, up)
		if err == nil {
			return resp
		}
		s.log.Debug("forwarding DNS query", "name", req.Question[0].Name, "to", up, "err", err)
	}
	return new(dns.Msg).SetRcode(req, dns.RcodeServerFailure)
}

// start serves on port 53 of gw and, if valid, of gw6. See [dnsServer.listen].
func (s *dnsServer) start(gw, gw6 netip.Addr) error {
	if err := s.listen(netip.AddrPortFrom(gw, 53)); err != nil {
		return err
	}
	if gw6.IsValid() {
		if err := s.listen(netip.AddrPortFrom(gw6, 53)); err != nil {
			s.close()
			return err
		}
	}
	return nil
}

// listen serves on addr over UDP and TCP, TCP within the connection bounds
// (dnsTCPPerSource, dnsTCPTotal) and timeouts.
func (s *dnsServer) listen(addr netip.AddrPort) error {
	family := map[bool]string{true: "4", false: "6"}[addr.Addr().Is4()]
	pc, err := net.ListenPacket("udp"+family, addr.String())
	if err != nil {
		return fmt.Errorf("listening for DNS on udp %s: %w; if another DNS server listens on all addresses, make it bind to its own addresses only", addr, err)
	}
	l, err := net.Listen("tcp"+family, addr.String())
	if err != nil {
		pc.Close()
		return fmt.Errorf("listening for DNS on tcp %s: %w; if another DNS server listens on all addresses, make it bind to its own addresses only", addr, err)
	}
	s.serve(&dns.Server{PacketConn: pc, Handler: s})
	s.serve(&dns.Server{
		Listener: quotaListener{Listener: l, q: s.conns, key: s.source}, Handler: s,
		ReadTimeout: dnsReadTimeout, WriteTimeout: dnsWriteTimeout,
		IdleTimeout: func() time.Duration { return dnsIdleTimeout },
	})
	return nil
}

// serve runs srv until close, and returns once it is serving.
func (s *dnsServer) serve(srv *dns.Server) {
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() {
		if err := srv.ActivateAndServe(); err != nil {
			s.log.Error("serving DNS", "err", err)
		}
	}()
	<-started
	s.servers = append(s.servers, srv)
}

// close stops serving.
func (s *dnsServer) close() {
	for _, srv := range s.servers {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		srv.ShutdownContext(ctx)
		cancel()
	}
	s.servers = nil
}

// header is the header of an answer to name.
func header(name string, rrtype uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: rrtype, Class: dns.ClassINET, Ttl: dnsTTL}
}

// reverseName returns the in-addr.arpa name of an IPv4 address.
func reverseName(ip netip.Addr) string {
	a := ip.As4()
	return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa.", a[3], a[2], a[1], a[0])
}
