package netplumb

import (
	"bufio"
	"bytes"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// labTest is the world of a lab segments test: a host (see newTestHost),
// the segments' directory and a guest namespace per guest ID.
type labTest struct {
	*testHost
	dir string
	ns  map[string]string // guest ID -> named network namespace
}

// newLabTest runs the test in a host of its own with guests s01+pc,
// s01+router, s02+pc and s02+router; nil in the parent. The segments are
// torn down in cleanup, and the test fails if a mount is left under dir.
func newLabTest(t *testing.T) *labTest {
	h := newTestHost(t)
	if h == nil {
		return nil
	}
	requirePing(t)
	lt := &labTest{testHost: h, dir: filepath.Join(t.TempDir(), "labnet"), ns: map[string]string{}}
	t.Cleanup(func() {
		if err := lt.labNet().Teardown(); err != nil {
			t.Error(err)
		}
		if left := mountsUnder(t, lt.dir); len(left) > 0 {
			t.Errorf("mounts left under %s: %v", lt.dir, left)
		}
	})
	for _, id := range []string{"s01+pc", "s01+router", "s02+pc", "s02+router"} {
		lt.ns[id] = h.netns(strings.ReplaceAll(id, "+", "-"))
	}
	return lt
}

// labNet returns a LabNet on the test's directory, as a daemon (or a
// restarted one) has.
func (lt *labTest) labNet() *LabNet {
	return NewLabNet(lt.dir, slog.New(slog.NewTextHandler(testWriter{lt.t}, nil)))
}

// links are the links of a student's host: one segment per student.
func links(student string) []LabLink {
	return []LabLink{{Segment: "net101/" + student + "/0", Iface: "eth1"}}
}

// attachAll attaches every guest to its student's segment.
func (lt *labTest) attachAll(l *LabNet) {
	lt.t.Helper()
	for id, ns := range lt.ns {
		student, _, _ := strings.Cut(id, "+")
		if err := l.Attach(id, links(student), "/run/netns/"+ns); err != nil {
			lt.t.Fatal(err)
		}
	}
}

// eth1 returns the guest's eth1.
func (lt *labTest) eth1(id string) netlink.Link {
	lt.t.Helper()
	l, err := netlinkHandle(lt.t, lt.ns[id]).LinkByName("eth1")
	if err != nil {
		lt.t.Fatalf("%s has no eth1: %v", id, err)
	}
	return l
}

// addr gives the guest's eth1 the address a.
func (lt *labTest) addr(id, a string) {
	run(lt.t, lt.ns[id], "ip", "addr", "add", a, "dev", "eth1")
}

func TestLabNetSegments(t *testing.T) {
	lt := newLabTest(t)
	if lt == nil {
		return
	}
	l := lt.labNet()
	lt.attachAll(l)
	for id := range lt.ns {
		student, _, _ := strings.Cut(id, "+")
		eth1 := lt.eth1(id)
		addrs, err := netlinkHandle(t, lt.ns[id]).AddrList(eth1, netlink.FAMILY_V4)
		switch {
		case err != nil:
			t.Fatal(err)
		case eth1.Attrs().Flags&net.FlagUp == 0:
			t.Errorf("%s: eth1 is down", id)
		case len(addrs) > 0:
			t.Errorf("%s: eth1 has IPv4 addresses %v, want none", id, addrs)
		case !bytes.Equal(eth1.Attrs().HardwareAddr, LabMAC(links(student)[0].Segment, id)):
			t.Errorf("%s: eth1 has MAC %s, want %s", id, eth1.Attrs().HardwareAddr, LabMAC(links(student)[0].Segment, id))
		}
	}
	lt.addr("s01+pc", "10.0.0.1/24")
	lt.addr("s01+router", "10.0.0.2/24")
	lt.addr("s02+pc", "10.0.0.1/24")
	lt.addr("s02+router", "10.0.0.3/24")
	if !lt.ping(lt.ns["s01+pc"], netip.MustParseAddr("10.0.0.2")) {
		t.Errorf("s01's pc does not reach s01's router over their segment")
	}
	if !lt.ping(lt.ns["s02+pc"], netip.MustParseAddr("10.0.0.3")) {
		t.Errorf("s02's pc does not reach s02's router over their segment")
	}
	if lt.answersPing(lt.ns["s02+pc"], netip.MustParseAddr("10.0.0.2")) {
		t.Errorf("s02's pc reaches s01's router")
	}
	lt.checkFramesStay()
	lt.checkHostUntouched()
}

// checkFramesStay sends a broadcast frame from s01's pc: s01's router gets
// it, neither of s02's hosts does.
func (lt *labTest) checkFramesStay() {
	lt.t.Helper()
	caps := map[string]*nsCapture{}
	for _, id := range []string{"s01+router", "s02+pc", "s02+router"} {
		caps[id] = captureIn(lt.t, lt.ns[id], "eth1")
	}
	const marker = "vmhost-lab-marker"
	bcast := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	frame := ethFrame(bcast, lt.eth1("s01+pc").Attrs().HardwareAddr, 0, 0x88b5, []byte(marker))
	sendFrames(lt.t, lt.ns["s01+pc"], "eth1", frame, frame, frame)
	time.Sleep(200 * time.Millisecond)
	for id, c := range caps {
		got := c.seen(marker)[marker]
		if want := id == "s01+router"; (got > 0) != want {
			lt.t.Errorf("%s received %d of s01's broadcast frames; want some: %v", id, got, want)
		}
	}
}

// checkHostUntouched wants no link of the segments in the host's namespace.
func (lt *labTest) checkHostUntouched() {
	lt.t.Helper()
	links, err := netlink.LinkList()
	if err != nil {
		lt.t.Fatal(err)
	}
	for _, l := range links {
		if name := l.Attrs().Name; strings.HasPrefix(name, "lb") || strings.HasPrefix(name, "lp") {
			lt.t.Errorf("the host's namespace has link %s", name)
		}
	}
}

func TestLabNetRepair(t *testing.T) {
	lt := newLabTest(t)
	if lt == nil {
		return
	}
	lt.attachAll(lt.labNet())
	lt.addr("s01+pc", "10.0.0.1/24")
	lt.addr("s01+router", "10.0.0.2/24")
	before := lt.eth1("s01+pc").Attrs().Index
	run(t, lt.ns["s01+router"], "ip", "link", "del", "eth1")
	run(t, lt.ns["s01+pc"], "ip", "link", "set", "eth1", "down", "address", "02:00:00:00:00:01")
	restarted := lt.labNet()
	lt.attachAll(restarted)
	lt.attachAll(restarted)
	if got := lt.eth1("s01+pc").Attrs().Index; got != before {
		t.Errorf("attaching again made s01's pc a new eth1 (index %d, was %d), want it kept", got, before)
	}
	lt.addr("s01+router", "10.0.0.2/24")
	if !lt.ping(lt.ns["s01+pc"], netip.MustParseAddr("10.0.0.2")) {
		t.Errorf("s01's pc does not reach s01's router after the repair")
	}
	lh, err := restarted.handle(false)
	if err != nil {
		t.Fatal(err)
	}
	defer lh.Close()
	all, err := lh.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1+2+4 { // lo, two bridges, four ports
		t.Errorf("the segments' namespace has %d links, want 7 (lo, 2 bridges, 4 ports): %v", len(all), linkNames(all))
	}
}

func TestLabNetPruneAndTeardown(t *testing.T) {
	lt := newLabTest(t)
	if lt == nil {
		return
	}
	l := lt.labNet()
	lt.attachAll(l)
	keep := []LabPort{{"net101/s01/0", "s01+pc"}, {"net101/s01/0", "s01+router"}}
	if err := l.Prune(keep); err != nil {
		t.Fatal(err)
	}
	lt.eth1("s01+pc")
	for _, id := range []string{"s02+pc", "s02+router"} {
		if _, err := netlinkHandle(t, lt.ns[id]).LinkByName("eth1"); !isNotFound(err) {
			t.Errorf("%s still has eth1 after its student left the class (%v)", id, err)
		}
	}
	if err := l.Teardown(); err != nil {
		t.Fatal(err)
	}
	gh := netlinkHandle(t, lt.ns["s01+pc"])
	gone := func() bool { _, err := gh.LinkByName("eth1"); return isNotFound(err) }
	for deadline := time.Now().Add(5 * time.Second); !gone() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond) // the kernel removes a namespace's links a moment after its last user
	}
	if !gone() {
		t.Errorf("s01+pc still has eth1 5s after the teardown")
	}
	if _, err := os.Stat(lt.dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there after the teardown (%v)", lt.dir, err)
	}
	if err := l.Teardown(); err != nil {
		t.Errorf("a second teardown: %v", err)
	}
	if err := l.Prune(keep); err != nil {
		t.Errorf("pruning with no segments: %v", err)
	}
}

func TestCheckLabLinks(t *testing.T) {
	many := make([]LabLink, MaxLabLinks+1)
	for i := range many {
		many[i] = LabLink{Segment: string(rune('a' + i)), Iface: "eth" + string(rune('1'+i))}
	}
	for _, tt := range []struct {
		links []LabLink
		ok    bool
	}{
		{[]LabLink{{"c/s/0", "eth1"}, {"c/s/1", "eth2"}}, true},
		{many[:MaxLabLinks], true},
		{many, false},
		{[]LabLink{{"c/s/0", "eth0"}}, false},
		{[]LabLink{{"c/s/0", "lo"}}, false},
		{[]LabLink{{"c/s/0", "eth1/x"}}, false},
		{[]LabLink{{"", "eth1"}}, false},
		{[]LabLink{{"c/s/0", "eth1"}, {"c/s/1", "eth1"}}, false},
		{[]LabLink{{"c/s/0", "eth1"}, {"c/s/0", "eth2"}}, false},
	} {
		if err := checkLabLinks(tt.links); (err == nil) != tt.ok {
			t.Errorf("checkLabLinks(%v) = %v, want ok %v", tt.links, err, tt.ok)
		}
	}
}

// nsCapture counts the frames an interface of a guest namespace receives.
type nsCapture struct{ capture }

// captureIn opens a packet socket on iface in the named namespace.
// Equivalent to: ip netns exec NS tcpdump -i IFACE
func captureIn(t *testing.T, ns, iface string) *nsCapture {
	t.Helper()
	var fd int
	err := inNetns(ns, func() error {
		ifc, err := net.InterfaceByName(iface)
		if err != nil {
			return err
		}
		if fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK, int(htons(unix.ETH_P_ALL))); err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifc.Index})
	})
	if err != nil {
		t.Fatalf("capturing on %s in %s: %v", iface, ns, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return &nsCapture{capture{fd: fd}}
}

// mountsUnder returns the mount points at or below dir.
func mountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && (fields[4] == dir || strings.HasPrefix(fields[4], dir+"/")) {
			out = append(out, fields[4])
		}
	}
	return out
}

// linkNames returns the links' names.
func linkNames(links []netlink.Link) []string {
	var out []string
	for _, l := range links {
		out = append(out, l.Attrs().Name)
	}
	return out
}
