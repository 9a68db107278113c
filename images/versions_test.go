//go:build linux

package images

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"vmhost/config"
)

// usedBy returns an inUse func that reports the given rootfs paths.
func usedBy(paths ...string) func(string) bool {
	return func(rootfs string) bool {
		for _, p := range paths {
			if p == rootfs {
				return true
			}
		}
		return false
	}
}

func TestRebuildKeepsOldBuild(t *testing.T) {
	s := newFakeStore(t, &fakeSource{})
	ctx := context.Background()
	old, err := s.Ensure(ctx, "img", busyboxSpec, nil)
	if err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(old.Rootfs, "old-build")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cur, err := s.Rebuild(ctx, "img", busyboxSpec, nil)
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if cur.Rootfs == old.Rootfs || cur.Build == old.Build {
		t.Fatalf("Rebuild gave build %s at %s, want a new one", cur.Build, cur.Rootfs)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the old build changed: %v", err)
	}
	if got, _ := s.Get("img"); got.Rootfs != cur.Rootfs {
		t.Errorf("Get after Rebuild = %s, want the new build %s", got.Rootfs, cur.Rootfs)
	}
	if got, err := filepath.EvalSymlinks(filepath.Join(s.dir, "img", "rootfs")); got != cur.Rootfs {
		t.Errorf("<dir>/img/rootfs resolves to %q, %v, want %s", got, err, cur.Rootfs)
	}
	builds, err := s.Builds("img")
	if err != nil || len(builds) != 2 || builds[0].Rootfs != old.Rootfs || builds[1].Rootfs != cur.Rootfs {
		t.Errorf("Builds = %+v, %v, want the old then the new", builds, err)
	}
}

func TestPruneKeepsUsedAndCurrent(t *testing.T) {
	s := newFakeStore(t, &fakeSource{})
	ctx := context.Background()
	var rootfs []string
	for range 3 {
		img, err := s.Rebuild(ctx, "img", busyboxSpec, nil)
		if err != nil {
			t.Fatal(err)
		}
		rootfs = append(rootfs, img.Rootfs)
	}
	if err := s.Prune(usedBy(rootfs[0])); err != nil {
		t.Fatalf("Prune: %v", err)
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	if !exists(rootfs[0]) || exists(rootfs[1]) || !exists(rootfs[2]) {
		t.Errorf("after Prune: used %v, unused %v, current %v; want true, false, true", exists(rootfs[0]), exists(rootfs[1]), exists(rootfs[2]))
	}
	if err := s.Prune(nil); err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if exists(rootfs[0]) || !exists(rootfs[2]) {
		t.Errorf("after Prune with nothing used: old %v, current %v; want false, true", exists(rootfs[0]), exists(rootfs[2]))
	}
}

func TestRemoveRefusedWhileInUse(t *testing.T) {
	s := newFakeStore(t, &fakeSource{})
	ctx := context.Background()
	old, err := s.Ensure(ctx, "img", busyboxSpec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rebuild(ctx, "img", busyboxSpec, nil); err != nil {
		t.Fatal(err)
	}
	for _, used := range []string{old.Rootfs, filepath.Join(s.dir, "img", "rootfs")} {
		err := s.Remove("img", usedBy(used))
		if want := `image "img" is in use by guests; remove them first`; err == nil || err.Error() != want {
			t.Errorf("Remove while %s is used = %v, want %q", used, err, want)
		}
	}
	if _, err := os.Stat(old.Rootfs); err != nil {
		t.Errorf("a refused Remove removed the old build: %v", err)
	}
	if err := s.Remove("img", usedBy("/elsewhere")); err != nil {
		t.Fatalf("Remove when unused: %v", err)
	}
	if got := storeEntries(t, s); len(got) != 0 {
		t.Errorf("store holds %q after Remove, want nothing", got)
	}
	if _, err := s.Get("img"); !errors.Is(err, ErrNotBuilt) {
		t.Errorf("Get after Remove = %v, want ErrNotBuilt", err)
	}
	if err := s.Remove("img", nil); !errors.Is(err, ErrNotBuilt) {
		t.Errorf("Remove of a removed image = %v, want ErrNotBuilt", err)
	}
}

func TestLegacyLayoutMigrates(t *testing.T) {
	s := newFakeStore(t, &fakeSource{})
	dir := filepath.Join(s.dir, "old")
	if err := writeShell(filepath.Join(dir, "rootfs")); err != nil {
		t.Fatal(err)
	}
	if err := writeMetadata(dir, metadata{Name: "old", Source: "busybox", Config: specFromConfig(busyboxSpec)}); err != nil {
		t.Fatal(err)
	}
	legacy, err := s.Get("old")
	if err != nil || legacy.Build != "" || legacy.Rootfs != filepath.Join(dir, "rootfs") {
		t.Fatalf("Get of a legacy image = %+v, %v, want build \"\" at %s/rootfs", legacy, err, dir)
	}
	if _, err := s.Rebuild(context.Background(), "old", busyboxSpec, nil); err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	builds, err := s.Builds("old")
	if err != nil || len(builds) != 2 {
		t.Fatalf("Builds after migrating = %+v, %v, want the legacy one and the new one", builds, err)
	}
	if _, err := os.Stat(filepath.Join(builds[0].Rootfs, "bin/sh")); err != nil {
		t.Errorf("the legacy rootfs was not moved to %s: %v", builds[0].Rootfs, err)
	}
}

func TestTarImageThroughStore(t *testing.T) {
	tests := []struct {
		name string
		tar  func(t *testing.T) []byte
		want string // "" for success
	}{
		{"good", func(t *testing.T) []byte { return gzipped(t, smallRootfs(t)) }, ""},
		{"no shell", func(t *testing.T) []byte { return makeTar(t, fileEntry("etc/passwd", 0o644, "root\n")) }, `image "x" has no /bin/sh`},
		{"corrupt", func(t *testing.T) []byte { d := gzipped(t, smallRootfs(t)); return d[:len(d)-20] }, `building image "x": unpacking`},
		{"hostile", func(t *testing.T) []byte {
			return makeTar(t, symlinkEntry("bin", "/tmp"), fileEntry("bin/sh", 0o755, "x"))
		}, `building image "x": unpacking`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "rootfs.tar")
			if err := os.WriteFile(path, tt.tar(t), 0o644); err != nil {
				t.Fatal(err)
			}
			s := NewStore(filepath.Join(t.TempDir(), "images"), nil)
			spec := config.Image{Source: config.SourceTar, Path: path}
			img, err := s.Ensure(context.Background(), "x", spec, nil)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Ensure = %v", err)
				}
				checkTarMetadata(t, img, spec)
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Ensure = %v, want an error starting %q", err, tt.want)
			}
			if got := storeEntries(t, s); len(got) != 0 {
				t.Errorf("store holds %q after a failed build, want nothing", got)
			}
		})
	}
}

// checkTarMetadata checks the image.json of a tar image.
func checkTarMetadata(t *testing.T, img Image, cfg config.Image) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(filepath.Dir(img.Rootfs), metadataFile))
	if err != nil {
		t.Fatal(err)
	}
	var m metadata
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	want := metadata{Name: "x", Source: "tar", Built: m.Built, Config: spec{Source: "tar", Path: cfg.Path}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("image.json mismatch (-want +got):\n%s", diff)
	}
}
