package guest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// volumePolicy keeps the files of the guests it names on volumes.
type volumePolicy struct {
	testPolicy
	volumes map[string]string // by guest ID
}

func (p volumePolicy) GuestVolume(owner, name string) string { return p.volumes[GuestID(owner, name)] }

// ownerOf is the owner uid of path on the host.
func ownerOf(t *testing.T, path string) int {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}

// TestVolumeGuestMoves: a volume guest's files live on its volume with the
// ids the guest sees, and another "node" (a manager of its own, which
// gives the guest another id range) given the same volume starts the
// guest with them, owned as they were.
func TestVolumeGuestMoves(t *testing.T) {
	ctx := context.Background()
	vol := t.TempDir()
	optsA := testOptions(t)
	optsA.Policy = volumePolicy{testPolicy{max: 2}, map[string]string{"alice": vol}}
	a, err := NewManager(optsA)
	if err != nil {
		t.Fatal(err)
	}
	g, err := a.Open(ctx, "alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	script := "B=/bin/busybox; echo kept > /root/f && $B mkdir -p /home/u && echo u > /home/u/x && $B chown -R 1000:1000 /home/u && $B rm /bin/date"
	if out, errOut, st := run(t, g, "/bin/sh", "-c", script); st.Code != 0 {
		t.Fatalf("writing files in alice's guest: %+v %q %q", st, out, errOut)
	}
	upper := filepath.Join(vol, volumeSubdir, upperDir)
	if got := ownerOf(t, filepath.Join(upper, "home/u/x")); got != 1000 {
		t.Errorf("on the volume, /home/u/x is owned by %d; want 1000, the id the guest sees", got)
	}
	if got := ownerOf(t, filepath.Join(upper, "root/f")); got != 0 {
		t.Errorf("on the volume, /root/f is owned by %d; want 0", got)
	}
	if s, err := a.Stats("alice"); err != nil || s.Disk.LimitBytes == 0 {
		t.Errorf("Stats(alice).Disk = %+v, %v; want the volume's size", s.Disk, err)
	}
	if err := a.Reset("alice"); !errors.Is(err, ErrVolumeReset) {
		t.Errorf("Reset of a volume guest = %v; want ErrVolumeReset", err)
	}
	if err := a.Stop("alice"); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.mountedVolume("alice"); ok {
		t.Error("alice's volume is still mounted on node A after her guest stopped")
	}

	// Node B: bob's guest first, so that alice's gets another id range.
	optsB := testOptions(t)
	optsB.Policy = volumePolicy{testPolicy{max: 2}, map[string]string{"alice": vol}}
	b, err := NewManager(optsB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open(ctx, "bob", "bob"); err != nil {
		t.Fatal(err)
	}
	g, err = b.Open(ctx, "alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, _ := run(t, g, "/bin/sh", "-c", "cat /root/f; stat -c %u /home/u/x; ls /bin/date 2>&1; echo new > /root/g")
	if want := "kept\n1000\n"; !strings.HasPrefix(out, want) || !strings.Contains(out, "No such file") {
		t.Errorf("alice's guest on node B: %q %q; want %q and /bin/date still removed", out, errOut, want)
	}
	base := idBaseOf(t, b, "alice")
	if base == idBaseOf(t, a, "alice") {
		t.Fatalf("alice has the same id range %d on both nodes; the test proves nothing", base)
	}
	mnt := b.volumeMount("alice")
	if got := ownerOf(t, filepath.Join(mnt, upperDir, "home/u/x")); got != int(base)+1000 {
		t.Errorf("on node B, /home/u/x is owned by host uid %d; want %d (alice's base there + 1000)", got, int(base)+1000)
	}
	if got := ownerOf(t, filepath.Join(upper, "root/g")); got != 0 {
		t.Errorf("a file alice's root made on node B is owned by %d on the volume; want 0", got)
	}
	if err := b.Remove("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(upper, "root/f")); err != nil {
		t.Errorf("removing the guest from node B dropped its files on the volume: %v", err)
	}
}

// idBaseOf is the id base of guest id on manager m.
func idBaseOf(t *testing.T, m *Manager, id string) uint32 {
	t.Helper()
	for _, in := range m.List() {
		if in.ID() == id {
			return in.IDBase
		}
	}
	t.Fatalf("guest %s not on the manager", id)
	return 0
}

// TestVolumeRefusesLinks: a volume whose vmhost directory is a symbolic
// link (to the host's /etc here) is refused, and nothing is made there.
func TestVolumeRefusesLinks(t *testing.T) {
	vol := t.TempDir()
	target := t.TempDir()
	if err := os.Symlink(target, filepath.Join(vol, volumeSubdir)); err != nil {
		t.Fatal(err)
	}
	opts := testOptions(t)
	opts.Policy = volumePolicy{testPolicy{max: 2}, map[string]string{"alice": vol}}
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Open(context.Background(), "alice", "alice")
	if err == nil || !strings.Contains(err.Error(), "must be a directory") {
		t.Fatalf("Open with a linked volume directory = %v; want refused", err)
	}
	if entries, _ := os.ReadDir(target); len(entries) != 0 {
		t.Errorf("the link's target got %v", entries)
	}
	if _, ok := m.mountedVolume("alice"); ok {
		t.Error("a volume is mounted for alice")
	}
}

// TestVolumeStaleMountReplaced: a mount left at the guest's volume mount
// point (a daemon killed while the guest ran, the kubelet's mount of an
// older pod under it) is replaced at the guest's start, so its files go to
// the volume it is given now.
func TestVolumeStaleMountReplaced(t *testing.T) {
	vol, stale := t.TempDir(), t.TempDir()
	opts := testOptions(t)
	opts.Policy = volumePolicy{testPolicy{max: 2}, map[string]string{"alice": vol}}
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	mnt := m.volumeMount("alice")
	if err := os.MkdirAll(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(stale, mnt, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	g, err := m.Open(context.Background(), "alice", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, errOut, st := run(t, g, "/bin/sh", "-c", "echo now > /root/f"); st.Code != 0 {
		t.Fatalf("writing a file: %q", errOut)
	}
	if _, err := os.Stat(filepath.Join(vol, volumeSubdir, upperDir, "root/f")); err != nil {
		t.Errorf("the file is not on the volume given now: %v", err)
	}
	if entries, _ := os.ReadDir(stale); len(entries) != 0 {
		t.Errorf("the stale mount's directory got %v", entries)
	}
	if err := m.Stop("alice"); err != nil {
		t.Fatal(err)
	}
}
