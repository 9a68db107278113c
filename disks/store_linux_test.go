package disks

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// requireDisks skips unless the test runs as root on a host where guests
// can have disks: loop devices, ext4, mkfs.ext4.
func requireDisks(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: loop devices and mounts")
	}
	if err := Check(); err != nil {
		t.Skipf("this host cannot make disks: %v", err)
	}
}

// newTestStore returns a store in a temporary directory whose disks are
// removed (unmounted, loop devices freed, files deleted) when the test ends,
// also when it fails.
func newTestStore(t *testing.T, ids ...string) *Store {
	t.Helper()
	s, err := New(filepath.Join(t.TempDir(), "disks"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, id := range ids {
			if err := s.Remove(id); err != nil {
				t.Errorf("cleaning up disk %s: %v", id, err)
			}
		}
	})
	return s
}

// loopOf returns the name of the loop device the disk at dir is on.
func loopOf(t *testing.T, dir string) string {
	t.Helper()
	dev, err := openLoopOf(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	return filepath.Base(dev.Name())
}

// fill writes to dir/name until the write fails, and returns the error.
func fill(dir, name string) error {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for range 1024 {
		if _, err := f.Write(buf); err != nil {
			return err
		}
	}
	return f.Sync()
}

func TestDiskHoldsItsLimits(t *testing.T) {
	requireDisks(t)
	s := newTestStore(t, "alice")
	const want = 32 << 20
	dir, err := s.Attach("alice", Limits{Bytes: want, Inodes: 2048})
	if err != nil {
		t.Fatalf("Attach = %v", err)
	}
	u, err := s.Usage("alice")
	if err != nil {
		t.Fatalf("Usage = %v", err)
	}
	if u.LimitBytes < want || u.LimitBytes > want+want/8 {
		t.Errorf("usable size = %d, want %d to %d", u.LimitBytes, want, want+want/8)
	}
	if u.LimitInodes < 2048 || u.LimitInodes > 4096 {
		t.Errorf("inodes = %d, want 2048 to 4096", u.LimitInodes)
	}
	if err := fill(dir, "big"); !errors.Is(err, unix.ENOSPC) {
		t.Fatalf("writing past the limit: %v, want ENOSPC", err)
	}
	if u, _ := s.Usage("alice"); u.Bytes < u.LimitBytes*95/100 {
		t.Errorf("used after filling = %d, want about %d", u.Bytes, u.LimitBytes)
	}
	os.Remove(filepath.Join(dir, "big"))
	var files int
	for ; files < 10000; files++ {
		f, err := os.Create(filepath.Join(dir, fmt.Sprint("f", files)))
		if err != nil {
			if !errors.Is(err, unix.ENOSPC) {
				t.Fatalf("creating file %d: %v, want ENOSPC", files, err)
			}
			break
		}
		f.Close()
	}
	if files < 2000 || files > 4096 {
		t.Errorf("made %d files before ENOSPC, want about the 2048 inodes", files)
	}
}

// waitLoopGone waits until no loop device backs file.
func waitLoopGone(t *testing.T, file string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		dev, err := findLoop(file)
		if err != nil {
			t.Fatal(err)
		}
		if dev == nil {
			return
		}
		dev.Close()
		if time.Now().After(deadline) {
			t.Fatalf("%s still backs %s", dev.Name(), file)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkSize fails unless the disk of id is usable for at least want bytes,
// and not much more.
func checkSize(t *testing.T, s *Store, id string, want int64) {
	t.Helper()
	u, err := s.Usage(id)
	if err != nil {
		t.Fatal(err)
	}
	if u.LimitBytes < want || u.LimitBytes > want+want/8 {
		t.Errorf("usable size of %s = %d, want %d to %d", id, u.LimitBytes, want, want+want/8)
	}
}

func TestDiskGrows(t *testing.T) {
	requireDisks(t)
	s := newTestStore(t, "bob")
	dir, err := s.Attach("bob", Limits{Bytes: 20 << 20})
	if err != nil {
		t.Fatalf("Attach = %v", err)
	}
	if err := fill(dir, "a"); !errors.Is(err, unix.ENOSPC) {
		t.Fatalf("filling 20MiB: %v, want ENOSPC", err)
	}
	if err := s.Resize("bob", Limits{Bytes: 80 << 20}); err != nil {
		t.Fatalf("Resize(80MiB) = %v", err)
	}
	if !canGrowOnline() {
		t.Log("no CAP_SYS_RESOURCE: the disk grows when it is mounted again")
		if err := s.Detach("bob"); err != nil {
			t.Fatal(err)
		}
		waitLoopGone(t, s.Image("bob"))
		if _, err := s.Attach("bob", Limits{Bytes: 80 << 20}); err != nil {
			t.Fatalf("Attach(80MiB) = %v", err)
		}
	}
	checkSize(t, s, "bob", 80<<20)
	f, err := os.OpenFile(filepath.Join(dir, "b"), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Write(make([]byte, 40<<20))
	f.Close()
	if err != nil {
		t.Errorf("writing 40MiB more after growing: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "a")); err != nil || len(b) < 19<<20 {
		t.Errorf("file written before growing: %d bytes, %v", len(b), err)
	}
}

func TestDiskNeverShrinks(t *testing.T) {
	requireDisks(t)
	s := newTestStore(t, "bob")
	if _, err := s.Attach("bob", Limits{Bytes: 40 << 20}); err != nil {
		t.Fatalf("Attach = %v", err)
	}
	if err := s.Resize("bob", Limits{Bytes: 20 << 20}); err == nil || !strings.Contains(err.Error(), "cannot shrink") {
		t.Errorf("Resize(20MiB) = %v, want a refusal to shrink", err)
	}
	if _, err := s.Attach("bob", Limits{Bytes: 20 << 20}); err != nil {
		t.Errorf("Attach(20MiB) of a 40MiB disk = %v, want it started as it is", err)
	}
	checkSize(t, s, "bob", 40<<20)
}

func TestDiskGrowsOnline(t *testing.T) {
	requireDisks(t)
	if !canGrowOnline() {
		t.Skip("needs CAP_SYS_RESOURCE to grow ext4 in use")
	}
	s := newTestStore(t, "bob")
	if _, err := s.Attach("bob", Limits{Bytes: 20 << 20}); err != nil {
		t.Fatalf("Attach = %v", err)
	}
	if err := s.Resize("bob", Limits{Bytes: 60 << 20}); err != nil {
		t.Fatalf("Resize(60MiB) = %v", err)
	}
	checkSize(t, s, "bob", 60<<20)
}

func TestDiskSurvivesRemountAndGoesAway(t *testing.T) {
	requireDisks(t)
	s := newTestStore(t, "carol")
	dir, err := s.Attach("carol", Limits{Bytes: 16 << 20})
	if err != nil {
		t.Fatalf("Attach = %v", err)
	}
	os.WriteFile(filepath.Join(dir, "kept"), []byte("yes"), 0o600)
	// As after a host reboot: the disk is not mounted, its file is there.
	if err := s.Detach("carol"); err != nil {
		t.Fatal(err)
	}
	waitLoopGone(t, s.Image("carol"))
	if _, err := s.Attach("carol", Limits{Bytes: 16 << 20}); err != nil {
		t.Fatalf("Attach again = %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "kept")); string(b) != "yes" {
		t.Errorf("file after remount = %q, %v; want yes", b, err)
	}
	loop := loopOf(t, dir)
	if err := s.Remove("carol"); err != nil {
		t.Fatalf("Remove = %v", err)
	}
	for _, p := range []string{s.Image("carol"), dir} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after Remove: %v, want gone", p, err)
		}
	}
	backing := filepath.Join("/sys/block", loop, "loop", "backing_file")
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(backing)
		if err != nil || !strings.Contains(string(b), s.Image("carol")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still backs %s after Remove", loop, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOverlayOnDiskReportsItsLimit(t *testing.T) {
	requireDisks(t)
	s := newTestStore(t, "dave")
	dir, err := s.Attach("dave", Limits{Bytes: 24 << 20})
	if err != nil {
		t.Fatalf("Attach = %v", err)
	}
	lower, root := t.TempDir(), t.TempDir()
	for _, d := range []string{"upper", "work"} {
		os.Mkdir(filepath.Join(dir, d), 0o755)
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, dir, dir)
	if err := unix.Mount("overlay", root, "overlay", 0, opts); err != nil {
		t.Fatalf("mounting an overlay on the disk: %v", err)
	}
	defer unix.Unmount(root, unix.MNT_DETACH)
	var over, disk unix.Statfs_t
	unix.Statfs(root, &over)
	unix.Statfs(dir, &disk)
	if over.Blocks != disk.Blocks || over.Files != disk.Files || int64(over.Blocks)*over.Bsize < 24<<20 || over.Bavail != disk.Bavail {
		t.Errorf("overlay's statfs = %d blocks, %d files; want its disk's %d blocks, %d files (24MiB)",
			over.Blocks, over.Files, disk.Blocks, disk.Files)
	}
	if err := fill(root, "big"); !errors.Is(err, unix.ENOSPC) {
		t.Errorf("filling through the overlay: %v, want ENOSPC", err)
	}
}

func TestAttachWithoutLimitMakesNoDisk(t *testing.T) {
	requireDisks(t)
	s := newTestStore(t, "erin")
	if _, err := s.Attach("erin", Limits{}); !errors.Is(err, ErrNoDisk) {
		t.Errorf("Attach with no limit = %v, want ErrNoDisk", err)
	}
	if s.Has("erin") {
		t.Error("a disk was made without a limit")
	}
}

func TestDiskStillInUseIsMountedFromItsOwnLoopDevice(t *testing.T) {
	requireDisks(t)
	s := newTestStore(t, "frank")
	dir, err := s.Attach("frank", Limits{Bytes: 16 << 20})
	if err != nil {
		t.Fatalf("Attach = %v", err)
	}
	// Another mount of the disk, as a guest's mount namespace copies it,
	// keeps its file system alive after the store unmounts it.
	other := t.TempDir()
	if err := unix.Mount(dir, other, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(other, unix.MNT_DETACH)
	loop := loopOf(t, dir)
	if err := s.Detach("frank"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Attach("frank", Limits{Bytes: 16 << 20}); err != nil {
		t.Fatalf("Attach while still in use = %v", err)
	}
	if got := loopOf(t, dir); got != loop {
		t.Errorf("mounted again from %s, want %s: two loop devices on one file system", got, loop)
	}
	os.WriteFile(filepath.Join(dir, "seen"), []byte("1"), 0o600)
	if _, err := os.Stat(filepath.Join(other, "seen")); err != nil {
		t.Errorf("a file written through the new mount is not in the old one: %v", err)
	}
}

func TestNewDiskIsSparse(t *testing.T) {
	requireDisks(t)
	s := newTestStore(t, "gina")
	if _, err := s.Attach("gina", Limits{Bytes: 1 << 30}); err != nil {
		t.Fatalf("Attach = %v", err)
	}
	var st unix.Stat_t
	if err := unix.Stat(s.Image("gina"), &st); err != nil {
		t.Fatal(err)
	}
	if used := st.Blocks * 512; used > 16<<20 {
		t.Errorf("a new 1GiB disk takes %d bytes of the host, want a few MiB", used)
	}
}

func TestDiskStillMountedGrowsAtAttach(t *testing.T) {
	requireDisks(t)
	s := newTestStore(t, "hugo")
	if _, err := s.Attach("hugo", Limits{Bytes: 20 << 20}); err != nil {
		t.Fatalf("Attach = %v", err)
	}
	// The guest stopped without the store unmounting its disk (its init
	// ended on its own), and its limit went up meanwhile.
	if _, err := s.Attach("hugo", Limits{Bytes: 60 << 20}); err != nil {
		t.Fatalf("Attach(60MiB) of a mounted disk = %v", err)
	}
	checkSize(t, s, "hugo", 60<<20)
}
