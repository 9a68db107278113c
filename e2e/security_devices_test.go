package e2e

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// hostDiskDev is the device number of the host's disk that holds dir: the
// block device a hostile image would point at (loop0 when dir is on no
// block device).
func hostDiskDev(t *testing.T, dir string) (major, minor int64) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	if unix.Major(st.Dev) == 0 {
		return 7, 0
	}
	return int64(unix.Major(st.Dev)), int64(unix.Minor(st.Dev))
}

// deviceEntries are the device nodes of a hostile image: the host's kernel
// log at /hostkmsg and in the image's /dev, its disk at /hostdisk.
func deviceEntries(diskMajor, diskMinor int64) []tarEntry {
	node := func(kind byte, name string, major, minor int64) tarEntry {
		return tarEntry{hdr: tar.Header{Typeflag: kind, Name: name, Mode: 0o666, Devmajor: major, Devminor: minor}}
	}
	return []tarEntry{
		{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "dev/", Mode: 0o755}},
		node(tar.TypeChar, "hostkmsg", 1, 11),
		node(tar.TypeChar, "dev/kmsg", 1, 11),
		node(tar.TypeBlock, "hostdisk", diskMajor, diskMinor),
	}
}

// kernelLogHas reports whether the host's kernel log holds text. Equivalent
// to: `dmesg | grep -F TEXT`.
func kernelLogHas(t *testing.T, text string) bool {
	t.Helper()
	fd, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("opening the host's kernel log: %v", err)
	}
	defer unix.Close(fd)
	b := make([]byte, 8192) // one record per read
	for {
		n, err := unix.Read(fd, b)
		switch {
		case errors.Is(err, unix.EAGAIN):
			return false // the end of the log
		case errors.Is(err, unix.EPIPE), errors.Is(err, unix.EINTR):
			continue // records overwritten while reading, or a signal
		case err != nil:
			t.Fatalf("reading the host's kernel log: %v", err)
		case bytes.Contains(b[:n], []byte(text)):
			return true
		}
	}
}

// TestSecurityDevices plays a hostile image: a tar image carries nodes of
// the host's kernel log (char 1:11) and disk. Inside the guest, its root
// cannot open them, at the image's root or in the image's /dev under the
// guest's, nor make a new node; the host's kernel log does not get the
// guest's line. The devices the guest is given still work: /dev/null,
// /dev/tty and /dev/pts in a terminal session.
func TestSecurityDevices(t *testing.T) {
	t.Parallel()
	d := prepareDaemon(t, daemonOptions{})
	tarball := filepath.Join(d.baseDir, "hostile.tar.gz")
	major, minor := hostDiskDev(t, d.baseDir)
	writeTarball(t, tarball, append(busyboxEntries(t), deviceEntries(major, minor)...))
	d.writeConfig(t, withImage(t, d.cfg.yaml(), "hostile", fmt.Sprintf("{source: tar, path: %q}", tarball), "alice"))
	d.start(t)

	want := fmt.Sprintf("character special file 1 b\nblock special file %x %x\n", major, minor)
	if got := d.mustSSH(t, "alice", "stat -c '%F %t %T' /hostkmsg /hostdisk"); got != want {
		t.Fatalf("the image's device nodes in alice's guest: %q, want %q", got, want)
	}
	d.uploadAttacker(t, "alice")
	tag := fmt.Sprintf("vmhost-e2e-guest-%06x", rand.IntN(1<<24))
	wantFacts := map[string]string{"open_hostkmsg": "EPERM", "open_hostdisk": "EPERM", "open_null": "ok", "mknod": "EPERM"}
	if got := d.attack(t, "alice", "device-open", tag, "/hostkmsg", "/hostdisk", "/dev/null"); !cmp.Equal(got, wantFacts) {
		t.Errorf("device-open in alice's guest = %v, want %v", got, wantFacts)
	}
	wantFacts = map[string]string{"umount_dev": "ok", "open_kmsg": "EPERM", "mknod": "EPERM"}
	if got := d.attack(t, "alice", "device-under-dev", tag, "/dev/kmsg"); !cmp.Equal(got, wantFacts) {
		t.Errorf("device-under-dev in alice's guest = %v, want %v", got, wantFacts)
	}
	checkKernelLog(t, tag)
	checkGivenDevices(t, d)
}

// checkKernelLog fails the test if the host's kernel log has tag, after
// checking that a line the host writes there can be found.
func checkKernelLog(t *testing.T, tag string) {
	t.Helper()
	control := fmt.Sprintf("vmhost-e2e-host-%06x", rand.IntN(1<<24))
	if err := os.WriteFile("/dev/kmsg", []byte(control+"\n"), 0); err != nil {
		t.Fatalf("writing to the host's kernel log: %v", err)
	}
	if !kernelLogHas(t, control) {
		t.Fatalf("the host's kernel log does not show the host's own line %q: cannot check the guest's", control)
	}
	if kernelLogHas(t, tag) {
		t.Errorf("the host's kernel log has the guest's line %q", tag)
	}
}

// checkGivenDevices checks the devices a guest is given: /dev/null, and
// /dev/tty and its own /dev/pts in a terminal session.
func checkGivenDevices(t *testing.T, d *daemon) {
	t.Helper()
	if got := d.mustSSH(t, "alice", "echo x > /dev/null && echo null-ok"); got != "null-ok\n" {
		t.Errorf("echo x > /dev/null = %q, want null-ok", got)
	}
	term := d.sshPTY(t, "alice", 24, 80)
	term.expect(promptRE, 30*time.Second)
	checks := []struct{ cmd, want string }{
		{": > /dev/tty && echo tty-ok", "tty-ok"},
		{"ls /dev/pts/", "0 ptmx"},
	}
	for _, c := range checks {
		if got := term.run(c.cmd); got != c.want {
			t.Errorf("in a terminal session, %s = %q, want %q", c.cmd, got, c.want)
		}
	}
	if got := term.run("ls -l /proc/self/fd/0"); !strings.HasSuffix(got, "-> /dev/pts/0") {
		t.Errorf("in a terminal session, the shell's input is %q, want /dev/pts/0", got)
	}
}
