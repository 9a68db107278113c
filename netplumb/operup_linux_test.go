package netplumb

import (
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// namedNetns opens the named network namespace; it is closed in cleanup.
func namedNetns(t *testing.T, name string) netns.NsHandle {
	t.Helper()
	ns, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

func TestWaitOperUp(t *testing.T) {
	h := newTestHost(t)
	if h == nil {
		return
	}
	ns := h.netns("opup")
	run(t, ns, "ip", "link", "add", "opa", "type", "veth", "peer", "name", "opb")
	run(t, ns, "ip", "link", "set", "opa", "up") // opb is down: opa has no carrier
	nh, handle := namedNetns(t, ns), netlinkHandle(t, ns)
	done := make(chan error, 1)
	go func() { done <- waitOperUp(handle, nh, "opa") }()
	select {
	case err := <-done:
		t.Fatalf("waitOperUp of a link with no carrier = %v before it came up", err)
	case <-time.After(200 * time.Millisecond):
	}
	run(t, ns, "ip", "link", "set", "opb", "up")
	if err := <-done; err != nil {
		t.Errorf("waitOperUp once its peer came up = %v, want nil", err)
	}
	if err := waitOperUp(handle, nh, "opa"); err != nil {
		t.Errorf("waitOperUp of a link already up = %v", err)
	}
	run(t, ns, "ip", "link", "set", "opb", "down")
	err := waitOperUp(handle, nh, "opa")
	if err == nil || !strings.Contains(err.Error(), "opa is not up after 2s (state lower-layer-down)") {
		t.Errorf("waitOperUp of a link that stays down = %v, want it to give up naming its state", err)
	}
	if err := waitOperUp(netlinkHandle(t, ""), netns.None(), "nosuchlink"); err == nil || !strings.Contains(err.Error(), "looking for nosuchlink") {
		t.Errorf("waitOperUp of no link = %v, want an error", err)
	}
}
