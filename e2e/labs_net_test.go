package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// newLabDaemon starts a daemon with class net101: teacher tina, students
// s01 and s02, hosts pc and router joined by one link.
func newLabDaemon(t *testing.T) *daemon {
	t.Helper()
	d := prepareDaemon(t, daemonOptions{})
	keyDir := filepath.Join(d.baseDir, "keys")
	for _, u := range []string{"tina", "s01", "s02"} {
		d.keys[u], d.cfg.keys[u] = makeKey(t, keyDir, u)
	}
	d.writeConfig(t, d.cfg.yaml()+labClass)
	d.start(t)
	return d
}

// labClass is the classes section of newLabDaemon's config.
const labClass = `classes:
  net101:
    teachers: [tina]
    students: [s01, s02]
    hosts: {pc: {}, router: {}}
    links: [[pc, router]]
`

// inet4RE finds an IPv4 address in `ip addr` output.
var inet4RE = regexp.MustCompile(`inet (\d+\.\d+\.\d+\.\d+)/`)

// checkBareLink wants eth1 of the guest login lands in up with no IPv4
// address.
func (d *daemon) checkBareLink(t *testing.T, login string) {
	t.Helper()
	out := d.mustSSH(t, login, "ip addr show dev eth1")
	if !strings.Contains(out, ",UP") && !strings.Contains(out, "<UP") {
		t.Errorf("%s: eth1 is not up: %q", login, out)
	}
	if inet4RE.MatchString(out) {
		t.Errorf("%s: eth1 has an IPv4 address before the student gave it one: %q", login, out)
	}
}

// pings reports whether login's guest gets an answer from addr.
func (d *daemon) pings(t *testing.T, login, addr string) bool {
	t.Helper()
	_, _, code := d.ssh(t, login, "ping -c 1 -W 2 "+addr)
	return code == 0
}

func TestLabLinks(t *testing.T) {
	t.Parallel()
	d := newLabDaemon(t)
	for _, login := range []string{"s01", "s01+router", "s02", "s02+router"} {
		d.checkBareLink(t, login)
	}
	if got := strings.TrimSpace(d.mustSSH(t, "s01", "hostname")); got != "pc" {
		t.Errorf("ssh s01@host reached %q, want the class's first host pc", got)
	}
	for _, s := range []string{"s01", "s02"} {
		d.mustSSH(t, s, "ip addr add 10.0.0.1/24 dev eth1")
		d.mustSSH(t, s+"+router", "ip addr add 10.0.0.2/24 dev eth1")
	}
	for _, s := range []string{"s01", "s02"} {
		if !d.pings(t, s, "10.0.0.2") {
			t.Errorf("%s's pc does not reach %s's router at 10.0.0.2 over eth1", s, s)
		}
	}
	d.checkNeighbour(t, "s02", "s02+router")
	d.mustSSH(t, "s02+router", "ip addr del 10.0.0.2/24 dev eth1")
	if d.pings(t, "s02", "10.0.0.2") {
		t.Errorf("s02's pc reaches 10.0.0.2, which only s01's router holds now")
	}
	router := d.guestAddr(t, "s01+router").String()
	if d.pings(t, "s02", router) {
		t.Errorf("s02's pc reaches s01's router at its eth0 address %s", router)
	}
	d.checkSiblingNames(t, router)
	d.checkHostHasNoSegments(t)

	d.mustAdmin(t, "guest", "stop", "s01+pc")
	d.checkBareLink(t, "s01")
	d.mustSSH(t, "s01", "ip addr add 10.0.0.1/24 dev eth1")
	if !d.pings(t, "s01", "10.0.0.2") {
		t.Errorf("after its restart, s01's pc does not reach s01's router over eth1")
	}
	d.stop(t)
	d.start(t)
	if !d.pings(t, "s01", "10.0.0.2") {
		t.Errorf("after a daemon restart, s01's pc does not reach s01's router over eth1")
	}
	if _, err := os.Stat(filepath.Join(d.runDir, "labnet", "ns")); err != nil {
		t.Errorf("the segments' namespace is not at <run_dir>/labnet/ns: %v", err)
	}
	d.checkLeftClass(t)
}

// checkLeftClass takes s02 out of the class and reloads: s02's guests lose
// eth1 at once, s01's keep theirs.
func (d *daemon) checkLeftClass(t *testing.T) {
	t.Helper()
	text := strings.Replace(d.cfg.yaml()+labClass, "students: [s01, s02]", "students: [s01]", 1)
	d.writeConfig(t, text)
	d.mustAdmin(t, "reload")
	for _, login := range []string{"s02+pc", "s02+router"} {
		if out, _, code := d.ssh(t, login, "ip link show eth1"); code == 0 {
			t.Errorf("%s still has eth1 after s02 left the class: %q", login, out)
		}
	}
	if !d.pings(t, "s01", "10.0.0.2") {
		t.Errorf("after s02 left the class, s01's pc does not reach s01's router over eth1")
	}
}

// checkNeighbour wants 10.0.0.2, as login's pc sees it on eth1, to be the
// MAC address of eth1 of the guest peer.
func (d *daemon) checkNeighbour(t *testing.T, login, peer string) {
	t.Helper()
	mac := strings.TrimSpace(d.mustSSH(t, peer, "cat /sys/class/net/eth1/address"))
	if out := d.mustSSH(t, login, "ip neigh show 10.0.0.2 dev eth1"); !strings.Contains(out, mac) {
		t.Errorf("%s's pc has %q for 10.0.0.2, want %s's eth1 at %s", login, out, peer, mac)
	}
}

// checkSiblingNames wants "router" to mean, from s01's pc, s01's router at
// its eth0 address router: ahead of any other guest called router.
func (d *daemon) checkSiblingNames(t *testing.T, router string) {
	t.Helper()
	if out := d.mustSSH(t, "s01", "nslookup router.vmhost"); !strings.Contains(out, router) {
		t.Errorf("nslookup router.vmhost from s01's pc: %q, want s01's router at %s", out, router)
	}
	// isolate is on: the ping goes unanswered, but it names what it tried.
	out, errOut, _ := d.ssh(t, "s01", "ping -4 -c 1 -W 1 router")
	if want := fmt.Sprintf("(%s)", router); !strings.Contains(out+errOut, want) {
		t.Errorf("ping router from s01's pc: %q %q, want it to try %s", out, errOut, router)
	}
	other := d.guestAddr(t, "s02+router").String()
	if out := d.mustSSH(t, "s02", "nslookup router.vmhost"); !strings.Contains(out, other) || strings.Contains(out, router) {
		t.Errorf("nslookup router.vmhost from s02's pc: %q, want s02's router at %s", out, other)
	}
}

// checkHostHasNoSegments wants none of the segments' links in the host's
// network namespace.
func (d *daemon) checkHostHasNoSegments(t *testing.T) {
	t.Helper()
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	seg := regexp.MustCompile(`^l[bp][0-9a-f]{12}$`)
	for _, l := range links {
		if seg.MatchString(l.Attrs().Name) {
			t.Errorf("the host's namespace has link %s, which looks like a lab segment's", l.Attrs().Name)
		}
	}
}
