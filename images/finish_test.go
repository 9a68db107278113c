package images

import (
	"context"
	"errors"
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

// TestBuildRefusedBelowReserve checks that no build starts while the
// store's reserve check says no, and that nothing is left of it.
func TestBuildRefusedBelowReserve(t *testing.T) {
	src := &fakeSource{}
	s := newFakeStore(t, src)
	short := errors.New("the file system is nearly full")
	s.SetReserve(func() error { return short })
	if _, err := s.Ensure(context.Background(), "img", busyboxSpec, nil); !errors.Is(err, short) {
		t.Errorf("Ensure below the reserve = %v, want the reserve's error", err)
	}
	if n := src.builds.Load(); n != 0 || len(storeEntries(t, s)) != 0 {
		t.Errorf("below the reserve: %d builds, store holds %v; want none", n, storeEntries(t, s))
	}
	s.SetReserve(func() error { return nil })
	if _, err := s.Ensure(context.Background(), "img", busyboxSpec, nil); err != nil {
		t.Errorf("Ensure with room = %v", err)
	}
}
