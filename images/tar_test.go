//go:build linux

package images

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// pingCaps is security.capability for cap_net_raw+ep, in the v2 format.
const pingCaps = "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// rootfsEntries is a small root filesystem with every kind of entry.
func rootfsEntries() []tarEntry {
	owned := func(e tarEntry, uid, gid int) tarEntry { e.Uid, e.Gid = uid, gid; return e }
	xattr := func(e tarEntry, kv ...string) tarEntry {
		e.PAXRecords = map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			e.PAXRecords[xattrPrefix+kv[i]] = kv[i+1]
		}
		return e
	}
	dev := func(typ byte, name string, mode int64, major, minor int64) tarEntry {
		return tarEntry{Header: tar.Header{Typeflag: typ, Name: name, Mode: mode, Devmajor: major, Devminor: minor, ModTime: testTime}}
	}
	return []tarEntry{
		dirEntry("./", 0o755),
		dirEntry("./usr/", 0o755), dirEntry("./usr/bin/", 0o755), dirEntry("./usr/lib/", 0o755),
		symlinkEntry("./bin", "usr/bin"),
		fileEntry("./usr/bin/busybox", 0o755, "#!fake busybox\n"),
		symlinkEntry("./usr/bin/sh", "busybox"),
		fileEntry("./usr/bin/passwd", 0o4755, "passwd\n"),
		owned(fileEntry("./usr/bin/wall", 0o2755, "wall\n"), 0, 5),
		hardlinkEntry("./usr/bin/chfn", "./usr/bin/passwd"),
		xattr(fileEntry("./usr/bin/ping", 0o755, "ping\n"), "security.capability", pingCaps, "user.note", "hello"),
		xattr(fileEntry("./etc/labelled", 0o644, "x\n"), "security.selinux", "system_u:object_r:etc_t:s0", "trusted.overlay.opaque", "y"),
		dirEntry("./tmp/", 0o1777),
		owned(dirEntry("./home/alice/", 0o700), 1000, 1000),
		owned(fileEntry("./home/alice/notes", 0o640, "notes\n"), 1000, 100),
		dirEntry("./var/", 0o755), dirEntry("./var/lib/", 0o555),
		fileEntry("./var/lib/state", 0o644, "state\n"),
		dev(tar.TypeChar, "./dev/null", 0o666, 1, 3),
		owned(dev(tar.TypeBlock, "./dev/sda", 0o660, 8, 0), 0, 6),
		dev(tar.TypeFifo, "./run/initctl", 0o600, 0, 0),
		owned(fileEntry("./nobody", 0o644, ""), 65534, 65534),
	}
}

func TestTarballEveryEntryType(t *testing.T) {
	requireRoot(t)
	sb := newSandbox(t)
	path := sb.writeArchive(t, "rootfs.tar", makeTar(t, rootfsEntries()...))
	var progress strings.Builder
	if err := (&Tarball{Path: path}).Build(context.Background(), sb.rootfs, &progress); err != nil {
		t.Fatalf("Build: %v", err)
	}
	t.Logf("progress:\n%s", progress.String())
	sb.checkUntouched(t, "rootfs.tar")
	r := sb.rootfs
	wantModes := map[string]os.FileMode{
		".": os.ModeDir | 0o755, "bin": os.ModeSymlink | 0o777,
		"usr/bin/passwd": os.ModeSetuid | 0o755, "usr/bin/wall": os.ModeSetgid | 0o755,
		"tmp": os.ModeDir | os.ModeSticky | 0o777, "home/alice": os.ModeDir | 0o700,
		"home/alice/notes": 0o640, "var/lib": os.ModeDir | 0o555,
		"dev/null": os.ModeDevice | os.ModeCharDevice | 0o666, "dev/sda": os.ModeDevice | 0o660,
		"run/initctl": os.ModeNamedPipe | 0o600, "etc": os.ModeDir | 0o755,
	}
	for name, want := range wantModes {
		fi, err := os.Lstat(filepath.Join(r, name))
		if err != nil || fi.Mode() != want {
			t.Errorf("mode of %s = %v, %v, want %v", name, modeOf(fi), err, want)
		}
	}
	wantOwners := map[string][2]uint32{
		"usr/bin/wall": {0, 5}, "home/alice": {1000, 1000}, "home/alice/notes": {1000, 100},
		"dev/sda": {0, 6}, "nobody": {65534, 65534}, "bin": {0, 0},
	}
	for name, want := range wantOwners {
		if st := lstat(t, filepath.Join(r, name)); st.Uid != want[0] || st.Gid != want[1] {
			t.Errorf("owner of %s = %d:%d, want %d:%d", name, st.Uid, st.Gid, want[0], want[1])
		}
	}
	checkEntryDetails(t, r)
}

// checkEntryDetails checks links, devices, extended attributes and times.
func checkEntryDetails(t *testing.T, r string) {
	t.Helper()
	for link, want := range map[string]string{"bin": "usr/bin", "usr/bin/sh": "busybox"} {
		if got, err := os.Readlink(filepath.Join(r, link)); got != want {
			t.Errorf("Readlink(%s) = %q, %v, want %q", link, got, err, want)
		}
	}
	passwd, chfn := lstat(t, filepath.Join(r, "usr/bin/passwd")), lstat(t, filepath.Join(r, "usr/bin/chfn"))
	if passwd.Ino != chfn.Ino || passwd.Nlink != 2 {
		t.Errorf("chfn is inode %d, passwd %d with %d links, want one inode with 2 links", chfn.Ino, passwd.Ino, passwd.Nlink)
	}
	if st := lstat(t, filepath.Join(r, "dev/sda")); unix.Major(st.Rdev) != 8 || unix.Minor(st.Rdev) != 0 {
		t.Errorf("dev/sda is %d:%d, want 8:0", unix.Major(st.Rdev), unix.Minor(st.Rdev))
	}
	for name, want := range map[string]string{"security.capability": pingCaps, "user.note": "hello"} {
		if got := getxattr(filepath.Join(r, "usr/bin/ping"), name); got != want {
			t.Errorf("xattr %s of ping = %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"trusted.overlay.opaque", "security.selinux"} {
		if got := getxattr(filepath.Join(r, "etc/labelled"), name); got != "" {
			t.Errorf("xattr %s of etc/labelled = %q, want it dropped", name, got)
		}
	}
	for _, name := range []string{"usr/bin/passwd", "var/lib", "bin", "home/alice"} {
		fi, err := os.Lstat(filepath.Join(r, name))
		if err != nil || !fi.ModTime().Equal(testTime) {
			t.Errorf("mtime of %s = %v, want %v", name, fi.ModTime(), testTime)
		}
	}
	if fi, err := os.Lstat(filepath.Join(r, "etc")); err != nil || !fi.IsDir() {
		t.Errorf("implicit parent etc = %v, %v, want a directory", fi, err)
	}
}

func lstat(t *testing.T, p string) *syscall.Stat_t {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t)
}

// getxattr returns the extended attribute name of path, "" if it has none.
func getxattr(path, name string) string {
	buf := make([]byte, 256)
	n, err := unix.Lgetxattr(path, name, buf)
	if err != nil {
		return ""
	}
	return string(buf[:n])
}

func TestTarballHostile(t *testing.T) {
	tests := []struct {
		name    string
		entries func(outside string) []tarEntry
		wantErr string // "" for a contained result
		check   func(t *testing.T, rootfs string)
	}{
		{"dot-dot", func(string) []tarEntry { return []tarEntry{fileEntry("../x", 0o644, "x")} },
			`entry "../x": its path has a ".." component`, nil},
		{"dot-dot inside", func(string) []tarEntry { return []tarEntry{dirEntry("a/", 0o755), fileEntry("a/../../x", 0o644, "x")} },
			`entry "a/../../x": its path has a ".." component`, nil},
		{"absolute", func(string) []tarEntry { return []tarEntry{fileEntry("/etc/x", 0o644, "x")} },
			"", wantFile("etc/x", "x")},
		{"absolute into outside", func(o string) []tarEntry { return []tarEntry{fileEntry(o+"/keep", 0o644, "pwned")} },
			"", nil},
		{"write through symlink", func(o string) []tarEntry {
			return []tarEntry{symlinkEntry("evil", o), fileEntry("evil/file", 0o644, "pwned")}
		}, `entry "evil/file": evil is a symlink`, nil},
		{"write through relative symlink", func(string) []tarEntry {
			return []tarEntry{symlinkEntry("evil", "../outside"), fileEntry("evil/file", 0o644, "pwned")}
		}, `entry "evil/file": evil is a symlink`, nil},
		{"symlink to parent", func(string) []tarEntry {
			return []tarEntry{symlinkEntry("up", ".."), fileEntry("up/outside/keep", 0o644, "pwned")}
		}, `entry "up/outside/keep": up/outside is a symlink, or a directory on its way is`, nil},
		{"nested symlink on the way", func(o string) []tarEntry {
			return []tarEntry{dirEntry("a/", 0o755), symlinkEntry("a/b", o), dirEntry("a/b/c/", 0o755)}
		}, `entry "a/b/c/": a/b is a symlink`, nil},
		{"hardlink to absolute outside", func(o string) []tarEntry { return []tarEntry{hardlinkEntry("h", o+"/keep")} },
			"/outside is not in the image", nil},
		{"hardlink with dot-dot", func(string) []tarEntry { return []tarEntry{hardlinkEntry("h", "../outside/keep")} },
			`entry "h": its hard link target "../outside/keep": its path has a ".." component`, nil},
		{"hardlink through symlink", func(o string) []tarEntry {
			return []tarEntry{symlinkEntry("evil", o), hardlinkEntry("h", "evil/keep")}
		}, `entry "h": its hard link target "evil/keep": evil is a symlink`, nil},
		{"file over symlink", func(o string) []tarEntry {
			return []tarEntry{symlinkEntry("evil", o+"/keep"), fileEntry("evil", 0o644, "replaced")}
		}, "", wantFile("evil", "replaced")},
		{"directory over symlink", func(o string) []tarEntry {
			return []tarEntry{symlinkEntry("evil", o), dirEntry("evil/", 0o755), fileEntry("evil/keep", 0o644, "inside")}
		}, "", wantFile("evil/keep", "inside")},
		{"huge uid", func(string) []tarEntry {
			e := fileEntry("bin/x", 0o755, "x")
			e.Uid = 100000
			return []tarEntry{e}
		}, `entry "bin/x": it is owned by uid 100000, but guests see ids 0..65535 only`, nil},
		{"huge gid", func(string) []tarEntry {
			e := dirEntry("d/", 0o755)
			e.Gid = 65536
			return []tarEntry{e}
		}, `entry "d/": it is owned by gid 65536`, nil},
		{"file over root", func(string) []tarEntry { return []tarEntry{fileEntry(".", 0o644, "x")} },
			`it would replace the image's root directory`, nil},
		{"file over full directory", func(string) []tarEntry {
			return []tarEntry{fileEntry("d/x", 0o644, "x"), fileEntry("d", 0o644, "x")}
		}, `entry "d": it would replace a directory that is not empty`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := newSandbox(t)
			path := sb.writeArchive(t, "evil.tar", makeTar(t, tt.entries(sb.outside)...))
			err := (&Tarball{Path: path}).Build(context.Background(), sb.rootfs, io.Discard)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Build = %v, want a contained result", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Build = %v, want an error containing %q", err, tt.wantErr)
			}
			sb.checkUntouched(t, "evil.tar")
			if tt.check != nil && err == nil {
				tt.check(t, sb.rootfs)
			}
		})
	}
}

// wantFile checks that the rootfs has a regular file name with data.
func wantFile(name, data string) func(t *testing.T, rootfs string) {
	return func(t *testing.T, rootfs string) {
		t.Helper()
		fi, err := os.Lstat(filepath.Join(rootfs, name))
		got, _ := os.ReadFile(filepath.Join(rootfs, name))
		if err != nil || !fi.Mode().IsRegular() || string(got) != data {
			t.Errorf("%s = %v %q, %v, want a regular file with %q", name, modeOf(fi), got, err, data)
		}
	}
}
