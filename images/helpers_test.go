package images

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"vmhost/config"
)

// requireBusybox skips the test unless the host has a static busybox, which
// `make test` installs (busybox-static).
func requireBusybox(tb testing.TB) {
	tb.Helper()
	if _, _, err := (&Busybox{}).find(); err != nil {
		tb.Skipf("skipping: no static busybox on this host (%v)", err)
	}
}

// requireRoot skips the test unless it runs as root.
func requireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("skipping: needs root")
	}
}

// fakeSource is a Source that counts its builds and runs fill.
type fakeSource struct {
	builds atomic.Int32
	delay  time.Duration
	fill   func(rootfs string) error
}

func (f *fakeSource) Build(ctx context.Context, rootfs string, progress io.Writer) error {
	f.builds.Add(1)
	time.Sleep(f.delay)
	if f.fill == nil {
		return writeShell(rootfs)
	}
	return f.fill(rootfs)
}

// writeShell makes rootfs/bin/sh an executable file.
func writeShell(rootfs string) error {
	if err := os.MkdirAll(filepath.Join(rootfs, "bin"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(rootfs, "bin/sh"), []byte("#!fake\n"), 0o755)
}

// newFakeStore returns a store in a temporary directory whose every source is
// src.
func newFakeStore(t *testing.T, src Source) *Store {
	t.Helper()
	s := NewStore(filepath.Join(t.TempDir(), "images"), nil)
	s.newSource = func(config.Image) (Source, error) { return src, nil }
	return s
}

// storeEntries returns the names in the store's directory, lock files left
// out.
func storeEntries(t *testing.T, s *Store) []string {
	t.Helper()
	entries, err := os.ReadDir(s.dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if _, ok := buildName(e.Name()); ok || e.Name()[0] != '.' {
			names = append(names, e.Name())
		}
	}
	return names
}

var busyboxSpec = config.Image{Source: "busybox"}
