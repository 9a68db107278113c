package images

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// tarEntry is one entry of a test tarball: a header, and the content of a
// regular file.
type tarEntry struct {
	tar.Header
	body string
}

// testTime is the modification time of test entries.
var testTime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func dirEntry(name string, mode int64) tarEntry {
	return tarEntry{Header: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: testTime}}
}

func fileEntry(name string, mode int64, body string) tarEntry {
	return tarEntry{Header: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, ModTime: testTime}, body: body}
}

func symlinkEntry(name, target string) tarEntry {
	return tarEntry{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: testTime}}
}

func hardlinkEntry(name, target string) tarEntry {
	return tarEntry{Header: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, ModTime: testTime}}
}

// makeTar returns an uncompressed tarball of entries, in PAX format so that
// extended attributes fit.
func makeTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.Header
		h.Size = int64(len(e.body))
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if h.Format == tar.FormatUnknown && len(h.PAXRecords) > 0 {
			h.Format = tar.FormatPAX
		}
		if err := w.WriteHeader(&h); err != nil {
			t.Fatalf("writing %s: %v", h.Name, err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sandbox is a temporary directory holding an empty rootfs/ and, beside it,
// outside/ with one file that no extraction may touch.
type sandbox struct {
	base, rootfs, outside string
}

const sentinelContent = "do not touch\n"

func newSandbox(t *testing.T) sandbox {
	t.Helper()
	base := t.TempDir()
	sb := sandbox{base: base, rootfs: filepath.Join(base, "rootfs"), outside: filepath.Join(base, "outside")}
	for _, d := range []string{sb.rootfs, sb.outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(sb.outside, "keep"), []byte(sentinelContent), 0o644); err != nil {
		t.Fatal(err)
	}
	return sb
}

// writeArchive writes data to a file of the sandbox, outside the rootfs,
// and returns its path.
func (sb sandbox) writeArchive(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(sb.base, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkUntouched fails the test if anything outside the rootfs changed: the
// sentinel file, its link count, or the entries beside the rootfs.
func (sb sandbox) checkUntouched(t *testing.T, archives ...string) {
	t.Helper()
	want := append([]string{"outside", "rootfs"}, archives...)
	sort.Strings(want)
	var got []string
	entries, _ := os.ReadDir(sb.base)
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !equalStrings(got, want) {
		t.Errorf("the sandbox holds %q, want %q", got, want)
	}
	entries, _ = os.ReadDir(sb.outside)
	if len(entries) != 1 || entries[0].Name() != "keep" {
		t.Errorf("outside/ holds %d entries, want only keep", len(entries))
	}
	data, err := os.ReadFile(filepath.Join(sb.outside, "keep"))
	if err != nil || string(data) != sentinelContent {
		t.Errorf("outside/keep = %q, %v, want it untouched", data, err)
	}
	if n := linkCount(t, filepath.Join(sb.outside, "keep")); n != 1 {
		t.Errorf("outside/keep has %d links, want 1", n)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
