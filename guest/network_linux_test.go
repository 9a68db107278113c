package guest

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeNetwork records what the manager asks of the guest network; it plugs
// nothing, so guests have loopback only.
type fakeNetwork struct {
	subnet netip.Prefix

	mu       sync.Mutex
	attached map[string]netip.Addr // guest ID → address
	nsPaths  map[string]string     // guest ID → nsPath of its last Attach
	detached []string
}

func newFakeNetwork(subnet string) *fakeNetwork {
	return &fakeNetwork{
		subnet:   netip.MustParsePrefix(subnet),
		attached: map[string]netip.Addr{}, nsPaths: map[string]string{},
	}
}

func (n *fakeNetwork) Allocate(used map[netip.Addr]bool) (netip.Addr, error) {
	for a := n.subnet.Addr().Next().Next(); n.subnet.Contains(a); a = a.Next() {
		if !used[a] {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("subnet %s full", n.subnet)
}

func (n *fakeNetwork) Contains(ip netip.Addr) bool {
	return n.subnet.Contains(ip) && ip != n.subnet.Addr() && ip != n.subnet.Addr().Next()
}

func (n *fakeNetwork) Attach(id string, ip netip.Addr, nsPath string) error {
	if _, err := os.Stat(nsPath); err != nil {
		return fmt.Errorf("fake attach: %w", err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.attached[id], n.nsPaths[id] = ip, nsPath
	return nil
}

func (n *fakeNetwork) Detach(id string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.attached, id)
	n.detached = append(n.detached, id)
	return nil
}

func (n *fakeNetwork) ResolvConf() []byte {
	return []byte("nameserver " + n.subnet.Addr().Next().String() + "\n")
}

func (n *fakeNetwork) addr(id string) (netip.Addr, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ip, ok := n.attached[id]
	return ip, ok
}

// TestGuestNetworkLease checks that a guest gets an address at its first
// start, keeps it across a stop and a daemon restart, is attached through its
// init's network namespace before it runs, and is detached when it stops.
func TestGuestNetworkLease(t *testing.T) {
	opts := testOptions(t)
	nw := newFakeNetwork("10.99.0.0/24")
	opts.Network = nw
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{"alice", "web"} {
		if _, err := m.Open(ctx, "alice", name); err != nil {
			t.Fatal(err)
		}
	}
	a, b := m.List()[0], m.List()[1]
	if !a.IP.IsValid() || !b.IP.IsValid() || a.IP == b.IP {
		t.Fatalf("addresses %v and %v: want two different ones", a.IP, b.IP)
	}
	if got, ok := nw.addr(a.ID()); !ok || got != a.IP {
		t.Errorf("attached %s with %v, want %v", a.ID(), got, a.IP)
	}
	if want := fmt.Sprintf("/proc/%d/ns/net", a.InitPid); nw.nsPaths[a.ID()] != want {
		t.Errorf("attached through %q, want %q", nw.nsPaths[a.ID()], want)
	}

	if err := m.Stop(a.ID()); err != nil {
		t.Fatal(err)
	}
	if _, ok := nw.addr(a.ID()); ok {
		t.Errorf("%s still attached after Stop", a.ID())
	}
	m2, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := nw.addr(b.ID()); !ok || got != b.IP {
		t.Errorf("after a daemon restart, running %s attached with %v, want %v", b.ID(), got, b.IP)
	}
	if _, err := m2.Open(ctx, "alice", "alice"); err != nil {
		t.Fatal(err)
	}
	if got, _ := m2.Get(a.ID()); got.IP != a.IP {
		t.Errorf("after a stop and a daemon restart, %s has %v, want its address %v", a.ID(), got.IP, a.IP)
	}
}

// TestGuestNetworkReleasedAndRenumbered checks that a removed guest's
// address goes back to the pool, and that a guest whose address is not in
// the subnet any more (the config changed) gets a new one.
func TestGuestNetworkReleasedAndRenumbered(t *testing.T) {
	opts := testOptions(t)
	opts.Network = newFakeNetwork("10.99.0.0/24")
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := m.Open(ctx, "alice", "web"); err != nil {
		t.Fatal(err)
	}
	first := m.List()[0].IP
	if err := m.Remove("alice+web"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Open(ctx, "alice", "db"); err != nil {
		t.Fatal(err)
	}
	if got := m.List()[0].IP; got != first {
		t.Errorf("after removing the only guest, the next one got %v, want the freed %v", got, first)
	}
	if err := m.Stop("alice+db"); err != nil {
		t.Fatal(err)
	}
	opts.Network = newFakeNetwork("10.98.0.0/24")
	m2, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m2.Open(ctx, "alice", "db"); err != nil {
		t.Fatal(err)
	}
	if got := m2.List()[0].IP; !netip.MustParsePrefix("10.98.0.0/24").Contains(got) {
		t.Errorf("after the subnet changed, the guest has %v, want an address in 10.98.0.0/24", got)
	}
}

// TestGuestResolvConf checks that the guest's /etc/resolv.conf is vmhost's
// until the guest's root replaces it, and is then left alone.
func TestGuestResolvConf(t *testing.T) {
	opts := testOptions(t)
	opts.Network = newFakeNetwork("10.99.0.0/24")
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	g, err := m.Open(ctx, "alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	out, _, _ := run(t, g, "/bin/cat", "/etc/resolv.conf")
	if !strings.HasPrefix(out, resolvMarker) || !strings.Contains(out, "nameserver 10.99.0.1\n") {
		t.Fatalf("resolv.conf = %q, want vmhost's with nameserver 10.99.0.1", out)
	}
	run(t, g, "/bin/sh", "-c", "echo 'nameserver 192.0.2.53' > /etc/resolv.conf")
	if err := m.Restart(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	out, _, _ = run(t, g, "/bin/cat", "/etc/resolv.conf")
	if out != "nameserver 192.0.2.53\n" {
		t.Errorf("after a restart, the guest's own resolv.conf became %q", out)
	}
	upper := filepath.Join(opts.DataDir, "guests", "alice", upperDir)
	if m.resolvConfFor(upper) != nil {
		t.Errorf("resolvConfFor a guest with its own resolv.conf: want nil")
	}
}
