package e2e

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tarEntry is one entry of a test tarball.
type tarEntry struct {
	hdr  tar.Header
	body []byte
}

// writeTarball writes entries as a gzip-compressed tarball at path.
func writeTarball(t testing.TB, path string, entries []tarEntry) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := e.hdr
		h.Size = int64(len(e.body))
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// busyboxEntries are the entries of a tiny root filesystem: the host's
// busybox-static with the applets the tests use, as `docker export` of a
// busybox container would hold them.
func busyboxEntries(t testing.TB) []tarEntry {
	t.Helper()
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("reading the host's busybox (apt-get install busybox-static): %v", err)
	}
	dir := func(name string) tarEntry {
		return tarEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755}}
	}
	entries := []tarEntry{dir("bin/"), dir("etc/"), dir("root/"), dir("tmp/"), dir("srv/")}
	entries = append(entries, tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "bin/busybox", Mode: 0o755}, body: bb})
	for _, applet := range []string{"sh", "cat", "echo", "stat", "ls", "id", "ps", "ip", "hostname", "sleep"} {
		entries = append(entries, tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + applet, Linkname: "busybox"}})
	}
	return entries
}

// withImage adds image name with spec (a flow mapping) to a test config and
// gives it to user.
func withImage(t *testing.T, text, name, spec, user string) string {
	t.Helper()
	text = replaceOnce(t, text, "images:\n", fmt.Sprintf("images:\n  %s: %s\n", name, spec))
	return replaceOnce(t, text, "  "+user+":\n", fmt.Sprintf("  %s:\n    image: %s\n", user, name))
}

// TestTarImage checks an image imported from a root filesystem tarball:
// its files, owners, modes, symlinks and hard links, seen from a guest.
func TestTarImage(t *testing.T) {
	t.Parallel()
	d := prepareDaemon(t, daemonOptions{})
	tarball := filepath.Join(d.baseDir, "rootfs.tar.gz")
	entries := append(busyboxEntries(t),
		tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "etc/marker"}, body: []byte("from-tarball\n")},
		tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "srv/owned", Uid: 1000, Gid: 1001, Mode: 0o640}, body: []byte("x")},
		tarEntry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "srv/hardlink", Linkname: "srv/owned"}},
		tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "srv/setuid", Mode: 0o4755}, body: []byte("#!/bin/sh\n")},
	)
	writeTarball(t, tarball, entries)
	d.writeConfig(t, withImage(t, d.cfg.yaml(), "custom", fmt.Sprintf("{source: tar, path: %q}", tarball), "bob"))
	d.start(t)

	if got := d.mustSSH(t, "bob", "cat /etc/marker"); got != "from-tarball\n" {
		t.Errorf("/etc/marker in bob's guest = %q, want from-tarball", got)
	}
	tests := []struct{ cmd, want string }{
		{"stat -c '%u %g %a %h' /srv/owned", "1000 1001 640 2\n"},
		{"stat -c '%a' /srv/setuid", "4755\n"},
		{"stat -c '%N' /bin/sh", "'/bin/sh' -> 'busybox'\n"},
	}
	for _, tt := range tests {
		if got := d.mustSSH(t, "bob", tt.cmd); got != tt.want {
			t.Errorf("bob's guest: %s = %q, want %q", tt.cmd, got, tt.want)
		}
	}
	if got := d.mustSSH(t, "alice", "cat /etc/marker 2>/dev/null || echo none"); got != "none\n" {
		t.Errorf("alice's guest (busybox image) has /etc/marker: %q", got)
	}
}

// TestHostileTarball checks that a tarball whose entries aim outside the
// image writes nothing outside it, each kind of entry on its own, and that
// the user gets a clear message when the image cannot be built.
func TestHostileTarball(t *testing.T) {
	t.Parallel()
	kinds := []struct {
		name    string
		entries func(outside, tag string) []tarEntry
	}{
		{"DotDot", func(outside, tag string) []tarEntry {
			return []tarEntry{{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "../../../../../../../.." + outside + "/" + tag}, body: []byte("x")}}
		}},
		{"Absolute", func(outside, tag string) []tarEntry {
			return []tarEntry{{hdr: tar.Header{Typeflag: tar.TypeReg, Name: outside + "/" + tag}, body: []byte("x")}}
		}},
		{"ThroughSymlink", func(outside, tag string) []tarEntry {
			return []tarEntry{
				{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "evil", Linkname: outside}},
				{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "evil/" + tag}, body: []byte("x")},
			}
		}},
		{"HardLinkOut", func(outside, tag string) []tarEntry {
			return []tarEntry{{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "etc/" + tag, Linkname: "../../../../../../.." + outside + "/target"}}}
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			d := prepareDaemon(t, daemonOptions{})
			outside := filepath.Join(d.baseDir, "outside")
			if err := os.Mkdir(outside, 0o755); err != nil {
				t.Fatal(err)
			}
			target := filepath.Join(outside, "target")
			if err := os.WriteFile(target, []byte("host file\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			tag := fmt.Sprintf("escape-%06x", rand.IntN(1<<24))
			tarball := filepath.Join(d.baseDir, "hostile.tar.gz")
			writeTarball(t, tarball, append(busyboxEntries(t), k.entries(outside, tag)...))
			d.writeConfig(t, withImage(t, d.cfg.yaml(), "hostile", fmt.Sprintf("{source: tar, path: %q}", tarball), "bob"))
			d.start(t)

			out, errOut, code := d.ssh(t, "bob", "ls /")
			t.Logf("login to the hostile image: exit %d, stdout %q, stderr %q", code, out, errOut)
			if code != 0 && !strings.Contains(errOut, "hostile") {
				t.Errorf("login to a guest of a refused image: exit %d, stderr %q; want a message naming the image", code, errOut)
			}
			if _, err := os.Stat(filepath.Join(outside, tag)); err == nil {
				t.Errorf("the hostile tarball wrote %s, outside its image", filepath.Join(outside, tag))
			}
			checkNotLinked(t, d, tag, target)
			if code != 0 {
				if builds, _ := filepath.Glob(filepath.Join(d.dataDir, "images", "hostile", "builds", "*")); len(builds) > 0 {
					t.Errorf("a refused build left %v behind", builds)
				}
			}
		})
	}
}

// checkNotLinked fails the test if an image build holds etc/<tag> as a hard
// link to the host file target.
func checkNotLinked(t *testing.T, d *daemon, tag, target string) {
	t.Helper()
	host, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	links, _ := filepath.Glob(filepath.Join(d.dataDir, "images", "hostile", "builds", "*", "rootfs", "etc", tag))
	for _, l := range links {
		if fi, err := os.Stat(l); err == nil && os.SameFile(fi, host) {
			t.Errorf("the hostile tarball hard-linked the host's %s into the image as %s", target, l)
		}
	}
}
