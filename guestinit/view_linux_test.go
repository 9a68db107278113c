package guestinit

import (
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"vmhost/protocol"

	"golang.org/x/sys/unix"
)

// viewChildEnv marks the test binary run in a mount namespace of its own.
const viewChildEnv = "VMHOST_VIEW_TEST_CHILD"

// inOwnMountNS runs the test or benchmark name again in a private mount
// namespace of its own, where it may mount and unmount freely, and reports
// false; in that child it reports true.
// Equivalent to: unshare -m --propagation private TESTBINARY -test.run NAME
func inOwnMountNS(t testing.TB, flag, name string) bool {
	t.Helper()
	if os.Getenv(viewChildEnv) != "" {
		return true
	}
	if os.Geteuid() != 0 {
		t.Skip("skipping: needs root to mount")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("skipping: no /dev/fuse")
	}
	if _, err := os.Stat("/usr/bin/lxcfs"); err != nil {
		t.Skip("skipping: no /usr/bin/lxcfs (make deps installs lxcfs)")
	}
	args := []string{"-m", "--propagation", "private", os.Args[0], flag, "^" + name + "$", "-test.v"}
	if flag == "-test.bench" {
		args = append(args, "-test.run", "^$", "-test.benchtime", "200x")
	}
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), viewChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("in a mount namespace of its own:\n%s", out)
	if err != nil {
		t.Fatalf("%s in a mount namespace of its own: %v", name, err)
	}
	if b, ok := t.(*testing.B); ok {
		b.Skip("measured in a mount namespace of its own: see its figure above")
	}
	return false
}

// startTestLXCFS runs lxcfs on a mount point under dir until the test ends.
func startTestLXCFS(t testing.TB, dir string) string {
	t.Helper()
	mnt := filepath.Join(dir, "lxcfs")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/lxcfs", "--foreground", "-o", "ro", "--pidfile="+filepath.Join(dir, "pid"), mnt)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		unix.Unmount(mnt, unix.MNT_DETACH)
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(mnt, "proc/meminfo")); err == nil {
			return mnt
		}
		if time.Now().After(deadline) {
			t.Fatal("lxcfs did not mount within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// newViewRoot makes a directory with an empty file at each view file's path,
// as a guest's root, and returns it and a guestRoot on it.
func newViewRoot(t testing.TB) (string, guestRoot) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range protocol.ViewFiles {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("kernel\n"), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return dir, guestRoot{fd: fd, log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: time.Now}
}

// mountsAt counts the mounts on path in the mount table.
func mountsAt(t testing.TB, path string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == path {
			n++
		}
	}
	return n
}

func TestViewAttachAndReplace(t *testing.T) {
	if !inOwnMountNS(t, "-test.run", t.Name()) {
		return
	}
	mnt := startTestLXCFS(t, t.TempDir())
	dir, root := newViewRoot(t)
	vs := &views{ids: make(map[string]uint64)}
	view := &protocol.View{Sources: []protocol.ViewSource{{Dir: mnt, Files: append([]string{"/etc/passwd"}, protocol.ViewFiles...)}}}
	if n := vs.attach(root, cloneView(root.log, view)); n != len(protocol.ViewFiles) {
		t.Fatalf("attach = %d, want %d (and /etc/passwd refused)", n, len(protocol.ViewFiles))
	}
	meminfo := filepath.Join(dir, "proc/meminfo")
	if b, err := os.ReadFile(meminfo); err != nil || !strings.HasPrefix(string(b), "MemTotal:") {
		t.Fatalf("%s after attach = %q, %v; want lxcfs's", meminfo, b, err)
	}
	if err := os.WriteFile(meminfo, []byte("x"), 0); err == nil {
		t.Errorf("wrote %s through the view", meminfo)
	}

	// A replace takes the init's mount away and attaches the new one.
	vs.detachAll(root)
	vs.attach(root, cloneView(root.log, view))
	if got := mountsAt(t, meminfo); got != 1 {
		t.Errorf("%d mounts on %s after a replace, want 1", got, meminfo)
	}
	// One the guest's root stacked over it is left in place.
	if err := unix.Mount(filepath.Join(dir, "proc/swaps"), meminfo, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	vs.detachAll(root)
	if got := mountsAt(t, meminfo); got != 2 {
		t.Errorf("%d mounts on %s after a replace under the guest's own, want 2 (the guest's left)", got, meminfo)
	}
	// No view: the kernel's files come back.
	unix.Unmount(meminfo, 0)
	unix.Unmount(meminfo, 0)
	vs.detachAll(root)
	if b, err := os.ReadFile(filepath.Join(dir, "proc/cpuinfo")); err != nil || string(b) != "kernel\n" {
		t.Errorf("proc/cpuinfo with no view = %q, %v; want the file under it", b, err)
	}
}

// BenchmarkViewMounts measures what the view costs a guest's start: clone
// the view files before the pivot and attach them (and take them away, for
// the next round).
func BenchmarkViewMounts(b *testing.B) {
	if !inOwnMountNS(b, "-test.bench", b.Name()) {
		return
	}
	mnt := startTestLXCFS(b, b.TempDir())
	_, root := newViewRoot(b)
	vs := &views{ids: make(map[string]uint64)}
	view := &protocol.View{Sources: []protocol.ViewSource{{Dir: mnt, Files: protocol.ViewFiles}}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vs.attach(root, cloneView(root.log, view))
		b.StopTimer()
		vs.detachAll(root)
		b.StartTimer()
	}
}
