package images

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeAptDir makes an apt configuration directory with files, by path
// relative to it.
func writeAptDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const hostSources = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
`

func TestHostMirror(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"none", nil, defaultMirror},
		{"deb822", map[string]string{"sources.list.d/debian.sources": hostSources}, "http://deb.debian.org/debian"},
		{"one-line with options", map[string]string{
			"sources.list": "# deb http://commented.example/debian bookworm main\n" +
				"deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n" +
				"deb-src http://src.example/debian bookworm main\n" +
				"deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian/ bookworm main # mine\n",
		}, "http://mirror.example/debian"},
		{"sources.list first", map[string]string{
			"sources.list":                  "deb http://first.example/debian bookworm main\n",
			"sources.list.d/debian.sources": hostSources,
		}, "http://first.example/debian"},
		{"disabled and deb-src only", map[string]string{
			"sources.list.d/a.sources": "Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no\n\n" +
				"Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n",
			"sources.list.d/b.list":     "deb http://on.example/debian bookworm main\n",
			"sources.list.d/c.disabled": "deb http://ignored.example/debian bookworm main\n",
		}, "http://on.example/debian"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hostMirror(writeAptDir(t, tt.files)); got != tt.want {
				t.Errorf("hostMirror = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSecurityMirror(t *testing.T) {
	withSecurity := writeAptDir(t, map[string]string{"sources.list": "deb http://sec.example/debian-security bookworm-security main\n"})
	tests := []struct {
		mirror, aptDir, want string
	}{
		{"https://deb.debian.org/debian", withSecurity, "https://deb.debian.org/debian-security"},
		{"http://mirror.example/debian", withSecurity, "http://sec.example/debian-security"},
		{"http://mirror.example/debian", t.TempDir(), "http://deb.debian.org/debian-security"},
	}
	for _, tt := range tests {
		if got := securityMirror(tt.mirror, tt.aptDir); got != tt.want {
			t.Errorf("securityMirror(%q) = %q, want %q", tt.mirror, got, tt.want)
		}
	}
}

func TestSourcesList(t *testing.T) {
	const m, sec = "http://deb.debian.org/debian", "http://deb.debian.org/debian-security"
	tests := []struct {
		suite, mirror string
		want          []string
	}{
		{"bookworm", m, []string{"deb " + m + " bookworm main", "deb " + m + " bookworm-updates main", "deb " + sec + " bookworm-security main"}},
		{"trixie", m, []string{"deb " + m + " trixie main", "deb " + m + " trixie-updates main", "deb " + sec + " trixie-security main"}},
		{"sid", m, []string{"deb " + m + " sid main"}},
		{"buster", m, []string{"deb " + m + " buster main", "deb " + m + " buster-updates main", "deb " + sec + " buster/updates main"}},
		{"noble", "http://archive.ubuntu.com/ubuntu", []string{
			"deb http://archive.ubuntu.com/ubuntu noble main", "deb http://archive.ubuntu.com/ubuntu noble-updates main",
			"deb http://archive.ubuntu.com/ubuntu noble-security main"}},
	}
	for _, tt := range tests {
		got := strings.Split(strings.TrimSpace(sourcesList(tt.suite, tt.mirror, sec)), "\n")[1:]
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("sourcesList(%s, %s) mismatch (-want +got):\n%s", tt.suite, tt.mirror, diff)
		}
	}
}

func TestConfigureDebian(t *testing.T) {
	rootfs := t.TempDir()
	outside := filepath.Join(t.TempDir(), "host-resolv.conf")
	if err := os.WriteFile(outside, []byte("nameserver 1.1.1.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"etc/hostname", "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", "var/lib/apt/lists/lock", "var/cache/apt/pkgcache.bin"} {
		if err := mkfile(rootfs, f, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A symlink out of the rootfs is replaced, never written through.
	if err := mklink(rootfs, "etc/resolv.conf", outside); err != nil {
		t.Fatal(err)
	}
	if err := configureDebian(rootfs, "bookworm", "http://deb.debian.org/debian", "http://deb.debian.org/debian-security"); err != nil {
		t.Fatalf("configureDebian: %v", err)
	}
	checkDebianTree(t, rootfs)
	if data, _ := os.ReadFile(outside); string(data) != "nameserver 1.1.1.1\n" {
		t.Errorf("the host's file behind a symlink was changed: %q", data)
	}
	if _, err := os.Stat(filepath.Join(rootfs, "var/lib/apt/lists/lock")); err != nil {
		t.Errorf("apt's lists lock was removed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(rootfs, "var/cache/apt/pkgcache.bin")); err == nil {
		t.Error("pkgcache.bin is left, want it removed")
	}
}
