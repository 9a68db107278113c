package images

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"vmhost/config"
)

func TestEnsureBuildsOnce(t *testing.T) {
	src := &fakeSource{}
	s := newFakeStore(t, src)
	first, err := s.Ensure(context.Background(), "img", busyboxSpec, nil)
	if err != nil {
		t.Fatalf("first Ensure: %v", err)
	}
	second, err := s.Ensure(context.Background(), "img", busyboxSpec, nil)
	if err != nil {
		t.Fatalf("second Ensure: %v", err)
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("second Ensure differs (-first +second):\n%s", diff)
	}
	got, err := s.Get("img")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(first, got); diff != "" {
		t.Errorf("Get differs from Ensure (-ensure +get):\n%s", diff)
	}
	if n := src.builds.Load(); n != 1 {
		t.Errorf("source built %d times, want 1", n)
	}
	// A new store on the same directory finds the image on disk.
	again := NewStore(s.dir, nil)
	again.newSource = s.newSource
	if _, err := again.Ensure(context.Background(), "img", busyboxSpec, nil); err != nil || src.builds.Load() != 1 {
		t.Errorf("Ensure in a new store = %v after %d builds, want the image built once", err, src.builds.Load())
	}
}

func TestEnsureConcurrentBuildsOnce(t *testing.T) {
	src := &fakeSource{delay: 50 * time.Millisecond}
	s := newFakeStore(t, src)
	const n = 16
	images := make([]Image, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			images[i], errs[i] = s.Ensure(context.Background(), "img", busyboxSpec, nil)
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Ensure %d: %v", i, errs[i])
		}
		if diff := cmp.Diff(images[0], images[i]); diff != "" {
			t.Errorf("Ensure %d differs (-0 +%d):\n%s", i, i, diff)
		}
	}
	if got := src.builds.Load(); got != 1 {
		t.Errorf("source built %d times, want 1", got)
	}
}

func TestEnsureWaiterGivesUp(t *testing.T) {
	release := make(chan struct{})
	src := &fakeSource{fill: func(rootfs string) error { <-release; return writeShell(rootfs) }}
	s := newFakeStore(t, src)
	done := make(chan error)
	go func() {
		_, err := s.Ensure(context.Background(), "img", busyboxSpec, nil)
		done <- err
	}()
	for src.builds.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Ensure(ctx, "img", busyboxSpec, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Ensure while another builds, with a short deadline = %v, want DeadlineExceeded", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("the building Ensure: %v", err)
	}
}

func TestFailedBuildLeavesNothing(t *testing.T) {
	src := &fakeSource{fill: func(rootfs string) error {
		if err := writeShell(rootfs); err != nil {
			return err
		}
		return errors.New("mirror unreachable")
	}}
	s := newFakeStore(t, src)
	_, err := s.Ensure(context.Background(), "img", busyboxSpec, nil)
	if want := `building image "img": mirror unreachable`; err == nil || err.Error() != want {
		t.Errorf("Ensure = %v, want %q", err, want)
	}
	if got := storeEntries(t, s); len(got) != 0 {
		t.Errorf("store holds %q after a failed build, want nothing", got)
	}
	if _, err := s.Get("img"); !errors.Is(err, ErrNotBuilt) {
		t.Errorf("Get after a failed build = %v, want ErrNotBuilt", err)
	}
}

func TestStaleBuildsRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "images")
	// Another process is building "busy": it holds the file lock of the name.
	other := NewStore(dir, nil)
	unlock, err := other.lock(context.Background(), "busy")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{".build-img-123/rootfs/bin", ".build-a-b-7/rootfs", ".build-busy-9/rootfs", "kept/rootfs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := NewStore(dir, nil)
	want := []string{".build-busy-9", "kept"}
	if diff := cmp.Diff(want, storeEntries(t, s)); diff != "" {
		t.Errorf("store after NewStore (-want +got):\n%s", diff)
	}
	unlock()
	// The first Ensure of "busy" removes the leftover once the lock is free.
	s.newSource = func(config.Image) (Source, error) { return &fakeSource{}, nil }
	if _, err := s.Ensure(context.Background(), "busy", busyboxSpec, nil); err != nil {
		t.Fatal(err)
	}
	want = []string{"busy", "kept"}
	if diff := cmp.Diff(want, storeEntries(t, s)); diff != "" {
		t.Errorf("store after Ensure (-want +got):\n%s", diff)
	}
}

func TestBuildName(t *testing.T) {
	tests := []struct {
		base   string
		want   string
		wantOK bool
	}{
		{".build-busybox-123", "busybox", true},
		{".build-a-b-7", "a-b", true},
		{".build--7", "", false},
		{".build-x", "", false},
		{"busybox", "", false},
		{".lock-busybox", "", false},
	}
	for _, tt := range tests {
		if got, ok := buildName(tt.base); got != tt.want || ok != tt.wantOK {
			t.Errorf("buildName(%q) = %q, %v, want %q, %v", tt.base, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestEnsureRefusesImageWithoutShell(t *testing.T) {
	const noShell = `image "x" has no /bin/sh; it cannot be used as a guest`
	tests := []struct {
		name string
		fill func(rootfs string) error
		want string // "" for success
	}{
		{"empty", func(string) error { return nil }, noShell},
		{"not executable", func(r string) error { return mkfile(r, "bin/sh", 0o644) }, noShell},
		{"directory", func(r string) error { return os.MkdirAll(filepath.Join(r, "bin/sh"), 0o755) }, noShell},
		// The host has /bin/sh: the link must be resolved inside the rootfs.
		{"absolute link to host", func(r string) error { return mklink(r, "bin/sh", "/usr/bin/dash") }, noShell},
		{"escaping link", func(r string) error { return mklink(r, "bin/sh", "../../../../../../bin/sh") }, noShell},
		{"loop", func(r string) error { return mklink(r, "bin/sh", "sh") }, noShell},
		{"fifo", func(r string) error {
			return errors.Join(os.MkdirAll(filepath.Join(r, "bin"), 0o755), unix.Mkfifo(filepath.Join(r, "bin/sh"), 0o755))
		}, noShell},
		{"absolute link inside", func(r string) error {
			return errors.Join(mkfile(r, "usr/bin/dash", 0o755), mklink(r, "bin/sh", "/usr/bin/dash"))
		}, ""},
		{"usrmerge", func(r string) error {
			return errors.Join(mkfile(r, "usr/bin/dash", 0o755), mklink(r, "bin", "usr/bin"), mklink(r, "usr/bin/sh", "dash"))
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFakeStore(t, &fakeSource{fill: tt.fill})
			_, err := s.Ensure(context.Background(), "x", busyboxSpec, nil)
			if tt.want == "" {
				if err != nil {
					t.Errorf("Ensure = %v, want success", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Ensure = %v, want an error starting %q", err, tt.want)
			}
			if got := storeEntries(t, s); len(got) != 0 {
				t.Errorf("store holds %q after a refused build, want nothing", got)
			}
		})
	}
}

func TestGetRefusesImageThatLostItsShell(t *testing.T) {
	s := newFakeStore(t, &fakeSource{})
	img, err := s.Ensure(context.Background(), "x", busyboxSpec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(img.Rootfs, "bin/sh")); err != nil {
		t.Fatal(err)
	}
	want := `image "x" has no /bin/sh; it cannot be used as a guest`
	if _, err := s.Ensure(context.Background(), "x", busyboxSpec, nil); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Ensure = %v, want an error starting %q", err, want)
	}
	if _, err := s.Get("x"); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Get = %v, want an error starting %q", err, want)
	}
}

func TestEnsureErrors(t *testing.T) {
	tests := []struct {
		name string
		spec config.Image
		want string
	}{
		{"foo", config.Image{}, `image "foo" is not defined in the config`},
		{"custom", config.Image{Source: "tar", Path: "/nonexistent/rootfs.tar"}, `building image "custom": reading the tarball: open /nonexistent/rootfs.tar: no such file or directory; check the image's path`},
		{"x", config.Image{Source: "docker"}, `building image "x": unknown source "docker": use busybox, debootstrap or tar`},
		{"../etc", busyboxSpec, `image name "../etc" is not valid`},
		{".build-x-1", busyboxSpec, `image name ".build-x-1" is not valid`},
	}
	for _, tt := range tests {
		s := NewStore(filepath.Join(t.TempDir(), "images"), nil)
		_, err := s.Ensure(context.Background(), tt.name, tt.spec, nil)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Ensure(%q, %+v) = %v, want an error starting %q", tt.name, tt.spec, err, tt.want)
		}
		if got := storeEntries(t, s); len(got) != 0 {
			t.Errorf("Ensure(%q) left %q in the store, want nothing", tt.name, got)
		}
	}
}

func TestGetNotBuilt(t *testing.T) {
	s := NewStore(filepath.Join(t.TempDir(), "images"), nil)
	_, err := s.Get("busybox")
	if !errors.Is(err, ErrNotBuilt) || !strings.Contains(err.Error(), "vmhostd image build busybox") {
		t.Errorf("Get = %v, want ErrNotBuilt with advice", err)
	}
}

func TestList(t *testing.T) {
	s := newFakeStore(t, &fakeSource{})
	if got, err := s.List(); err != nil || len(got) != 0 {
		t.Errorf("List of an empty store = %v, %v, want nothing", got, err)
	}
	for _, name := range []string{"zeta", "alpha", "mid"} {
		if _, err := s.Ensure(context.Background(), name, busyboxSpec, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(s.dir, ".build-other-1/rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(s.dir, "broken/rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	images, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, img := range images {
		names = append(names, img.Name)
		if img.Source != "busybox" || img.Built.IsZero() || img.Rootfs != filepath.Join(s.dir, img.Name, "builds", img.Build, "rootfs") {
			t.Errorf("List entry %+v is incomplete", img)
		}
	}
	if diff := cmp.Diff([]string{"alpha", "mid", "zeta"}, names); diff != "" {
		t.Errorf("List names (-want +got):\n%s", diff)
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"busybox", true}, {"debian-12", true}, {"a_b.c", true}, {"D1", true},
		{"", false}, {".", false}, {"..", false}, {".hidden", false}, {"-x", false},
		{"a/b", false}, {"a b", false}, {"é", false}, {strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		if err := checkName(tt.name); (err == nil) != tt.ok {
			t.Errorf("checkName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestResolveInRoot(t *testing.T) {
	// root sits beside a directory of the host with an executable sh that
	// a link leading out of root would reach.
	root := filepath.Join(t.TempDir(), "rootfs")
	outside := filepath.Join(filepath.Dir(root), "outside")
	err := errors.Join(
		mkfile(outside, "sh", 0o755),
		mklink(root, "escape/rel", "../../outside/sh"),
		mklink(root, "escape/abs", outside+"/sh"),
		mklink(root, "escape/dir", "../.."),
		mkfile(root, "usr/bin/busybox", 0o755),
		mklink(root, "bin", "usr/bin"),
		mklink(root, "usr/bin/sh", "busybox"),
		mklink(root, "usr/bin/abs", "/bin/sh"),
		mklink(root, "usr/bin/up", "../../../../../usr/bin/busybox"),
		mklink(root, "usr/bin/loop", "loop"),
		mklink(root, "usr/bin/dangling", "/nowhere"),
	)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		want    string
		wantErr string
	}{
		{"/bin/sh", "/usr/bin/busybox", ""},
		{"bin/abs", "/usr/bin/busybox", ""},
		{"/bin/up", "/usr/bin/busybox", ""},
		{"/../../bin/./sh", "/usr/bin/busybox", ""},
		{"/usr/bin/", "/usr/bin", ""},
		{"/", "/", ""},
		{"/bin/loop", "", "too many levels of symbolic links"},
		{"/bin/dangling", "", "resolving /bin/dangling: no such file or directory"},
		{"/bin/sh/x", "", "resolving /bin/sh/x: not a directory"},
		// Links that would lead out of root stay inside it.
		{"/escape/rel", "", "resolving /escape/rel: no such file or directory"},
		{"/escape/abs", "", "resolving /escape/abs: no such file or directory"},
		{"/escape/dir/outside/sh", "", "resolving /escape/dir/outside/sh: no such file or directory"},
		{"/escape/dir/usr/bin/busybox", "/usr/bin/busybox", ""},
		{"/escape/dir", "/", ""},
	}
	for _, tt := range tests {
		got, err := resolveInRoot(root, tt.name)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("resolveInRoot(%q) = %q, %v, want an error containing %q", tt.name, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != filepath.Join(root, tt.want) {
			t.Errorf("resolveInRoot(%q) = %q, %v, want %q", tt.name, got, err, filepath.Join(root, tt.want))
		}
	}
}

// mkfile creates the file rootfs/name with mode perm, and its parents.
func mkfile(rootfs, name string, perm os.FileMode) error {
	p := filepath.Join(rootfs, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte("#!fake\n"), perm)
}

// mklink creates the symlink rootfs/name -> target, and its parents.
func mklink(rootfs, name, target string) error {
	p := filepath.Join(rootfs, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.Symlink(target, p)
}
