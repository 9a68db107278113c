package netplumb

import (
	"errors"
	"testing"

	"github.com/vishvananda/netlink"
)

// TestBridgeFullBeforeMaking gives the bridge room for 2 guests: the third
// guest's Attach fails with ErrBridgeFull and leaves nothing behind (no veth,
// no eth0 in the guest, no port filter chain); once bob is detached, it
// attaches. TestBridgeFull covers the kernel's own refusal, at 1,023 ports.
func TestBridgeFullBeforeMaking(t *testing.T) {
	h := newTestHost(t)
	if h == nil {
		return
	}
	n := h.start(h.config())
	n.slots.max = 2
	a := h.attach(n, "alice")
	b := h.attach(n, "bob", a)
	c := guest{id: "carol", ns: h.netns("carol"), ip: b.ip.Next()}
	err := n.Attach(c.id, c.ip, "/run/netns/"+c.ns)
	if !errors.Is(err, ErrBridgeFull) {
		t.Fatalf("Attach of a third guest to a bridge with room for 2 = %v, want ErrBridgeFull", err)
	}
	t.Logf("Attach past the bridge's room: %v", err)
	if _, err := netlink.LinkByName(vethName(h.prefix, c.id)); err == nil {
		t.Errorf("the refused Attach made the guest's veth")
	}
	if err := command(c.ns, "ip", "link", "show", "eth0").Run(); err == nil {
		t.Errorf("the refused Attach made eth0 in the guest")
	}
	checkFiltered(t, h.prefix, a.id, b.id)
	if err := n.Attach(a.id, a.ip, "/run/netns/"+a.ns); err != nil {
		t.Errorf("attaching alice again on a full bridge: %v", err)
	}
	if err := n.Detach(b.id); err != nil {
		t.Fatal(err)
	}
	if err := n.Attach(c.id, c.ip, "/run/netns/"+c.ns); err != nil {
		t.Errorf("Attach once bob is detached: %v", err)
	}
	checkFiltered(t, h.prefix, a.id, c.id)
}
