package netplumb

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"vmhost/fdbudget"
)

// Bounds on what guests make the daemon hold. Each relayed connection,
// relayed UDP exchange, DNS connection and forwarded DNS query also takes its
// descriptors from the daemon's budget (Config.Budget).
const (
	// relayTCPPerSource bounds the connections to published TCP ports that
	// one address has relayed at once.
	relayTCPPerSource = 64
	// relayUDPPerSource bounds the exchanges (client ports) one address has
	// open with one published UDP port; an exchange ends after udpIdle.
	relayUDPPerSource = 32
	// relayUDPPerPort bounds the exchanges of one published UDP port.
	relayUDPPerPort = 512
	// dnsTCPPerSource bounds the DNS connections one address holds open;
	// each ends after dnsReadTimeout without a first query or dnsIdleTimeout
	// between queries.
	dnsTCPPerSource = 8
	// dnsTCPTotal bounds the DNS connections of all guests.
	dnsTCPTotal = 1024
	// dnsForwardsPerSource bounds the queries of one address being
	// forwarded at once; beyond it a query gets SERVFAIL.
	dnsForwardsPerSource = 16
	// quotaWarnEvery is how often a quota logs that it refuses.
	quotaWarnEvery = time.Minute
)

// quota bounds what sources make the daemon hold at once: at most perSource
// for one address, total for all, and for each fds descriptors from budget.
// When it refuses it logs a warning, at most once every quotaWarnEvery with
// the count of refusals since the last, so a flood cannot flood the log.
type quota struct {
	what      string // names the quota in log lines
	perSource int
	total     int
	fds       int
	budget    *fdbudget.Budget
	log       *slog.Logger

	mu       sync.Mutex
	bySource map[netip.Addr]int
	held     int
	refused  int // since the last warning
	warned   time.Time
}

// newQuota returns an empty quota.
func newQuota(log *slog.Logger, what string, perSource, total, fds int, budget *fdbudget.Budget) *quota {
	return &quota{what: what, perSource: perSource, total: total, fds: fds, budget: budget, log: log,
		bySource: make(map[netip.Addr]int)}
}

// take takes one for src; false when a bound is reached.
func (q *quota) take(src netip.Addr) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	why := ""
	switch {
	case q.bySource[src] >= q.perSource:
		why = "source at its limit"
	case q.held >= q.total:
		why = "all in use"
	case q.budget.Acquire(q.fds) != nil:
		why = "the daemon's descriptor budget is spent"
	default:
		q.bySource[src]++
		q.held++
		return true
	}
	q.refuse(src, why)
	return false
}

// refuse counts a refusal and warns if it has not for a while. The caller
// holds q.mu.
func (q *quota) refuse(src netip.Addr, why string) {
	q.refused++
	if now := time.Now(); now.Sub(q.warned) >= quotaWarnEvery {
		q.log.Warn("refusing what a guest asks the daemon to open", "what", q.what, "source", src, "why", why,
			"per_source", q.perSource, "total", q.total, "refused", q.refused)
		q.warned, q.refused = now, 0
	}
}

// give returns one taken for src.
func (q *quota) give(src netip.Addr) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.bySource[src] <= 1 {
		delete(q.bySource, src)
	} else {
		q.bySource[src]--
	}
	q.held--
	q.budget.Release(q.fds)
}

// sourceOf returns the IP address of a, or the zero Addr.
func sourceOf(a net.Addr) netip.Addr {
	var ip net.IP
	switch a := a.(type) {
	case *net.TCPAddr:
		ip = a.IP
	case *net.UDPAddr:
		ip = a.IP
	}
	addr, _ := netip.AddrFromSlice(ip)
	return addr.Unmap()
}

// quotaListener accepts the connections its quota admits, by source
// address (as key maps it; nil keeps it), and closes the others at once.
type quotaListener struct {
	net.Listener
	q   *quota
	key func(netip.Addr) netip.Addr
}

// Accept returns the next connection the quota admits.
func (l quotaListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		src := sourceOf(c.RemoteAddr())
		if l.key != nil {
			src = l.key(src)
		}
		if l.q.take(src) {
			return &quotaConn{Conn: c, q: l.q, src: src}, nil
		}
		c.Close()
	}
}

// quotaConn gives its share of the quota back when closed.
type quotaConn struct {
	net.Conn
	q    *quota
	src  netip.Addr
	once sync.Once
}

// Close closes the connection and gives back its share, once.
func (c *quotaConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.q.give(c.src) })
	return err
}
