package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// viewMount is where the daemon with run directory runDir mounts lxcfs.
func viewMount(runDir string) string {
	return filepath.Join(runDir, "view", "lxcfs")
}

// requireLXCFS skips the test without lxcfs or FUSE on the host.
func requireLXCFS(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/lxcfs"); err != nil {
		t.Skip("skipping: no /usr/bin/lxcfs (make deps installs lxcfs)")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("skipping: no /dev/fuse")
	}
}

// viewServer returns the pid and start time of the lxcfs of the daemon with
// run directory runDir, as its pid file names it, once that process runs
// lxcfs on the daemon's mount point; 0 when there is none.
func viewServer(runDir string) (int, uint64) {
	return viewServerNamed(runDir, "lxcfs")
}

// viewServerNamed is viewServer for the view server name: "lxcfs", or
// "stat" (the daemon's own /proc/stat server).
func viewServerNamed(runDir, name string) (int, uint64) {
	mnt := filepath.Join(runDir, "view", name)
	b, err := os.ReadFile(filepath.Join(runDir, "view", name+".pid"))
	if err != nil {
		return 0, 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return 0, 0
	}
	st, err := readStat(pid)
	cmdline, err2 := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || err2 != nil || st.state == 'Z' || !strings.HasSuffix(string(cmdline), mnt+"\x00") {
		return 0, 0
	}
	return pid, st.startTime
}

// waitViewServer waits until the daemon's lxcfs runs and is not the process
// not (0 for any), and returns its pid and start time.
func waitViewServer(t testing.TB, runDir string, not int) (int, uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		pid, start := viewServer(runDir)
		if pid != 0 && pid != not {
			return pid, start
		}
		if time.Now().After(deadline) {
			t.Fatalf("no lxcfs (other than %d) runs on %s", not, viewMount(runDir))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopViewServer kills the view servers (lxcfs, and the /proc/stat
// server) a daemon left running for its guests and detaches their mounts,
// once the guests are gone.
func stopViewServer(t testing.TB, runDir string) {
	if runDir == "" {
		return
	}
	for _, name := range []string{"lxcfs", "stat"} {
		stopViewServerNamed(t, runDir, name)
	}
}

// stopViewServerNamed kills one view server and detaches its mount.
func stopViewServerNamed(t testing.TB, runDir, name string) {
	if pid, start := viewServerNamed(runDir, name); pid != 0 {
		if err := killProcess(pid, start, 10*time.Second); err != nil {
			t.Errorf("killing %s: %v", name, err)
		}
	}
	mnt := filepath.Join(runDir, "view", name)
	for i := 0; i < 16; i++ {
		err := unix.Unmount(mnt, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			return
		}
		if err != nil {
			t.Errorf("unmounting %s: %v", mnt, err)
			return
		}
	}
}

// memTotalKiB reads MemTotal from /proc/meminfo text, in KiB; -1 if absent.
func memTotalKiB(meminfo string) int64 {
	for _, line := range strings.Split(meminfo, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "MemTotal:" {
			n, err := strconv.ParseInt(f[1], 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// hostMemTotalKiB is the host's MemTotal.
func hostMemTotalKiB(t testing.TB) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	return memTotalKiB(string(b))
}

// guestMemTotalKiB is MemTotal in /proc/meminfo inside login's guest.
func (d *daemon) guestMemTotalKiB(t testing.TB, login string) int64 {
	t.Helper()
	out := d.mustSSH(t, login, "cat /proc/meminfo")
	n := memTotalKiB(out)
	if n < 0 {
		t.Logf("no MemTotal in %s's /proc/meminfo: %q", login, out)
	}
	return n
}

// viewConfig gives every guest 256MiB without swap and one CPU.
const viewConfig = "  limits: {memory: 256MiB, swap: 256MiB, cpus: 1, pids: 256}\n"

// newViewDaemon starts a daemon whose guests have the limits of viewConfig,
// with alice's guest running, and waits for its lxcfs.
func newViewDaemon(t *testing.T) *daemon {
	t.Helper()
	d := prepareDaemon(t, daemonOptions{})
	d.writeConfig(t, replaceOnce(t, d.cfg.yaml(), "\ndefaults:\n", "\ndefaults:\n"+viewConfig))
	d.start(t)
	waitViewServer(t, d.runDir, 0)
	if out := d.mustSSH(t, "alice", "echo up"); out != "up\n" {
		t.Fatalf("ssh alice echo up = %q", out)
	}
	return d
}

// ensureOwnCpuset puts the init pid of guest, in the root cpuset of a
// cgroup1 host, in a cpuset vmhost-<bridge>/<guest> with every CPU, as the
// cpuset work does for every guest: lxcfs 5.0 reads a guest's CPU quota in
// the cgroup of its cpuset's path, so on cgroup1 it shows the guest's CPUs
// only once guests have cpusets of their own. removeCgroupParent removes it.
func (d *daemon) ensureOwnCpuset(t *testing.T, guest string, pid int) {
	t.Helper()
	paths, err := readCgroups(pid)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := paths["cpuset"]; !ok || p != "/" {
		return
	}
	t.Logf("guest %s has no cpuset of its own: making one as the cpuset work would", guest)
	root := "/sys/fs/cgroup/cpuset"
	dir := root
	for _, part := range []string{"vmhost-" + d.cfg.bridge, guest} {
		dir = filepath.Join(dir, part)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			t.Fatal(err)
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			b, err := os.ReadFile(filepath.Join(root, f))
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, f), b, 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// memTotalInside reads MemTotal of /proc/meminfo as a process in the mount
// and pid namespaces of the init pid sees it, without the daemon (which
// may be down): lxcfs tells guests apart by their pid namespace's init.
// Equivalent to: nsenter -t PID -m -p cat /proc/meminfo
func memTotalInside(t testing.TB, pid int) int64 {
	t.Helper()
	out, err := exec.Command("nsenter", "-t", strconv.Itoa(pid), "-m", "-p", "--", "cat", "/proc/meminfo").CombinedOutput()
	if err != nil {
		t.Fatalf("nsenter -t %d cat /proc/meminfo: %v: %s", pid, err, out)
	}
	return memTotalKiB(string(out))
}
