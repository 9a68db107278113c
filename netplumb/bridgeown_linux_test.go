package netplumb

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// bridgeAddrs lists the IPv4 addresses of the link name.
func bridgeAddrs(t *testing.T, name string) []string {
	t.Helper()
	l, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatalf("looking for %s: %v", name, err)
	}
	addrs, err := netlink.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range addrs {
		out = append(out, a.IPNet.String())
	}
	return out
}

func TestStartRefusesForeignBridge(t *testing.T) {
	h := newTestHost(t)
	if h == nil {
		return
	}
	// Another program's bridge, as docker0 is, with the configured name.
	run(t, "", "ip", "link", "add", h.prefix, "address", "02:42:ac:11:00:01", "type", "bridge")
	run(t, "", "ip", "addr", "add", "192.0.2.1/24", "dev", h.prefix)
	n, err := New(h.config())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err == nil || !strings.Contains(err.Error(), "vmhost did not make it") {
		t.Fatalf("Start with another program's bridge = %v, want it refused", err)
	}
	if got := bridgeAddrs(t, h.prefix); len(got) != 1 || got[0] != "192.0.2.1/24" {
		t.Errorf("after a refused Start, the bridge's addresses = %v, want 192.0.2.1/24 untouched", got)
	}

	// Adopted on the admin's word: it gets the gateway, and teardown leaves it.
	cfg := h.config()
	cfg.AdoptBridge = true
	n = h.start(cfg)
	gw := netip.PrefixFrom(n.Gateway(), h.subnet.Bits()).String()
	if got := bridgeAddrs(t, h.prefix); len(got) != 1 || got[0] != gw {
		t.Errorf("the adopted bridge's addresses = %v, want %s", got, gw)
	}
	if err := n.Teardown(); err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName(h.prefix); err != nil {
		t.Errorf("teardown removed a bridge vmhost did not make: %v", err)
	}
	run(t, "", "ip", "link", "del", h.prefix)

	// A bridge vmhost made before it marked its bridges is its own, and
	// marked; one it makes now is marked, and teardown removes it.
	run(t, "", "ip", "link", "add", h.prefix, "address", bridgeMAC(h.prefix).String(), "type", "bridge")
	n = h.start(h.config())
	if l, err := netlink.LinkByName(h.prefix); err != nil || l.Attrs().Alias != bridgeAlias {
		t.Errorf("vmhost's own unmarked bridge after Start: %v; want alias %q", err, bridgeAlias)
	}
	if err := n.Teardown(); err != nil {
		t.Fatal(err)
	}
	n = h.start(h.config())
	if l, err := netlink.LinkByName(h.prefix); err != nil || l.Attrs().Alias != bridgeAlias {
		t.Errorf("a bridge vmhost made: %v; want alias %q", err, bridgeAlias)
	}
	if err := n.Teardown(); err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName(h.prefix); err == nil {
		t.Errorf("teardown left the bridge vmhost made")
	}
}
