package guest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"vmhost/config"
	"vmhost/reserve"
)

// reservePolicy is testPolicy with a storage reserve.
type reservePolicy struct {
	testPolicy
	reserve config.Storage
}

func (p reservePolicy) StorageReserve() config.Storage { return p.reserve }

// TestManagerKeepsDiskReserve checks that no new guest is made while
// data_dir is below its reserve, with an error that names no host path and
// nothing left behind, while a guest that exists keeps starting; and that
// new guests are made again once there is room.
func TestManagerKeepsDiskReserve(t *testing.T) {
	opts, l, _ := fakeOptions(t)
	if err := os.MkdirAll(opts.Images.(testImage).rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	opts.Policy = reservePolicy{testPolicy{max: 2}, config.Storage{Reserve: 100 * config.MiB, ReserveInodes: config.Amount{Percent: 1}}}
	space := reserve.Space{FreeBytes: 1 << 30, FreeInodes: 1000, Inodes: 10000}
	opts.statfs = func(path string) (reserve.Space, error) {
		if path != opts.DataDir {
			t.Errorf("statfs(%q), want data_dir %q", path, opts.DataDir)
		}
		return space, nil
	}
	m := fakeManager(t, opts)
	ctx := context.Background()
	if _, err := m.Open(ctx, "alice", "alice"); err != nil {
		t.Fatal(err)
	}
	for _, short := range []reserve.Space{
		{FreeBytes: 50 << 20, FreeInodes: 1000, Inodes: 10000},
		{FreeBytes: 1 << 30, FreeInodes: 50, Inodes: 10000},
	} {
		space = short
		_, err := m.Open(ctx, "bob", "bob")
		if !errors.Is(err, ErrHostDiskFull) || strings.Contains(err.Error(), opts.DataDir) {
			t.Errorf("a new guest with %+v free: %v; want ErrHostDiskFull, naming no host path", short, err)
		}
		if len(m.List()) != 1 || l.count() != 1 {
			t.Errorf("after the refusal: %d guests, %d inits; want alice's only", len(m.List()), l.count())
		}
		if err := m.Stop("alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Open(ctx, "alice", "alice"); err != nil {
			t.Errorf("alice, who exists, with %+v free: %v; want her guest started", short, err)
		}
	}
	if dirs, _ := os.ReadDir(filepath.Join(opts.DataDir, "guests")); len(dirs) != 1 {
		t.Errorf("guests/ holds %v, want alice's only", dirs)
	}
	space = reserve.Space{FreeBytes: 1 << 30, FreeInodes: 1000, Inodes: 10000}
	if _, err := m.Open(ctx, "bob", "bob"); err != nil {
		t.Errorf("a new guest with room again: %v", err)
	}
}

// TestManagerFullDiskOnCreate checks that a new guest whose state cannot be
// written, the disk being full, is refused with ErrHostDiskFull and leaves
// nothing.
func TestManagerFullDiskOnCreate(t *testing.T) {
	opts, l, _ := fakeOptions(t)
	m := fakeManager(t, opts)
	recordStart = func(string, *State) error {
		return &os.PathError{Op: "write", Path: opts.DataDir + "/x", Err: errNoSpace}
	}
	defer func() { recordStart = writeState }()
	_, err := m.Open(context.Background(), "alice", "alice")
	if !errors.Is(err, ErrHostDiskFull) || strings.Contains(err.Error(), opts.DataDir) {
		t.Errorf("a first start that cannot be written down: %v; want ErrHostDiskFull, naming no host path", err)
	}
	if len(m.List()) != 0 || l.count() != 0 {
		t.Errorf("after it: %d guests, %d inits; want none", len(m.List()), l.count())
	}
}

// errNoSpace is ENOSPC.
var errNoSpace = syscall.ENOSPC
