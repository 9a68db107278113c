package netplumb

import (
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"vmhost/fdbudget"
)

// echoReport serves on a free port of 127.0.0.1 over TCP and UDP, answering
// with the sender's address, and returns the port.
func echoReport(t *testing.T) uint16 {
	pc, l := listenBoth(t, "127.0.0.1:0")
	t.Cleanup(func() { pc.Close(); l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, c.RemoteAddr().String())
			c.Close()
		}
	}()
	go func() {
		buf := make([]byte, 64)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo([]byte(from.String()), from)
		}
	}()
	return uint16(pc.LocalAddr().(*net.UDPAddr).Port)
}

func TestRelay(t *testing.T) {
	guestPort := echoReport(t)
	hostPort, otherPort := freeAddrPort(t).Port(), freeAddrPort(t).Port()
	for otherPort == hostPort {
		otherPort = freeAddrPort(t).Port()
	}
	guests := map[string]netip.Addr{"alice+web": netip.MustParseAddr("127.0.0.1")}
	target := func(id string) (netip.Addr, bool) {
		ip, ok := guests[id]
		return ip, ok
	}
	r := newRelay(slog.New(slog.DiscardHandler), target, nil, Bounds{})
	fs := []Forward{
		{Guest: "alice+web", Proto: "tcp", HostPort: hostPort, GuestPort: guestPort},
		{Guest: "alice+web", Proto: "udp", HostPort: hostPort, GuestPort: guestPort},
		{Guest: "bob", Proto: "tcp", HostPort: otherPort, GuestPort: guestPort},
	}
	if err := r.start(fs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.close)
	if err := newRelay(slog.New(slog.DiscardHandler), target, nil, Bounds{}).start(fs[:1]); err == nil {
		t.Errorf("starting a second relay on %d/tcp succeeded, want the port taken", hostPort)
	}

	hp := strconv.Itoa(int(hostPort))
	for _, proto := range []string{"tcp4", "udp4"} {
		// 127.0.0.2 makes sure UDP answers come from the address the
		// client wrote to, or its connected socket would ignore them.
		for _, host := range []string{"127.0.0.1", "127.0.0.2"} {
			got, err := exchange(proto, net.JoinHostPort(host, hp))
			if err != nil || got == "" {
				t.Errorf("%s through the relay at %s:%s = %q, %v; want the guest's answer", proto, host, hp, got, err)
			}
		}
	}
	bobPort := strconv.Itoa(int(fs[2].HostPort))
	if got, err := exchange("tcp4", "127.0.0.1:"+bobPort); got != "" {
		t.Errorf("relay to a guest that is not attached = %q, %v; want the connection closed", got, err)
	}
}

// exchange sends a byte over proto to addr and returns the answer.
func exchange(proto, addr string) (string, error) {
	c, err := net.DialTimeout(proto, addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if proto == "udp4" {
		if _, err := c.Write([]byte("?")); err != nil {
			return "", err
		}
	}
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err == io.EOF {
		err = nil
	}
	return string(buf[:n]), err
}

// holdServer accepts TCP connections on a free port of 127.0.0.1 and holds
// them open until the test ends; it returns the port and the count of
// connections it accepted.
func holdServer(t *testing.T) (uint16, *atomic.Int32) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	var held []net.Conn
	t.Cleanup(func() {
		l.Close()
		for _, c := range held {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
			n.Add(1)
		}
	}()
	return uint16(l.Addr().(*net.TCPAddr).Port), &n
}

// TestRelayBounds floods the relay from one address, over TCP with
// connections held open and over UDP from many ports: it relays up to the
// bounds per source, takes their descriptors from the budget, and still
// serves another address.
func TestRelayBounds(t *testing.T) {
	echoPort := echoReport(t)
	holdPort, accepted := holdServer(t)
	udpPort, tcpPort := freeAddrPort(t).Port(), freeAddrPort(t).Port()
	for tcpPort == udpPort {
		tcpPort = freeAddrPort(t).Port()
	}
	target := func(string) (netip.Addr, bool) { return netip.MustParseAddr("127.0.0.1"), true }
	budget := fdbudget.New(10000)
	r := newRelay(slog.New(slog.DiscardHandler), target, budget, Bounds{})
	if err := r.start([]Forward{
		{Guest: "alice", Proto: "udp", HostPort: udpPort, GuestPort: echoPort},
		{Guest: "alice", Proto: "tcp", HostPort: tcpPort, GuestPort: holdPort},
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.close)

	const flood = 100
	udpAddr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), udpPort).String()
	var answered atomic.Int32
	for range flood {
		c, err := net.Dial("udp4", udpAddr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.Write([]byte("?"))
		go func() {
			c.SetReadDeadline(time.Now().Add(time.Second))
			if _, err := c.Read(make([]byte, 64)); err == nil {
				answered.Add(1)
			}
		}()
	}
	tcpAddr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), tcpPort).String()
	for range flood {
		c, err := net.Dial("tcp4", tcpAddr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}
	time.Sleep(1500 * time.Millisecond)
	if got := answered.Load(); got != relayUDPPerSource {
		t.Errorf("%d UDP clients of one address got %d answers, want %d", flood, got, relayUDPPerSource)
	}
	if got := accepted.Load(); got != relayTCPPerSource {
		t.Errorf("%d TCP connections of one address reached the guest %d times, want %d", flood, got, relayTCPPerSource)
	}
	if got, want := budget.Used(), relayUDPPerSource+2*relayTCPPerSource; got != want {
		t.Errorf("budget used = %d, want %d", got, want)
	}
	// Another address is served.
	d := net.Dialer{LocalAddr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 3)}}
	c, err := d.Dial("udp4", udpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("?"))
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 64)
	if n, err := c.Read(buf); err != nil || n == 0 {
		t.Errorf("UDP from 127.0.0.3 through the relay while 127.0.0.1 is at its bound = %q, %v; want an answer", buf[:n], err)
	}
}
