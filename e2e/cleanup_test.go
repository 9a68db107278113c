package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// cleanup stops the daemon and removes what it made: its guests, whose inits
// outlive the daemon by design, their cgroups, the bridge, and the temporary
// directories. It fails the test when something is still mounted under them.
// It runs also when the test failed.
func (d *daemon) cleanup(t testing.TB) {
	d.stop(t)
	if d.dataDir != "" {
		d.killGuests(t)
		unmountDisks(t, d.dataDir)
	}
	stopViewServer(t, d.runDir)
	removeCgroupParent(t, d.cfg.bridge)
	d.teardownNetwork(t)
	removeLink(t, d.cfg.bridge)
	checkNoChains(t, d.cfg.bridge)
	checkNoFilterTable(t, d.cfg.bridge)
	dirs := []string{d.baseDir, d.runDir}
	for _, dir := range dirs {
		checkUnmounted(t, dir)
	}
	if t.Failed() && d.runs > 0 {
		t.Logf("vmhostd log:\n%s", d.log())
	}
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("removing %s: %v", dir, err)
		}
	}
}

// killGuests kills the init of every guest in guest.json files whose init
// still runs (same pid and start time), waits for it to go, and removes the
// cgroups it was in.
func (d *daemon) killGuests(t testing.TB) {
	states, err := guestStates(d.dataDir)
	if err != nil {
		t.Errorf("finding guests to clean up: %v", err)
	}
	for name, st := range states {
		if !st.running() {
			continue
		}
		cgroups, err := cgroupDirs(st.InitPID)
		if err != nil {
			t.Logf("finding the cgroups of guest %s: %v", name, err)
		}
		if err := killProcess(st.InitPID, st.InitStart, 10*time.Second); err != nil {
			t.Errorf("killing the init of guest %s: %v", name, err)
			continue
		}
		removeCgroups(t, cgroups)
	}
}

// cgroupDirs returns the cgroup directories of process pid, in every
// hierarchy, that are not the test's own.
func cgroupDirs(pid int) ([]string, error) {
	mine, err := readCgroups(os.Getpid())
	if err != nil {
		return nil, err
	}
	theirs, err := readCgroups(pid)
	if err != nil {
		return nil, err
	}
	mounts, err := readMounts()
	if err != nil {
		return nil, err
	}
	var dirs []string
	for controllers, path := range theirs {
		if mine[controllers] == path {
			continue
		}
		if root := cgroupMount(mounts, controllers); root != "" {
			dirs = append(dirs, filepath.Join(root, path))
		}
	}
	return dirs, nil
}

// readCgroups reads /proc/PID/cgroup: the cgroup path in each hierarchy, by
// the hierarchy's controllers ("" for cgroup2).
func readCgroups(pid int) (map[string]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return nil, err
	}
	paths := map[string]string{}
	for line := range strings.Lines(string(b)) {
		f := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(f) == 3 {
			paths[f[1]] = f[2]
		}
	}
	return paths, nil
}

// cgroupMount returns where the hierarchy with these controllers ("" for
// cgroup2) is mounted at its root, or "".
func cgroupMount(mounts []mountInfo, controllers string) string {
	for _, m := range mounts {
		if m.root != "/" {
			continue
		}
		if controllers == "" && m.fstype == "cgroup2" {
			return m.point
		}
		if controllers != "" && m.fstype == "cgroup" && containsAll(m.superOpts, strings.Split(controllers, ",")) {
			return m.point
		}
	}
	return ""
}

// containsAll reports whether every element of want is in s.
func containsAll(s, want []string) bool {
	for _, w := range want {
		if !slices.Contains(s, w) {
			return false
		}
	}
	return true
}

// removeCgroups removes the cgroup directories dirs, waiting a little for
// them to empty. It only logs what it cannot remove: a directory may be a
// parent that other guests share.
func removeCgroups(t testing.TB, dirs []string) {
	for _, dir := range dirs {
		deadline := time.Now().Add(5 * time.Second)
		for {
			err := unix.Rmdir(dir)
			if err == nil || errors.Is(err, unix.ENOENT) {
				break
			}
			if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
				t.Logf("removing cgroup %s: %v", dir, err)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// removeLink deletes the network link name if it exists. Equivalent to:
// `ip link del NAME`.
func removeLink(t testing.TB, name string) {
	if name == "" {
		return
	}
	l, err := netlink.LinkByName(name)
	var notFound netlink.LinkNotFoundError
	if errors.As(err, &notFound) {
		return
	}
	if err == nil {
		err = netlink.LinkDel(l)
	}
	if err != nil {
		t.Errorf("removing link %s: %v", name, err)
	}
}

// mountInfo is one line of /proc/self/mountinfo.
type mountInfo struct {
	root, point, fstype string
	superOpts           []string
}

// readMounts reads /proc/self/mountinfo.
func readMounts() ([]mountInfo, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var mounts []mountInfo
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		sep := slices.Index(f, "-")
		if sep < 6 || len(f) < sep+4 {
			return nil, fmt.Errorf("reading /proc/self/mountinfo: malformed line %q", line)
		}
		mounts = append(mounts, mountInfo{
			root:      unescapeMount(f[3]),
			point:     unescapeMount(f[4]),
			fstype:    f[sep+1],
			superOpts: strings.Split(f[sep+3], ","),
		})
	}
	return mounts, nil
}

// unescapeMount undoes the octal escapes (\040 for a space) of mountinfo.
func unescapeMount(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// checkUnmounted fails the test when anything but the mount points except
// is mounted at or under dir in the test's mount namespace, and detaches
// what it finds.
func checkUnmounted(t testing.TB, dir string, except ...string) {
	if dir == "" {
		return
	}
	mounts, err := readMounts()
	if err != nil {
		t.Error(err)
		return
	}
	var under []string
	for _, m := range mounts {
		if (m.point == dir || strings.HasPrefix(m.point, dir+"/")) && !slices.Contains(except, m.point) {
			under = append(under, m.point)
		}
	}
	if len(under) == 0 {
		return
	}
	t.Errorf("still mounted after the daemon and its guests are gone: %q", under)
	slices.SortFunc(under, func(a, b string) int { return len(b) - len(a) })
	for _, p := range under {
		if err := unix.Unmount(p, unix.MNT_DETACH); err != nil {
			t.Logf("detaching %s: %v", p, err)
		}
	}
}

// teardownNetwork removes the daemon's bridge and iptables chains the way an
// admin does, with `vmhostd network teardown`. A config the daemon refused
// (some tests write bad ones) leaves nothing to tear down but the bridge,
// which removeLink takes.
func (d *daemon) teardownNetwork(t testing.TB) {
	if d.runs == 0 || d.configPath == "" {
		return
	}
	out, err := exec.Command(daemonBin, "network", "teardown", "--config", d.configPath).CombinedOutput()
	if err != nil {
		t.Logf("vmhostd network teardown: %v\n%s", err, out)
	}
}

// checkNoChains fails the test if an iptables or ip6tables chain of bridge
// is left: the daemon's chains are named VMHOST-<bridge>-....
func checkNoChains(t testing.TB, bridge string) {
	if bridge == "" {
		return
	}
	for _, cmd := range []string{"iptables", "ip6tables"} {
		for _, table := range []string{"filter", "nat"} {
			out, err := exec.Command(cmd, "-w", "-t", table, "-S").CombinedOutput()
			if err != nil {
				t.Logf("%s -t %s -S: %v\n%s", cmd, table, err, out)
				continue
			}
			for _, line := range strings.Split(string(out), "\n") {
				if strings.Contains(line, "VMHOST-"+bridge+"-") {
					t.Errorf("left in %s table %s: %s", cmd, table, line)
				}
			}
		}
	}
}

// checkNoFilterTable fails the test if an nf_tables table named after the
// bridge (VMHOST-<bridge>, VMHOST-CT-<bridge>, of any family) is left after
// teardown, and removes it.
// Equivalent to: nft list tables
func checkNoFilterTable(t testing.TB, bridge string) {
	if bridge == "" {
		return
	}
	c, err := nftables.New()
	if err != nil {
		t.Logf("opening nf_tables: %v", err)
		return
	}
	tables, err := c.ListTables()
	if err != nil {
		t.Logf("listing nf_tables tables: %v", err)
		return
	}
	for _, table := range tables {
		if !strings.HasSuffix(table.Name, "-"+bridge) {
			continue
		}
		t.Errorf("left in nf_tables: table %s (family %d)", table.Name, table.Family)
		c.DelTable(table)
		if err := c.Flush(); err != nil {
			t.Logf("deleting table %s: %v", table.Name, err)
		}
	}
}
