package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// requireDisks skips unless this host can give guests disks of their own:
// loop devices and mkfs.ext4.
func requireDisks(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		t.Skip("needs loop devices (/dev/loop-control)")
	}
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Skip("needs mkfs.ext4 (e2fsprogs)")
	}
}

// unmountDisks detaches the guests' disks and volumes under data_dir, which stay
// mounted while their guests run, once the guests are gone; their loop
// devices go with them.
func unmountDisks(t testing.TB, dataDir string) {
	mounts, err := readMounts()
	if err != nil {
		t.Error(err)
		return
	}
	disks, volumes := filepath.Join(dataDir, "disks")+"/", filepath.Join(dataDir, "volumes")+"/"
	for _, m := range mounts {
		if strings.HasPrefix(m.point, disks) || strings.HasPrefix(m.point, volumes) {
			if err := unix.Unmount(m.point, unix.MNT_DETACH); err != nil {
				t.Errorf("detaching %s: %v", m.point, err)
			}
		}
	}
}

// loopsUnder returns the loop devices whose files are under dir.
func loopsUnder(dir string) []string {
	files, _ := filepath.Glob("/sys/block/loop*/loop/backing_file")
	var loops []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && strings.HasPrefix(string(b), dir+"/") {
			loops = append(loops, filepath.Base(filepath.Dir(filepath.Dir(f))))
		}
	}
	return loops
}

// checkNoLoops fails the test when a loop device still holds a file under
// dir some seconds after its file system went away.
func checkNoLoops(t testing.TB, dir string) {
	deadline := time.Now().Add(10 * time.Second)
	for len(loopsUnder(dir)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if loops := loopsUnder(dir); len(loops) > 0 {
		t.Errorf("loop devices still hold disks of the test: %q", loops)
	}
}

// dfRoot returns the size and use of / in the guest of login, in KiB, as
// df shows them.
func dfRoot(t *testing.T, d *daemon, login string) (size, used int64) {
	t.Helper()
	out := d.mustSSH(t, login, "df -P /")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	f := strings.Fields(lines[len(lines)-1])
	if len(f) < 3 {
		t.Fatalf("df -P / in %s = %q", login, out)
	}
	size, err1 := strconv.ParseInt(f[1], 10, 64)
	used, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("df -P / in %s = %q", login, out)
	}
	return size, used
}

// wantDfSize fails unless / in the guest of login is mib MiB, give or take
// the eighth the disk may round up by.
func wantDfSize(t *testing.T, d *daemon, login string, mib int64) {
	t.Helper()
	size, used := dfRoot(t, d, login)
	t.Logf("df / in %s: %d KiB, %d KiB used", login, size, used)
	if size < mib*1024 || size > mib*1024*9/8 {
		t.Errorf("df / in %s: %d KiB, want %d MiB", login, size, mib)
	}
}

// diskStats returns the disk use and limit of guest from `vmhostd guest
// stats --json`.
func diskStats(t *testing.T, d *daemon, guest string) (used, limit int64) {
	t.Helper()
	var stats []struct {
		DiskBytes      int64 `json:"disk_bytes"`
		DiskLimitBytes int64 `json:"disk_limit_bytes"`
	}
	out := d.mustAdmin(t, "guest", "stats", guest, "--json")
	if err := json.Unmarshal([]byte(out), &stats); err != nil || len(stats) != 1 {
		t.Fatalf("guest stats %s --json = %q (%v)", guest, out, err)
	}
	return stats[0].DiskBytes, stats[0].DiskLimitBytes
}

// canGrowOnline reports whether this test, and so the daemon it starts,
// has CAP_SYS_RESOURCE, which growing a disk in use needs.
func canGrowOnline() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[unix.CAP_SYS_RESOURCE/32].Effective&(1<<(unix.CAP_SYS_RESOURCE%32)) != 0
}

func TestGuestDiskLimit(t *testing.T) {
	requireDisks(t)
	var d *daemon
	t.Cleanup(func() {
		if d != nil {
			checkNoLoops(t, d.baseDir)
		}
	})
	d = prepareDaemon(t, daemonOptions{})
	d.writeConfig(t, withConfigLines(t, d.cfg.yaml(), "users:\n  alice:\n", "    limits: {disk: 50MiB}\n"))
	d.start(t)

	wantDfSize(t, d, "alice", 50)
	_, stderr, code := d.ssh(t, "alice", "dd if=/dev/zero of=/big bs=1M count=100")
	if code == 0 || !(strings.Contains(stderr, "No space left") || strings.Contains(stderr, "Disk quota exceeded")) {
		t.Errorf("dd past alice's disk limit: exit %d, %q; want No space left on device", code, stderr)
	}
	if used, limit := diskStats(t, d, "alice"); limit < 50<<20 || limit > 50<<20*9/8 || used < 45<<20 {
		t.Errorf("guest stats alice: disk %d of %d bytes, want about 50MiB of 50MiB", used, limit)
	}
	if out := d.mustSSH(t, "bob", "dd if=/dev/zero of=/f bs=1M count=60 2>/dev/null && echo written"); out != "written\n" {
		t.Errorf("bob writing 60MiB while alice's disk is full = %q, want written", out)
	}
	d.mustAdmin(t, "guest", "limits", "alice", "--pids", "200")

	d.mustAdmin(t, "guest", "limits", "alice", "--disk", "100MiB")
	if !canGrowOnline() {
		t.Log("no CAP_SYS_RESOURCE: alice's disk grows when her guest starts again")
		d.mustAdmin(t, "guest", "restart", "alice")
	}
	wantDfSize(t, d, "alice", 100)
	if out := d.mustSSH(t, "alice", "dd if=/dev/zero of=/more bs=1M count=30 2>/dev/null && cat /big | wc -c"); out == "" || strings.HasPrefix(out, "0") {
		t.Errorf("alice writing 30MiB more after her disk grew = %q, want the size of /big", out)
	}

	d.stop(t)
	d.start(t)
	wantDfSize(t, d, "alice", 100)
	d.mustAdmin(t, "guest", "rm", "alice", "--yes", "--force")
	if _, err := os.Stat(filepath.Join(d.dataDir, "disks", "alice.img")); !os.IsNotExist(err) {
		t.Errorf("alice's disk after guest rm: %v, want gone", err)
	}
}

func TestDiskLimitWithoutToolsStopsTheDaemon(t *testing.T) {
	requireDisks(t)
	d := prepareDaemon(t, daemonOptions{})
	d.writeConfig(t, withConfigLines(t, d.cfg.yaml(), "defaults:\n", "  limits: {disk: 1GiB}\n"))
	cmd := exec.Command(daemonBin, "serve", "--config", d.configPath)
	// No sbin on PATH: no mkfs.ext4 (Debian's /bin is /usr/bin).
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("vmhostd with a disk limit and no mkfs.ext4 still runs after 20s:\n%s", out)
	}
	want := "defaults.limits sets a disk limit, but this host cannot give guests disks of their own: guests' disk limits need mkfs.ext4 (apt-get install e2fsprogs)"
	if err == nil || !strings.Contains(string(out), want) {
		t.Errorf("vmhostd with a disk limit and no mkfs.ext4: %v\n%s\nwant it stopped with %q", err, out, want)
	}
}
