package images

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"context"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// compression is one compressed format a tarball can come in, told by the
// magic bytes it starts with.
type compression struct {
	name  string
	magic string
	open  func(ctx context.Context, r io.Reader) (io.ReadCloser, error)
}

// compressions are the formats decompress knows besides plain tar.
var compressions = []compression{
	{"gzip", "\x1f\x8b", openGzip},
	{"xz", "\xfd7zXZ\x00", openXz},
	{"zstd", "\x28\xb5\x2f\xfd", openZstd},
	{"bzip2", "BZh", openBzip2},
}

// decompress returns the uncompressed content of r and the name of the
// format it was in: "gzip", "xz", "zstd", "bzip2" or "uncompressed". It
// looks at the magic bytes, never at a file name.
func decompress(ctx context.Context, r io.Reader) (io.ReadCloser, string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(8) // a short or empty file is left to the tar reader
	for _, c := range compressions {
		if bytes.HasPrefix(head, []byte(c.magic)) {
			rc, err := c.open(ctx, br)
			if err != nil {
				return nil, "", fmt.Errorf("opening it as %s: %w", c.name, err)
			}
			return rc, c.name, nil
		}
	}
	return io.NopCloser(br), "uncompressed", nil
}

func openGzip(_ context.Context, r io.Reader) (io.ReadCloser, error) {
	return gzip.NewReader(r)
}

func openBzip2(_ context.Context, r io.Reader) (io.ReadCloser, error) {
	return io.NopCloser(bzip2.NewReader(r)), nil
}

func openZstd(_ context.Context, r io.Reader) (io.ReadCloser, error) {
	d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	return d.IOReadCloser(), nil
}

// openXz decompresses xz in the daemon itself, multi-stream and with
// padding as `xz -dc` reads it, so that no xz program needs to be installed
// and no child process outlives a cancelled build.
func openXz(_ context.Context, r io.Reader) (io.ReadCloser, error) {
	xr, err := xz.NewReader(r)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(xzErrors{xr}), nil
}

// xzErrors says "decompressing xz" in front of every error but the end of
// the stream, so that a corrupt stream is told from a corrupt tarball.
type xzErrors struct{ r io.Reader }

// Read reads from the xz reader.
func (x xzErrors) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("decompressing xz: %w", err)
	}
	return n, err
}
