package images

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestFinishInterruptedBuild checks what NewStore makes of what a crash
// left between a build's rename into builds/ and its link: a complete
// build newer than the current one becomes current, anything else stays
// as it is, and the temporary link goes.
func TestFinishInterruptedBuild(t *testing.T) {
	for _, tt := range []struct {
		name string
		// crash turns a store with builds old and cur (current) into what
		// a crash left, and returns the build that should be current.
		crash func(t *testing.T, s *Store, old, cur Image) string
	}{
		{"rebuild not made current", func(t *testing.T, s *Store, old, cur Image) string {
			mustSetCurrent(t, s, old.Build)
			if err := os.Symlink(linkTarget(cur.Build), filepath.Join(s.imageDir("img"), newLink)); err != nil {
				t.Fatal(err)
			}
			return cur.Build
		}},
		{"first build not made current", func(t *testing.T, s *Store, old, cur Image) string {
			if err := os.RemoveAll(s.buildDir("img", old.Build)); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(s.imageDir("img"), currentLink)); err != nil {
				t.Fatal(err)
			}
			return cur.Build
		}},
		{"newer build without metadata", func(t *testing.T, s *Store, old, cur Image) string {
			mustSetCurrent(t, s, old.Build)
			if err := os.Remove(filepath.Join(s.buildDir("img", cur.Build), metadataFile)); err != nil {
				t.Fatal(err)
			}
			return old.Build
		}},
		{"newer build without a shell", func(t *testing.T, s *Store, old, cur Image) string {
			mustSetCurrent(t, s, old.Build)
			if err := os.Remove(filepath.Join(cur.Rootfs, "bin/sh")); err != nil {
				t.Fatal(err)
			}
			return old.Build
		}},
		{"current is the newest", func(t *testing.T, s *Store, old, cur Image) string {
			return cur.Build
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newFakeStore(t, &fakeSource{})
			ctx := context.Background()
			old, err := s.Ensure(ctx, "img", busyboxSpec, nil)
			if err != nil {
				t.Fatal(err)
			}
			cur, err := s.Rebuild(ctx, "img", busyboxSpec, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.crash(t, s, old, cur)
			s = NewStore(s.dir, nil)
			if id, err := s.currentID("img"); id != want || err != nil {
				t.Errorf("current build after NewStore = %q, %v; want %q", id, err, want)
			}
			if _, err := os.Lstat(filepath.Join(s.imageDir("img"), newLink)); !os.IsNotExist(err) {
				t.Errorf("the temporary link is left: %v", err)
			}
		})
	}
}

// mustSetCurrent makes build id of img current.
func mustSetCurrent(t *testing.T, s *Store, id string) {
	t.Helper()
	if err := s.setCurrent("img", id); err != nil {
		t.Fatal(err)
	}
}
