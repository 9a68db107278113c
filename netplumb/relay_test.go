package netplumb

import (
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"
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
	r := newRelay(slog.New(slog.DiscardHandler), target)
	fs := []Forward{
		{Guest: "alice+web", Proto: "tcp", HostPort: hostPort, GuestPort: guestPort},
		{Guest: "alice+web", Proto: "udp", HostPort: hostPort, GuestPort: guestPort},
		{Guest: "bob", Proto: "tcp", HostPort: otherPort, GuestPort: guestPort},
	}
	if err := r.start(fs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.close)
	if err := newRelay(slog.New(slog.DiscardHandler), target).start(fs[:1]); err == nil {
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
