package guest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRemoveTreeDeep removes a chain of directories deeper than the
// process's open files limit, as a guest's root can make in its files.
func TestRemoveTreeDeep(t *testing.T) {
	// A low open files limit for this test: a deeper tree is quick to make.
	var saved unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &saved); err != nil {
		t.Fatal(err)
	}
	low := saved
	low.Cur = 256
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	defer unix.Setrlimit(unix.RLIMIT_NOFILE, &saved)
	depth := int(low.Cur) + 100
	root := filepath.Join(t.TempDir(), "upper")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeTree(root) })
	fd, err := unix.Open(root, unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < depth; i++ {
		if err := unix.Mkdirat(fd, "d", 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := unix.Openat(fd, "d", unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = next
	}
	unix.Close(fd)
	if err := removeTree(root); err != nil {
		t.Fatalf("removeTree of a chain %d deep = %v", depth, err)
	}
	if _, err := os.Lstat(root); !os.IsNotExist(err) {
		t.Errorf("after removeTree the tree is %v, want gone", err)
	}
	if err := removeTree(root); err != nil {
		t.Errorf("removeTree of a tree that is gone = %v, want nil", err)
	}
	if err := removeTree(strings.Repeat("/x", 3)); err != nil {
		t.Errorf("removeTree of a missing path = %v, want nil", err)
	}
}
