package images

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
)

// Tarball builds an image from a root filesystem tarball, such as the output
// of `docker export` or the rootfs.tar.xz of an LXC image: uncompressed, or
// compressed with gzip, xz, zstd or bzip2 (all read in Go), told apart
// by their first bytes.
//
// Entries keep their numeric owners (which must be below 65536: guests see
// ids 0..65535), modes with setuid, setgid and sticky bits, times, symlinks,
// hard links, device nodes and FIFOs, and the extended attributes that
// keptXattr lists, such as security.capability. A hostile tarball writes
// nothing outside the image: a leading "/" is dropped (an absolute name lands
// inside the image, as with GNU tar), a ".." component is an error, an entry
// is never written through a symlink (one made by an earlier entry, such as
// evil -> /etc, makes evil/passwd an error) and an entry named like a
// symlink replaces the symlink.
type Tarball struct {
	// Path is the tarball, the config's path.
	Path string
}

// Build unpacks the tarball into rootfs. Equivalent to:
//
//	tar -x --numeric-owner --xattrs -C ROOTFS -f PATH
//
// with the protections above.
func (t *Tarball) Build(ctx context.Context, rootfs string, progress io.Writer) error {
	f, err := os.Open(t.Path)
	if err != nil {
		return fmt.Errorf("reading the tarball: %w; check the image's path: in the config", err)
	}
	defer f.Close()
	r, format, err := decompress(ctx, f)
	if err != nil {
		return fmt.Errorf("reading %s: %w", t.Path, err)
	}
	defer r.Close()
	fmt.Fprintf(progress, "unpacking %s (%s)...\n", t.Path, format)
	x, err := newExtractor(rootfs)
	if err != nil {
		return err
	}
	defer x.close()
	if err := x.extractAll(ctx, tar.NewReader(r)); err != nil {
		return fmt.Errorf("unpacking %s: %w", t.Path, err)
	}
	fmt.Fprintln(progress, x.summary())
	return nil
}
