package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// attackInBackground runs the attack like attack, without waiting: the
// facts come on the channel when it ends. A failure to run is a test error.
func (d *daemon) attackInBackground(t *testing.T, login, name string, args ...string) <-chan map[string]string {
	t.Helper()
	facts := make(chan map[string]string, 1)
	cmd := attackerPath + " " + name + " " + strings.Join(args, " ")
	go func() {
		out, errOut, code := d.ssh(t, login, cmd)
		if code != 0 {
			t.Errorf("ssh %s %q: exit status %d; stdout %q, stderr %q", login, cmd, code, out, errOut)
		}
		facts <- parseFacts(out)
	}()
	return facts
}

// parseFacts reads the attacker's key=value lines.
func parseFacts(out string) map[string]string {
	facts := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			facts[k] = v
		}
	}
	return facts
}

// openFDs counts the descriptors the running daemon has open.
// Equivalent to: ls /proc/PID/fd | wc -l
func (d *daemon) openFDs(t testing.TB) int {
	t.Helper()
	if d.cmd == nil {
		t.Fatal("counting the daemon's descriptors: it is not running")
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", d.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// guestMAC returns the MAC address of eth0 in the guest login lands in.
func (d *daemon) guestMAC(t testing.TB, login string) string {
	t.Helper()
	return strings.TrimSpace(d.mustSSH(t, login, "cat /sys/class/net/eth0/address"))
}

// fdbPort returns the name of the port of bridge that the bridge learned mac
// on, or "".
// Equivalent to: bridge fdb show br BRIDGE | grep MAC
func fdbPort(t testing.TB, bridge, mac string) string {
	t.Helper()
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		t.Fatal(err)
	}
	fdb, err := netlink.NeighList(0, unix.AF_BRIDGE)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range fdb {
		if e.MasterIndex == br.Attrs().Index && e.HardwareAddr.String() == mac {
			if l, err := netlink.LinkByIndex(e.LinkIndex); err == nil {
				return l.Attrs().Name
			}
		}
	}
	return ""
}

// neighMAC returns the MAC of the host's neighbour entry for ip (IPv4 or
// IPv6) on iface, or "".
// Equivalent to: ip neigh show IP dev IFACE
func neighMAC(t testing.TB, iface string, ip netip.Addr) string {
	t.Helper()
	l, err := netlink.LinkByName(iface)
	if err != nil {
		t.Fatal(err)
	}
	family := unix.AF_INET6
	if ip.Is4() {
		family = unix.AF_INET
	}
	neighs, err := netlink.NeighList(l.Attrs().Index, family)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range neighs {
		if e.IP.Equal(ip.AsSlice()) {
			return e.HardwareAddr.String()
		}
	}
	return ""
}

// udpCounter counts the datagrams that reach a UDP address of the host.
type udpCounter struct{ n atomic.Int32 }

// countUDP listens on addr of the host until the test ends.
func countUDP(t testing.TB, addr string) *udpCounter {
	t.Helper()
	pc, err := net.ListenPacket("udp4", addr)
	if err != nil {
		t.Fatalf("listening on %s: %v", addr, err)
	}
	t.Cleanup(func() { pc.Close() })
	u := &udpCounter{}
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
			u.n.Add(1)
		}
	}()
	return u
}

// askUDP sends "probe" to addr from the host every 300ms until an answer
// comes, for up to patience, and returns it ("" if none came).
func askUDP(addr string, patience time.Duration) string {
	c, err := net.Dial("udp4", addr)
	if err != nil {
		return ""
	}
	defer c.Close()
	buf := make([]byte, 2048)
	for deadline := time.Now().Add(patience); time.Now().Before(deadline); {
		c.Write([]byte("probe"))
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if n, err := c.Read(buf); err == nil {
			return string(buf[:n])
		}
	}
	return ""
}

// bridgeCapture counts, until the test ends, the frames a bridge's own
// interface receives. A frame that a port's filter drops never reaches it.
type bridgeCapture struct{ fd int }

// captureBridge opens a packet socket on the bridge.
// Equivalent to: tcpdump -i BRIDGE
func captureBridge(t testing.TB, bridge string) *bridgeCapture {
	t.Helper()
	ifc, err := net.InterfaceByName(bridge)
	if err != nil {
		t.Fatal(err)
	}
	all := uint16(unix.ETH_P_ALL)<<8 | uint16(unix.ETH_P_ALL)>>8
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK, int(all))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: all, Ifindex: ifc.Index}); err != nil {
		t.Fatal(err)
	}
	return &bridgeCapture{fd: fd}
}

// seen returns how many frames received so far hold each marker.
func (c *bridgeCapture) seen(markers ...string) map[string]int {
	got := make(map[string]int)
	buf := make([]byte, 65536)
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, 0)
		if err != nil {
			return got
		}
		for _, m := range markers {
			if strings.Contains(string(buf[:n]), m) {
				got[m]++
			}
		}
	}
}
