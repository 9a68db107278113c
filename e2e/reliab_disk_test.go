package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// mountSmallTmpfs mounts a tmpfs of size bytes on a directory of its own,
// and unmounts it once the test and its daemon's cleanup are done: call it
// before prepareDaemon, whose cleanup then runs first.
func mountSmallTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := makeTempDir(t, "", "vmhost-full-")
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
		os.Remove(dir)
	})
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		t.Fatalf("mounting a tmpfs on %s: %v", dir, err)
	}
	return dir
}

// TestReliabFullDataDir puts data_dir on a 128 MiB tmpfs and has alice's
// guest, which has no disk limit, fill it from inside. A new guest of bob's
// is refused with a clear message, naming no host path, first by the
// daemon's reserve (storage.reserve), as is an image build, then, with no
// reserve, by the full disk itself, and with one page free, in its first
// start (its init runs, recording it fails); each time nothing of it is
// left: no init, link, cgroup, address, state or temporary file. alice's
// guest keeps working (and, below the reserve, stopping and starting), and
// once her files are deleted bob's guest is made.
func TestReliabFullDataDir(t *testing.T) {
	// data_dir below the mount point: checkGuestGone wants nothing mounted
	// at or under data_dir.
	dataDir := filepath.Join(mountSmallTmpfs(t, 128<<20), "data")
	d := prepareDaemon(t, daemonOptions{})
	d.dataDir, d.cfg.dataDir = dataDir, dataDir
	base := d.cfg.yaml()
	withReserve := func(reserve string) string {
		return withConfigLines(t, base, fmt.Sprintf("run_dir: %q\n", d.runDir), "storage:\n  reserve: "+reserve+"\n  reserve_inodes: 0\n")
	}
	d.writeConfig(t, withReserve("24MiB"))
	d.start(t)
	d.mustSSH(t, "alice", "echo mine > /root/kept")
	aliceAddr := d.adminGuests(t)["alice"].Address

	// alice leaves 8 MiB free, below the reserve of 24 MiB: no new guest,
	// but her guest keeps writing, stopping and starting.
	var fs unix.Statfs_t
	if err := unix.Statfs(dataDir, &fs); err != nil {
		t.Fatal(err)
	}
	mib := (int64(fs.Bavail)*fs.Bsize - 8<<20) >> 20
	d.mustSSH(t, "alice", fmt.Sprintf("dd if=/dev/zero of=/root/fill bs=1M count=%d 2>/dev/null", mib))
	d.wantNewGuestRefused(t, "bob", 1)
	if !strings.Contains(d.log(), "refusing a new guest: data_dir is nearly full") {
		t.Errorf("the daemon's log does not say that data_dir is below its reserve")
	}
	d.wantAdminError(t, 1, "below the reserve kept for the daemon's own state", "image", "build", "busybox", "--rebuild")
	if temps := globs(t, filepath.Join(dataDir, "images", ".build-*")); len(temps) > 0 {
		t.Errorf("an image build refused below the reserve left %v", temps)
	}
	d.mustAdmin(t, "guest", "stop", "alice")
	if out := d.mustSSH(t, "alice", "cat /root/kept; echo more > /root/more; cat /root/more"); out != "mine\nmore\n" {
		t.Errorf("alice below the reserve, stopped and started again = %q, want her files", out)
	}

	// alice fills the rest; with no reserve, bob's guest fails on the full
	// disk itself.
	if _, stderr, code := d.ssh(t, "alice", "dd if=/dev/zero of=/root/fill2 bs=1M"); code == 0 || !strings.Contains(stderr, "No space left") {
		t.Fatalf("alice filling data_dir: exit %d, %q; want it full", code, stderr)
	}
	d.writeConfig(t, withReserve("0"))
	d.mustAdmin(t, "reload")
	d.wantNewGuestRefused(t, "bob", 1)
	if !strings.Contains(d.log(), "making a new guest: data_dir is full") {
		t.Errorf("with no reserve, the daemon's log does not say that a write failed on the full disk")
	}
	// One page free: bob's guest.json takes it, and his first start fails.
	d.mustSSH(t, "alice", "n=$(stat -c %s /root/fill2); truncate -s $((n - 4096)) /root/fill2")
	_, stderr, code := d.ssh(t, "bob", "true")
	if code == 0 || strings.Contains(stderr, d.dataDir) {
		t.Errorf("bob's first start with one page free: exit %d, stderr %q; want it refused, naming no host path", code, stderr)
	}
	if !strings.Contains(d.log(), `msg="created guest" guest=bob`) {
		t.Errorf("with one page free, bob's guest was not created: the test wants its first start to fail")
	}
	if _, ok := d.adminGuests(t)["bob"]; ok {
		t.Errorf("guest ls shows bob after his first start failed")
	}
	d.checkGuestGone(t, "bob", 1)
	if out := d.mustSSH(t, "alice", "cat /root/kept; rm /root/fill /root/fill2"); out != "mine\n" {
		t.Errorf("alice with data_dir full = %q, want her file", out)
	}

	d.writeConfig(t, withReserve("24MiB"))
	d.mustAdmin(t, "reload")
	if out := d.mustSSH(t, "bob", "hostname"); out != "bob\n" {
		t.Errorf("bob once there is room again = %q", out)
	}
	guests := d.adminGuests(t)
	if guests["alice"].Address != aliceAddr || guests["bob"].Address == "" || guests["bob"].Address == aliceAddr {
		t.Errorf("guests at the end: %+v; want alice at %s and bob at another address", guests, aliceAddr)
	}
}

// wantNewGuestRefused checks that a login of id, a guest that does not
// exist, is refused for want of disk space, leaving nothing of it, with
// running guests left on the bridge.
func (d *daemon) wantNewGuestRefused(t *testing.T, id string, running int) {
	t.Helper()
	_, stderr, code := d.ssh(t, id, "true")
	if code == 0 || !strings.Contains(stderr, "the host is short of disk space: no new guest can be made") || strings.Contains(stderr, d.dataDir) {
		t.Errorf("a new guest %s with data_dir full: exit %d, stderr %q; want a refusal saying why, naming no host path", id, code, stderr)
	}
	if _, ok := d.adminGuests(t)[id]; ok {
		t.Errorf("guest ls shows %s after its refusal", id)
	}
	d.checkGuestGone(t, id, running)
	for _, p := range globs(t, filepath.Join(d.dataDir, "guests", "*", "*guest.json*")) {
		b, err := os.ReadFile(p)
		if err != nil || !json.Valid(b) || filepath.Base(p) != "guest.json" {
			t.Errorf("%s: %v, %d bytes; want only whole guest.json files", p, err, len(b))
		}
	}
}
