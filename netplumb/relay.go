package netplumb

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/net/ipv4"

	"vmhost/fdbudget"
)

// Limits of the relay.
const (
	// relayDialTimeout bounds connecting to the guest.
	relayDialTimeout = 5 * time.Second
	// udpIdle ends a relayed UDP exchange after this long without traffic.
	udpIdle = 60 * time.Second
	// maxRelays bounds the TCP connections relayed at once. See also
	// relayTCPPerSource and the UDP bounds in quota.go.
	maxRelays = 4096
)

// relay serves published ports to guests. A guest's connection to a published
// port is not DNATed by the kernel (see baseRules): on hosts where bridged
// traffic goes through iptables (br_netfilter), a DNATed connection from one
// guest to another is bridged between their isolated ports and dropped. It
// reaches the daemon instead, on the host port the relay holds, and the relay
// connects to the guest that publishes the port. Holding the host ports also
// keeps other programs off them. The guest sees the connection come from the
// gateway, as with the kernel path.
type relay struct {
	log    *slog.Logger
	target func(guestID string) (netip.Addr, bool) // the address of an attached guest
	budget *fdbudget.Budget
	tcp    *quota // relayed TCP connections, two descriptors each
	// udpPerSource bounds one address's exchanges with a published UDP port.
	udpPerSource int

	mu   sync.Mutex
	open map[io.Closer]bool // listeners and relayed connections
}

// newRelay returns a relay that finds guests with target and takes the
// descriptors of what it relays from budget.
func newRelay(log *slog.Logger, target func(string) (netip.Addr, bool), budget *fdbudget.Budget, b Bounds) *relay {
	b = b.withDefaults()
	return &relay{
		log: log, target: target, budget: budget, udpPerSource: b.RelayUDP,
		tcp:  newQuota(log, "relayed connections to published TCP ports", b.RelayTCP, maxRelays, 2, budget),
		open: make(map[io.Closer]bool),
	}
}

// start listens on the host port of every forward, on all host addresses.
// It fails, holding nothing, when a port is taken.
func (r *relay) start(fs []Forward) error {
	for _, f := range fs {
		if err := r.listen(f); err != nil {
			r.close()
			return fmt.Errorf("published port %d/%s for guest %s: the host port is taken (%v); stop what listens on it or pick another host_port",
				f.HostPort, f.Proto, f.Guest, err)
		}
	}
	return nil
}

// listen starts serving one forward.
func (r *relay) listen(f Forward) error {
	addr := ":" + strconv.Itoa(int(f.HostPort))
	if f.Proto == "udp" {
		pc, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return err
		}
		p := ipv4.NewPacketConn(pc)
		if err := p.SetControlMessage(ipv4.FlagDst, true); err != nil {
			pc.Close()
			return err
		}
		r.hold(pc)
		go r.serveUDP(p, f)
		return nil
	}
	l, err := net.Listen("tcp4", addr)
	if err != nil {
		return err
	}
	r.hold(l)
	go r.serveTCP(l, f)
	return nil
}

// hold keeps c to close it on close, until drop.
func (r *relay) hold(c io.Closer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.open[c] = true
}

// drop closes c and forgets it.
func (r *relay) drop(c io.Closer) {
	r.mu.Lock()
	delete(r.open, c)
	r.mu.Unlock()
	c.Close()
}

// close stops listening and ends every relayed exchange.
func (r *relay) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.open {
		c.Close()
	}
	clear(r.open)
}

// dest returns the guest's address and port of f, if the guest is attached.
func (r *relay) dest(f Forward) (string, bool) {
	ip, ok := r.target(f.Guest)
	return netip.AddrPortFrom(ip, f.GuestPort).String(), ok
}

// serveTCP relays each connection to l until l is closed.
func (r *relay) serveTCP(l net.Listener, f Forward) {
	for {
		c, err := l.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		} else if err != nil {
			r.log.Warn("accepting on a published port", "port", f.HostPort, "err", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		src := sourceOf(c.RemoteAddr())
		if !r.tcp.take(src) {
			c.Close()
			continue
		}
		go func() {
			defer r.tcp.give(src)
			r.relayTCP(c, f)
		}()
	}
}

// relayTCP connects c to the guest and copies both ways until both sides
// are done.
func (r *relay) relayTCP(c net.Conn, f Forward) {
	defer c.Close()
	dest, ok := r.dest(f)
	if !ok {
		return
	}
	g, err := net.DialTimeout("tcp4", dest, relayDialTimeout)
	if err != nil {
		r.log.Debug("relaying a published port", "port", f.HostPort, "guest", f.Guest, "err", err)
		return
	}
	r.hold(g)
	defer r.drop(g)
	done := make(chan struct{})
	go func() {
		io.Copy(g, c)
		g.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(c, g)
	c.(*net.TCPConn).CloseWrite()
	<-done
}

// udpExchange is one client's traffic to a published UDP port: a socket
// connected to the guest, and the host address the client wrote to, which the
// answers must come from.
type udpExchange struct {
	conn  *net.UDPConn
	local net.IP
	src   netip.Addr // the client's address, for its quota
}

// serveUDP relays datagrams until p is closed. Datagrams from a client past
// the port's bounds (relayUDPPerSource, relayUDPPerPort) are dropped.
func (r *relay) serveUDP(p *ipv4.PacketConn, f Forward) {
	q := newQuota(r.log, fmt.Sprintf("relayed exchanges with published UDP port %d", f.HostPort),
		r.udpPerSource, relayUDPPerPort, 1, r.budget)
	var mu sync.Mutex
	exchanges := make(map[string]*udpExchange)
	buf := make([]byte, 64<<10)
	for {
		n, cm, from, err := p.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		} else if err != nil || cm == nil {
			continue
		}
		mu.Lock()
		ex, ok := exchanges[from.String()]
		if !ok {
			if ex = r.newExchange(f, q, cm.Dst, sourceOf(from)); ex != nil {
				exchanges[from.String()] = ex
				go func() {
					r.answerUDP(p, q, ex, from)
					mu.Lock()
					delete(exchanges, from.String())
					mu.Unlock()
				}()
			}
		}
		mu.Unlock()
		if ex != nil {
			ex.conn.Write(buf[:n])
		}
	}
}

// newExchange connects a socket to the guest for the client at src within
// q, or returns nil.
func (r *relay) newExchange(f Forward, q *quota, local net.IP, src netip.Addr) *udpExchange {
	dest, ok := r.dest(f)
	if !ok || !q.take(src) {
		return nil
	}
	c, err := net.Dial("udp4", dest)
	if err != nil {
		q.give(src)
		return nil
	}
	r.hold(c)
	return &udpExchange{conn: c.(*net.UDPConn), local: local, src: src}
}

// answerUDP sends the guest's answers back to the client from the address the
// client wrote to, until the exchange is idle; then it gives its share of q
// back.
func (r *relay) answerUDP(p *ipv4.PacketConn, q *quota, ex *udpExchange, client net.Addr) {
	defer q.give(ex.src)
	defer r.drop(ex.conn)
	buf := make([]byte, 64<<10)
	for {
		ex.conn.SetReadDeadline(time.Now().Add(udpIdle))
		n, err := ex.conn.Read(buf)
		if err != nil {
			return
		}
		p.WriteTo(buf[:n], &ipv4.ControlMessage{Src: ex.local}, client)
	}
}
