package images

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"vmhost/config"
)

func TestBuildBusybox(t *testing.T) {
	requireBusybox(t)
	s := NewStore(filepath.Join(t.TempDir(), "images"), nil)
	var progress strings.Builder
	before := time.Now()
	img, err := s.Ensure(context.Background(), "busybox", busyboxSpec, &progress)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	t.Logf("progress:\n%s", progress.String())
	dir := filepath.Join(s.dir, "busybox")
	rootfs := filepath.Join(dir, "builds", img.Build, "rootfs")
	want := Image{Name: "busybox", Dir: dir, Build: img.Build, Rootfs: rootfs, Source: "busybox", Built: img.Built, Spec: busyboxSpec}
	if diff := cmp.Diff(want, img); diff != "" {
		t.Errorf("Ensure image mismatch (-want +got):\n%s", diff)
	}
	if got, err := filepath.EvalSymlinks(filepath.Join(dir, "rootfs")); got != rootfs {
		t.Errorf("the contract path %s/rootfs resolves to %q, %v, want %s", dir, got, err, rootfs)
	}
	if img.Built.Before(before.Add(-time.Second)) || img.Built.After(time.Now()) {
		t.Errorf("Built = %v, want about %v", img.Built, before)
	}
	if !strings.Contains(progress.String(), "building image busybox") {
		t.Errorf("progress = %q, want a line about building image busybox", progress.String())
	}
	checkBusyboxTree(t, img.Rootfs)
	checkMetadata(t, img)
}

func checkBusyboxTree(t *testing.T, rootfs string) {
	t.Helper()
	sh, err := resolveInRoot(rootfs, "/bin/sh")
	if err != nil || sh != filepath.Join(rootfs, "bin/busybox") {
		t.Errorf("resolveInRoot(/bin/sh) = %q, %v, want %s", sh, err, filepath.Join(rootfs, "bin/busybox"))
	}
	links := map[string]string{"bin/sh": "busybox", "var/run": "../run"}
	if _, err := os.Lstat(filepath.Join(rootfs, "usr/bin/env")); err == nil {
		links["usr/bin/env"] = "../../bin/busybox"
	}
	for link, want := range links {
		if got, err := os.Readlink(filepath.Join(rootfs, link)); got != want {
			t.Errorf("Readlink(%s) = %q, %v, want %q", link, got, err, want)
		}
	}
	modes := map[string]os.FileMode{
		"bin/busybox": 0o755, "tmp": os.ModeDir | os.ModeSticky | 0o777,
		"var/tmp": os.ModeDir | os.ModeSticky | 0o777, "root": os.ModeDir | 0o700,
		"etc/shadow": 0o600, "etc/passwd": 0o644, "proc": os.ModeDir | 0o555,
	}
	for name, want := range modes {
		fi, err := os.Lstat(filepath.Join(rootfs, name))
		if err != nil || fi.Mode() != want {
			t.Errorf("mode of /%s = %v, %v, want %v", name, modeOf(fi), err, want)
		}
	}
	passwd, _ := os.ReadFile(filepath.Join(rootfs, "etc/passwd"))
	if first, _, _ := strings.Cut(string(passwd), "\n"); first != "root:x:0:0:root:/root:/bin/sh" {
		t.Errorf("first line of /etc/passwd = %q, want the root line", first)
	}
	osRelease, _ := os.ReadFile(filepath.Join(rootfs, "etc/os-release"))
	if !strings.Contains(string(osRelease), "ID=busybox\n") || !strings.Contains(string(osRelease), `PRETTY_NAME="BusyBox v`) {
		t.Errorf("/etc/os-release = %q, want ID=busybox and a PRETTY_NAME with the version", osRelease)
	}
	out, err := exec.Command(filepath.Join(rootfs, "bin/sh"), "-c", "echo hello from $0").CombinedOutput()
	if err != nil || string(out) != "hello from "+filepath.Join(rootfs, "bin/sh")+"\n" {
		t.Errorf("running rootfs/bin/sh = %q, %v", out, err)
	}
	if os.Geteuid() == 0 {
		checkOwnedByRoot(t, rootfs)
	}
}

func modeOf(fi os.FileInfo) os.FileMode {
	if fi == nil {
		return 0
	}
	return fi.Mode()
}

// checkOwnedByRoot checks that everything in rootfs is owned by 0:0.
func checkOwnedByRoot(t *testing.T, rootfs string) {
	t.Helper()
	err := filepath.Walk(rootfs, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != 0 || st.Gid != 0 {
			t.Errorf("%s is owned by %d:%d, want 0:0", p, st.Uid, st.Gid)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

func checkMetadata(t *testing.T, img Image) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(filepath.Dir(img.Rootfs), "image.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("image.json: %v", err)
	}
	built, err := time.Parse(time.RFC3339, got["built"].(string))
	if err != nil || !built.Equal(img.Built) {
		t.Errorf("image.json built = %v, %v, want %v in RFC 3339", got["built"], err, img.Built)
	}
	delete(got, "built")
	want := map[string]any{"name": "busybox", "source": "busybox", "config": map[string]any{"source": "busybox"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("image.json mismatch (-want +got):\n%s", diff)
	}
}

func TestBusyboxRefusesBadBinary(t *testing.T) {
	notELF := filepath.Join(t.TempDir(), "busybox")
	if err := os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want string
	}{
		{"/bin/ls", "/bin/ls is dynamically linked; a guest needs a static busybox: install busybox-static"},
		{notELF, "is not an ELF binary; a guest needs a static busybox: install busybox-static"},
		{"/nonexistent/busybox", "no busybox at /nonexistent/busybox: install busybox-static"},
	}
	for _, tt := range tests {
		if tt.path == "/bin/ls" {
			if data, err := os.ReadFile(tt.path); err != nil || checkStaticELF(data) == nil {
				t.Logf("skipping /bin/ls: not a dynamic ELF here")
				continue
			}
		}
		rootfs := t.TempDir()
		err := (&Busybox{Path: tt.path}).Build(context.Background(), rootfs, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Build with %s = %v, want an error containing %q", tt.path, err, tt.want)
		}
		if entries, _ := os.ReadDir(rootfs); len(entries) != 0 {
			t.Errorf("Build with %s left %d entries in rootfs, want none", tt.path, len(entries))
		}
	}
}

func TestEnsureRefusesDynamicBusybox(t *testing.T) {
	s := NewStore(filepath.Join(t.TempDir(), "images"), nil)
	s.newSource = func(config.Image) (Source, error) { return &Busybox{Path: "/bin/ls"}, nil }
	if data, err := os.ReadFile("/bin/ls"); err != nil || checkStaticELF(data) == nil {
		t.Skip("skipping: /bin/ls is not a dynamic ELF here")
	}
	_, err := s.Ensure(context.Background(), "busybox", busyboxSpec, nil)
	if err == nil || !strings.Contains(err.Error(), `building image "busybox": /bin/ls is dynamically linked`) ||
		!strings.Contains(err.Error(), "install busybox-static") {
		t.Errorf("Ensure with a dynamic busybox = %v, want an error saying install busybox-static", err)
	}
	if got := storeEntries(t, s); len(got) != 0 {
		t.Errorf("store holds %q after a failed build, want nothing", got)
	}
}

func TestBusyboxVersion(t *testing.T) {
	tests := []struct {
		data string
		want string
	}{
		{"\x00BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)\x00more", "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1)"},
		{"BusyBox v1.36.1\n", "BusyBox v1.36.1"},
		{"BusyBox v1.2 (\"$x`\\\x7f\x01)\x00", "BusyBox v1.2 (x)"},
		{"nothing", "BusyBox"},
	}
	for _, tt := range tests {
		if got := busyboxVersion([]byte(tt.data)); got != tt.want {
			t.Errorf("busyboxVersion(%q) = %q, want %q", tt.data, got, tt.want)
		}
	}
	if got := osRelease("BusyBox v1.35.0 (Debian)"); !strings.Contains(got, `VERSION_ID="1.35.0"`) {
		t.Errorf("osRelease = %q, want VERSION_ID=\"1.35.0\"", got)
	}
}

func BenchmarkBuildBusybox(b *testing.B) {
	requireBusybox(b)
	base := b.TempDir()
	b.ResetTimer()
	for i := range b.N {
		dir := filepath.Join(base, strconv.Itoa(i))
		s := NewStore(dir, nil)
		if _, err := s.Ensure(context.Background(), "busybox", busyboxSpec, nil); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(dir)
		b.StartTimer()
	}
}

func BenchmarkEnsureBuilt(b *testing.B) {
	requireBusybox(b)
	s := NewStore(filepath.Join(b.TempDir(), "images"), nil)
	if _, err := s.Ensure(context.Background(), "busybox", busyboxSpec, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := s.Ensure(context.Background(), "busybox", busyboxSpec, nil); err != nil {
			b.Fatal(err)
		}
	}
}
