//go:build linux

package images

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// smallRootfs is a tarball with a shell, enough for an image.
func smallRootfs(t *testing.T) []byte {
	return makeTar(t, dirEntry("./", 0o755), dirEntry("./bin/", 0o755), fileEntry("./bin/sh", 0o755, "#!fake\n"))
}

func gzipped(t *testing.T, data []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstded(t *testing.T, data []byte) []byte {
	w, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.EncodeAll(data, nil)
}

// filtered compresses data with a host program such as xz, skipping the
// test if it is missing.
func filtered(t *testing.T, data []byte, prog string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(prog); err != nil {
		t.Skipf("skipping: %s is not installed", prog)
	}
	cmd := exec.Command(prog, args...)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", prog, err)
	}
	return out
}

// xzTwoStreams compresses the two halves of data as two xz streams one
// after the other, with stream padding between them, as `xz -dc` reads them
// (and pixz or pxz write them).
func xzTwoStreams(t *testing.T, data []byte) []byte {
	half := len(data) / 2
	out := filtered(t, data[:half], "xz", "-c")
	out = append(out, 0, 0, 0, 0)
	return append(out, filtered(t, data[half:], "xz", "-c")...)
}

func TestTarballCompressions(t *testing.T) {
	tests := []struct {
		format   string
		compress func(t *testing.T, data []byte) []byte
	}{
		{"uncompressed", func(_ *testing.T, d []byte) []byte { return d }},
		{"gzip", gzipped},
		{"zstd", zstded},
		{"xz", func(t *testing.T, d []byte) []byte { return filtered(t, d, "xz", "-c") }},
		{"xz", xzTwoStreams},
		{"xz", func(t *testing.T, d []byte) []byte { return filtered(t, d, "xz", "-c", "-9", "--check=sha256") }},
		{"bzip2", func(t *testing.T, d []byte) []byte { return filtered(t, d, "bzip2", "-c") }},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			sb := newSandbox(t)
			// A misleading name: the format comes from the content.
			path := sb.writeArchive(t, "rootfs.tar.xz.gz", tt.compress(t, smallRootfs(t)))
			var progress strings.Builder
			if err := (&Tarball{Path: path}).Build(context.Background(), sb.rootfs, &progress); err != nil {
				t.Fatalf("Build: %v", err)
			}
			if want := "(" + tt.format + ")"; !strings.Contains(progress.String(), want) {
				t.Errorf("progress = %q, want %q", progress.String(), want)
			}
			wantFile("bin/sh", "#!fake\n")(t, sb.rootfs)
		})
	}
}

func TestTarballCorrupt(t *testing.T) {
	plain := smallRootfs(t)
	gz := gzipped(t, plain)
	tests := []struct {
		name string
		data func(t *testing.T) []byte
		want string
	}{
		{"empty", func(*testing.T) []byte { return nil }, "it holds no entries; is it a root filesystem tarball?"},
		{"garbage", func(*testing.T) []byte { return bytes.Repeat([]byte("not a tarball "), 100) }, "it is not a tar archive, or a corrupt one"},
		{"truncated tar", func(*testing.T) []byte { return plain[:1100] }, "the tarball is truncated or corrupt"},
		{"truncated gzip", func(*testing.T) []byte { return gz[:len(gz)/2] }, "unexpected EOF"},
		{"bad gzip header", func(*testing.T) []byte { return []byte("\x1f\x8bxxxxxxxxxxxxxxxx") }, "opening it as gzip"},
		{"truncated xz", func(t *testing.T) []byte { x := filtered(t, plain, "xz", "-c"); return x[:len(x)/2] }, "decompressing xz: unexpected EOF"},
		{"corrupt xz", func(t *testing.T) []byte { x := filtered(t, plain, "xz", "-c"); x[len(x)/2] ^= 0xff; return x }, "decompressing xz: "},
		{"bad xz header", func(*testing.T) []byte { return []byte("\xfd7zXZ\x00xxxxxxxxxxxxxxxxxxxx") }, "opening it as xz"},
		{"truncated zstd", func(t *testing.T) []byte { z := zstded(t, plain); return z[:len(z)/2] }, "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := newSandbox(t)
			path := sb.writeArchive(t, "bad.tar", tt.data(t))
			err := (&Tarball{Path: path}).Build(context.Background(), sb.rootfs, io.Discard)
			t.Logf("Build = %v", err)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("Build = %v, want an error naming %s and containing %q", err, path, tt.want)
			}
		})
	}
}

func TestTarballUnreadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.tar")
	err := (&Tarball{Path: path}).Build(context.Background(), t.TempDir(), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no such file or directory; check the image's path") {
		t.Errorf("Build = %v, want advice to check the path", err)
	}
}
