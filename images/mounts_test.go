//go:build linux

package images

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRemoveTreeUnmountsFirst checks that removing a build a killed
// debootstrap left, with a bind mount of a host directory inside, unmounts
// it and never deletes through it.
func TestRemoveTreeUnmountsFirst(t *testing.T) {
	requireRoot(t)
	base := t.TempDir()
	host := filepath.Join(base, "host-dev")
	tree := filepath.Join(base, ".build-x-1")
	for _, d := range []string{host, filepath.Join(tree, "rootfs/dev"), filepath.Join(tree, "rootfs/proc")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(host, "null"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(host, filepath.Join(tree, "rootfs/dev"), "", unix.MS_BIND, ""); err != nil {
		t.Skipf("skipping: bind mount: %v", err)
	}
	if err := unix.Mount("tmpfs", filepath.Join(tree, "rootfs/proc"), "tmpfs", 0, ""); err != nil {
		unix.Unmount(filepath.Join(tree, "rootfs/dev"), unix.MNT_DETACH)
		t.Skipf("skipping: tmpfs mount: %v", err)
	}
	t.Cleanup(func() { unmountUnder(tree) })
	s := NewStore(filepath.Join(base, "images"), nil)
	if err := s.removeTree(tree); err != nil {
		t.Fatalf("removeTree: %v", err)
	}
	if _, err := os.Stat(filepath.Join(host, "null")); err != nil {
		t.Errorf("the bind-mounted host directory lost its file: %v", err)
	}
	if _, err := os.Stat(tree); !os.IsNotExist(err) {
		t.Errorf("the tree is still there: %v", err)
	}
	if m := mountsUnder(tree); len(m) > 0 {
		t.Errorf("mounts left: %q", m)
	}
}
