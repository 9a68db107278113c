package images

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vmhost/config"
)

// defaultDebootstrapCache is where the tests keep debootstrap's packages
// when VMHOST_DEBOOTSTRAP_CACHE is not set, so that a second run downloads
// nothing.
const defaultDebootstrapCache = "/var/cache/vmhost-debootstrap"

// requireDebootstrap skips the test unless debootstrap is installed (make
// deps installs it) and the test runs as root, which debootstrap needs.
func requireDebootstrap(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("debootstrap"); err != nil {
		if _, err := os.Stat("/usr/sbin/debootstrap"); err != nil {
			t.Skip("skipping: debootstrap is not installed (apt-get install debootstrap, or make deps)")
		}
	}
	requireRoot(t)
}

// debootstrapStore returns a store whose debootstrap images use the test
// package cache: $VMHOST_DEBOOTSTRAP_CACHE, or defaultDebootstrapCache.
func debootstrapStore(t *testing.T) *Store {
	cache := os.Getenv(DebootstrapCacheEnv)
	if cache == "" {
		cache = defaultDebootstrapCache
	}
	s := NewStore(filepath.Join(t.TempDir(), "images"), nil)
	s.newSource = func(spec config.Image) (Source, error) {
		src, err := sourceFor(spec)
		if d, ok := src.(*Debootstrap); ok {
			d.CacheDir = cache
		}
		return src, err
	}
	return s
}

// lineLogger writes each progress line to the test log as it comes.
type lineLogger struct{ t *testing.T }

func (l lineLogger) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestDebootstrapBookworm really builds a minbase bookworm from the host's
// mirror: about a minute cold, less with the package cache warm. -short
// skips it; make test runs it.
func TestDebootstrapBookworm(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the debootstrap build (minutes, network) in -short mode")
	}
	requireDebootstrap(t)
	s := debootstrapStore(t)
	spec := config.Image{Source: "debootstrap", Suite: "bookworm", Variant: "minbase", Include: []string{"iproute2"}}
	start := time.Now()
	img, err := s.Ensure(context.Background(), "debian", spec, lineLogger{t})
	t.Logf("the debootstrap build took %v", time.Since(start).Round(time.Second))
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	checkDebianTree(t, img.Rootfs)
	if m := mountsUnder(img.Dir); len(m) > 0 {
		t.Errorf("mounts left in the image: %q", m)
	}
	out, err := exec.Command("chroot", img.Rootfs, "dpkg-query", "-W", "-f", "${Package} ${Status}\\n", "apt", "iproute2").CombinedOutput()
	if err != nil || strings.Count(string(out), "install ok installed") != 2 {
		t.Errorf("dpkg-query in the image = %q, %v, want apt and iproute2 installed", out, err)
	}
}

// checkDebianTree checks what configureDebian writes.
func checkDebianTree(t *testing.T, rootfs string) {
	t.Helper()
	files := map[string]string{
		"etc/default/locale": "LANG=C.UTF-8\n",
		"etc/timezone":       "Etc/UTC\n",
		"etc/machine-id":     "",
		"etc/hostname":       "localhost\n",
		"etc/resolv.conf":    placeholder,
	}
	for name, want := range files {
		if got, err := os.ReadFile(filepath.Join(rootfs, name)); string(got) != want {
			t.Errorf("/%s = %q, %v, want %q", name, got, err, want)
		}
	}
	sources, _ := os.ReadFile(filepath.Join(rootfs, "etc/apt/sources.list"))
	for _, want := range []string{" bookworm main\n", " bookworm-updates main\n", "/debian-security bookworm-security main\n"} {
		if !strings.Contains(string(sources), want) {
			t.Errorf("/etc/apt/sources.list = %q, want a line ending %q", sources, want)
		}
	}
	if got, _ := os.Readlink(filepath.Join(rootfs, "etc/localtime")); got != "/usr/share/zoneinfo/Etc/UTC" {
		t.Errorf("/etc/localtime -> %q, want /usr/share/zoneinfo/Etc/UTC", got)
	}
	if lists, _ := filepath.Glob(filepath.Join(rootfs, "var/lib/apt/lists/*_*")); len(lists) > 0 {
		t.Errorf("package lists left in the image: %q", lists)
	}
}

func TestDebootstrapFailureLeavesNothing(t *testing.T) {
	requireDebootstrap(t)
	s := debootstrapStore(t)
	spec := config.Image{Source: "debootstrap", Suite: "nosuchsuite", Mirror: "file:///nonexistent/debian"}
	var progress strings.Builder
	_, err := s.Ensure(context.Background(), "debian", spec, &progress)
	want := `building image "debian": debootstrap of nosuchsuite from file:///nonexistent/debian: exit status 1`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Ensure = %v, want an error starting %q", err, want)
	}
	if !strings.Contains(progress.String(), "running debootstrap") {
		t.Errorf("progress = %q, want debootstrap's command line", progress.String())
	}
	if got := storeEntries(t, s); len(got) != 0 {
		t.Errorf("store holds %q after a failed debootstrap, want nothing", got)
	}
}

func TestDebootstrapArgs(t *testing.T) {
	tests := []struct {
		d    Debootstrap
		want string
	}{
		{Debootstrap{Suite: "bookworm"}, "bookworm /r http://m/debian"},
		{Debootstrap{Suite: "trixie", Variant: "minbase", Include: []string{"less", "procps"}, CacheDir: "/c"},
			"--variant=minbase --include=less,procps --cache-dir=/c trixie /r http://m/debian"},
	}
	for _, tt := range tests {
		if got := strings.Join(tt.d.args("/r", "http://m/debian"), " "); got != tt.want {
			t.Errorf("args(%+v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestDebootstrapCheckWantsAptGet(t *testing.T) {
	rootfs := t.TempDir()
	if err := writeShell(rootfs); err != nil {
		t.Fatal(err)
	}
	err := checkBuilt(rootfs, &Debootstrap{})
	if want := "is not complete: it has no /usr/bin/apt-get"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("checkBuilt = %v, want an error starting %q", err, want)
	}
	if err := mkfile(rootfs, "usr/bin/apt-get", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := checkBuilt(rootfs, &Debootstrap{}); err != nil {
		t.Errorf("checkBuilt with apt-get = %v, want nil", err)
	}
}
