package e2e

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// outside is a fake host beyond the machine: a network namespace of its own
// joined to the host by a veth pair, with an address in 198.51.100.0/24
// (TEST-NET-2) and one in 2001:db8::/32 (the IPv6 documentation prefix),
// serving TCP on each. The host has the other addresses of the pair; the
// outside host has no route back to any guest subnet, so only NAT (NAT66)
// gets a guest's packets answered.
type outside struct {
	hostAddr, addr   netip.Addr
	hostAddr6, addr6 netip.Addr
	port, port6      int
	ns               netns.NsHandle
	seen             chan string // the source address of each connection
}

// newOutside makes the outside host in a random 198.51.100.0/30 and removes it
// when the test ends.
func newOutside(t *testing.T) *outside {
	t.Helper()
	base := 4 * rand.IntN(64)
	net6 := fmt.Sprintf("2001:db8:%x:%x::", rand.IntN(1<<16), rand.IntN(1<<16))
	o := &outside{
		hostAddr:  netip.AddrFrom4([4]byte{198, 51, 100, byte(base + 1)}),
		addr:      netip.AddrFrom4([4]byte{198, 51, 100, byte(base + 2)}),
		hostAddr6: netip.MustParseAddr(net6 + "1"),
		addr6:     netip.MustParseAddr(net6 + "2"),
		seen:      make(chan string, 16),
	}
	suffix := fmt.Sprintf("%06x", rand.IntN(1<<24))
	nsName, hostEnd, peer := "vmtout"+suffix, "vmo"+suffix, "vmp"+suffix
	ns := newNamedNetns(t, nsName)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: hostEnd}, PeerName: peer, PeerNamespace: netlink.NsFd(ns)}
	if err := netlink.LinkAdd(veth); err != nil {
		t.Fatalf("adding veth %s: %v", hostEnd, err)
	}
	t.Cleanup(func() { removeLink(t, hostEnd) })
	setUpLink(t, nil, hostEnd, o.hostAddr, o.hostAddr6)
	nh, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer nh.Close()
	setUpLink(t, nh, peer, o.addr, o.addr6)
	o.ns = ns
	o.port = o.listen(t, "tcp4", o.addr)
	o.port6 = o.listen(t, "tcp6", o.addr6)
	return o
}

// newNamedNetns makes a named network namespace, without moving the test
// into it, and deletes it when the test ends.
func newNamedNetns(t *testing.T, name string) netns.NsHandle {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	ns, err := netns.NewNamed(name)
	if err != nil {
		t.Fatalf("making netns %s: %v", name, err)
	}
	if err := netns.Set(orig); err != nil {
		t.Fatalf("returning to the test's netns: %v", err)
	}
	t.Cleanup(func() {
		ns.Close()
		if err := netns.DeleteNamed(name); err != nil {
			t.Errorf("deleting netns %s: %v", name, err)
		}
	})
	return ns
}

// setUpLink gives the link name, through h (nil: the host's), address a/30
// (and a6/64 without duplicate address detection, if valid) and brings it
// up, with lo.
func setUpLink(t *testing.T, h *netlink.Handle, name string, a netip.Addr, a6 ...netip.Addr) {
	t.Helper()
	if h == nil {
		var err error
		if h, err = netlink.NewHandle(); err != nil {
			t.Fatal(err)
		}
		defer h.Close()
	}
	for _, n := range []string{"lo", name} {
		l, err := h.LinkByName(n)
		if err != nil {
			t.Fatalf("finding %s: %v", n, err)
		}
		if n == name {
			addr := &netlink.Addr{IPNet: &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(30, 32)}}
			if err := h.AddrAdd(l, addr); err != nil {
				t.Fatalf("adding %v to %s: %v", a, n, err)
			}
			for _, v6 := range a6 {
				addr := &netlink.Addr{IPNet: &net.IPNet{IP: v6.AsSlice(), Mask: net.CIDRMask(64, 128)}, Flags: unix.IFA_F_NODAD}
				if err := h.AddrAdd(l, addr); err != nil {
					t.Fatalf("adding %v to %s: %v", v6, n, err)
				}
			}
		}
		if err := h.LinkSetUp(l); err != nil {
			t.Fatalf("bringing %s up: %v", n, err)
		}
	}
}

// listen serves TCP on addr of the outside host over network (tcp4, tcp6)
// and returns its port: each connection gets its source address back and is
// closed.
func (o *outside) listen(t *testing.T, network string, addr netip.Addr) int {
	t.Helper()
	ns := o.ns
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	if err := netns.Set(ns); err != nil {
		t.Fatal(err)
	}
	ln, lerr := net.Listen(network, netip.AddrPortFrom(addr, 0).String())
	if err := netns.Set(orig); err != nil {
		t.Fatalf("returning to the test's netns: %v", err)
	}
	if lerr != nil {
		t.Fatal(lerr)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			src := c.RemoteAddr().(*net.TCPAddr).IP.String()
			select {
			case o.seen <- src:
			default:
			}
			fmt.Fprintf(c, "outside-saw %s\n", src)
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestNetworkNAT checks that a guest reaches a host beyond the machine
// through NAT, the outside host seeing the host's address, not the guest's;
// and that with nat: false it does not (the outside host has no route back).
func TestNetworkNAT(t *testing.T) {
	t.Parallel()
	for _, nat := range []bool{true, false} {
		t.Run(fmt.Sprintf("nat=%v", nat), func(t *testing.T) {
			t.Parallel()
			o := newOutside(t)
			d := newDaemon(t, daemonOptions{network: fmt.Sprintf("  nat: %v\n", nat)})
			out, errOut, code := d.ssh(t, "alice", fmt.Sprintf("nc -w 5 %s %d </dev/null", o.addr, o.port))
			want := fmt.Sprintf("outside-saw %s\n", o.hostAddr)
			if nat && (code != 0 || out != want) {
				t.Errorf("guest to the outside host %v:%d: exit %d, %q (stderr %q); want %q", o.addr, o.port, code, out, errOut, want)
			}
			if !nat && out != "" {
				t.Errorf("with nat: false, the guest got an answer from the outside host: %q", out)
			}
		})
	}
}

// TestNetworkBadInput checks that the daemon refuses to start, with a message
// that says what to change, on a subnet that overlaps a network of the host
// and on a published port that the host already uses.
func TestNetworkBadInput(t *testing.T) {
	t.Parallel()
	t.Run("SubnetOverlaps", func(t *testing.T) {
		t.Parallel()
		d := prepareDaemon(t, daemonOptions{})
		name := fmt.Sprintf("vmd%06x", rand.IntN(1<<24))
		if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}); err != nil {
			t.Fatalf("adding bridge %s: %v", name, err)
		}
		t.Cleanup(func() { removeLink(t, name) })
		taken := netip.MustParsePrefix(d.cfg.subnet).Addr().Next().Next()
		setUpLink(t, nil, name, taken)
		d.writeConfig(t, d.cfg.yaml())
		stderr, code := d.serveUntilExit(t, 10*time.Second)
		if code == 0 || !strings.Contains(stderr, name) || !strings.Contains(stderr, "overlap") {
			t.Errorf("vmhostd serve with a subnet that %s uses: exit %d, stderr %q; want an error naming %s and the overlap", name, code, stderr, name)
		}
	})
	t.Run("PortTaken", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp4", "0.0.0.0:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		port := ln.Addr().(*net.TCPAddr).Port
		d := prepareDaemon(t, daemonOptions{network: fmt.Sprintf(
			"  forwards:\n    - {host_port: %d, guest: alice, guest_port: 80, proto: tcp}\n", port)})
		d.writeConfig(t, d.cfg.yaml())
		stderr, code := d.serveUntilExit(t, 10*time.Second)
		if code == 0 || !strings.Contains(stderr, fmt.Sprint(port)) {
			t.Errorf("vmhostd serve publishing port %d that the host uses: exit %d, stderr %q; want an error naming the port", port, code, stderr)
		}
	})
}
