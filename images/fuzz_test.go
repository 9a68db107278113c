package images

import (
	"archive/tar"
	"bytes"
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCleanName checks that a tarball entry's name, cleaned, never climbs
// out of the image: it is "." or a clean relative path with no "..".
func FuzzCleanName(f *testing.F) {
	for _, seed := range []string{"", ".", "./", "/", "a", "./a/b/", "/etc/passwd", "../x", "a/../../x", "a//b/./c",
		"..", "...", "a/..b", "\x00", "a\x00b", "//..//", ".../a"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got, err := cleanName(name)
		if err != nil {
			if got != "" {
				t.Errorf("cleanName(%q) = %q, %v; want no name with the error", name, got, err)
			}
			return
		}
		switch {
		case got == ".":
		case got == "" || strings.HasPrefix(got, "/") || path.Clean(got) != got || strings.ContainsRune(got, 0):
			t.Errorf("cleanName(%q) = %q, want a clean relative path", name, got)
		}
		for _, c := range strings.Split(got, "/") {
			if c == ".." {
				t.Errorf("cleanName(%q) = %q, which climbs out of the image", name, got)
			}
		}
		if strings.Contains(name, "/../") || strings.HasPrefix(name, "../") || strings.HasSuffix(name, "/..") || name == ".." {
			t.Errorf("cleanName(%q) = %q, nil; want a name with a \"..\" component refused", name, got)
		}
	})
}

// maxFuzzBytes bounds what one tarball of the fuzzer may declare, so that a
// header claiming a huge (sparse) file does not fill the disk.
const maxFuzzBytes = 1 << 20

// declaredBytes sums the sizes the entries of a tarball declare.
func declaredBytes(data []byte) int64 {
	tr := tar.NewReader(bytes.NewReader(data))
	var n int64
	for {
		h, err := tr.Next()
		if err != nil || h.Size < 0 {
			return n
		}
		n += h.Size
		if n > maxFuzzBytes {
			return n
		}
	}
}

// FuzzExtract unpacks arbitrary tarballs into a sandbox and checks that
// nothing outside the rootfs changes, whether the tarball is refused or not.
func FuzzExtract(f *testing.F) {
	fifo := tarEntry{Header: tar.Header{Typeflag: tar.TypeFifo, Name: "run/fifo", Mode: 0o600, ModTime: testTime}}
	xattr := fileEntry("bin/ping", 0o755, "x")
	xattr.PAXRecords = map[string]string{xattrPrefix + "security.capability": "\x01\x00\x00\x02", xattrPrefix + "trusted.overlay.opaque": "y"}
	for _, entries := range [][]tarEntry{
		{dirEntry("etc/", 0o755), fileEntry("etc/hostname", 0o644, "guest\n"), symlinkEntry("bin/sh", "busybox"), hardlinkEntry("bin/ls", "etc/hostname")},
		{symlinkEntry("evil", "../outside"), fileEntry("evil/keep", 0o644, "pwned")},
		{symlinkEntry("up", ".."), fileEntry("up/outside/keep", 0o644, "pwned")},
		{hardlinkEntry("h", "../outside/keep")},
		{fileEntry("../outside/keep", 0o644, "pwned")},
		{symlinkEntry("evil", "../outside/keep"), fileEntry("evil", 0o644, "replaced")},
		{dirEntry("d/", 0o000), fileEntry("d/x", 0o644, "x")},
		{fileEntry("d/x", 0o644, "x"), fileEntry("d", 0o644, "x")},
		{fifo, xattr},
	} {
		f.Add(makeTar(f, entries...))
	}
	f.Add([]byte{})
	f.Add([]byte("not a tarball"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if declaredBytes(data) > maxFuzzBytes {
			t.Skip("declares more than the fuzzer writes")
		}
		sb := newSandbox(t)
		t.Cleanup(func() { makeRemovable(sb.base) })
		x, err := newExtractor(sb.rootfs)
		if err != nil {
			t.Fatal(err)
		}
		defer x.close()
		x.extractAll(context.Background(), tar.NewReader(bytes.NewReader(data)))
		sb.checkUntouched(t)
		if x.bytes > int64(len(data))+maxFuzzBytes {
			t.Errorf("unpacked %d bytes from a tarball of %d", x.bytes, len(data))
		}
	})
}

// makeRemovable gives every directory under dir its owner's permissions
// back, which a tarball may have taken, so that the test can delete it.
func makeRemovable(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if d != nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
}
