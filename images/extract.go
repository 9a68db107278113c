//go:build linux

package images

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// extractor writes the entries of a tarball into a rootfs and never outside
// it: every path is resolved from a descriptor of the rootfs by openBeneath,
// which follows no symlink and never climbs above the rootfs, and each entry
// is made by an *at call in its parent directory's descriptor. A symlink in
// the way of an entry is an error; an entry whose own name is a symlink
// replaces the symlink.
type extractor struct {
	root    int  // O_PATH descriptor of the rootfs
	asRoot  bool // restore owners and device nodes
	dirs    map[string]dirMeta
	order   []string // of dirs, as met
	ignored map[string]int
	buf     []byte
	entries int
	bytes   int64
}

// dirMeta is what a directory gets once all entries are written: its mode,
// which could forbid writing into it, and its times, which writing changes.
type dirMeta struct {
	mode  uint32
	times []unix.Timespec
}

// newExtractor returns an extractor into the directory rootfs.
func newExtractor(rootfs string) (*extractor, error) {
	fd, err := unix.Open(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: rootfs, Err: err}
	}
	return &extractor{
		root: fd, asRoot: os.Geteuid() == 0,
		dirs: map[string]dirMeta{}, ignored: map[string]int{},
		buf: make([]byte, 256<<10),
	}, nil
}

// close releases the rootfs descriptor.
func (x *extractor) close() {
	unix.Close(x.root)
}

// extractAll writes every entry of tr, then the modes and times of the
// directories.
func (x *extractor) extractAll(ctx context.Context, tr *tar.Reader) error {
	prev := ""
	for {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return readError(prev, err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		if err := x.extract(h, tr); err != nil {
			return fmt.Errorf("entry %q: %w", h.Name, err)
		}
		x.entries++
		prev = h.Name
	}
	if x.entries == 0 {
		return errors.New("it holds no entries; is it a root filesystem tarball?")
	}
	return x.finish()
}

// readError explains an error of the tar reader after entry prev.
func readError(prev string, err error) error {
	if prev == "" {
		return fmt.Errorf("it is not a tar archive, or a corrupt one: %w", err)
	}
	return fmt.Errorf("after entry %q: %w; the tarball is truncated or corrupt", prev, err)
}

// extract writes one entry, whose content body holds.
func (x *extractor) extract(h *tar.Header, body io.Reader) error {
	name, err := cleanName(h.Name)
	if err != nil {
		return err
	}
	if err := checkOwner(h); err != nil {
		return err
	}
	if h.Typeflag == tar.TypeDir {
		return x.dir(name, h)
	}
	if name == "." {
		return errors.New("it would replace the image's root directory, which must stay a directory")
	}
	parent, base, err := x.parent(name)
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	switch h.Typeflag {
	case tar.TypeLink:
		return x.hardlink(parent, base, name, h)
	case tar.TypeReg, tar.TypeGNUSparse, tar.TypeCont:
		return x.file(parent, base, h, body)
	case tar.TypeSymlink:
		return x.symlink(parent, base, h)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return x.node(parent, base, h)
	}
	return fmt.Errorf("its type %q is not one a root filesystem has", h.Typeflag)
}

// finish gives every directory its mode and times.
func (x *extractor) finish() error {
	for _, name := range x.order {
		m := x.dirs[name]
		fd, err := openBeneath(x.root, name, unix.O_RDONLY|unix.O_DIRECTORY)
		if err != nil {
			continue // replaced by a later entry
		}
		err = unix.Fchmod(fd, m.mode)
		if err == nil {
			err = unix.UtimesNanoAt(fd, "", m.times, unix.AT_EMPTY_PATH)
		}
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("setting the mode and times of directory %s: %w", name, err)
		}
	}
	return nil
}

// summary describes what was unpacked, for progress.
func (x *extractor) summary() string {
	s := fmt.Sprintf("unpacked %d entries, %.1f MiB", x.entries, float64(x.bytes)/(1<<20))
	if ig := ignoredSummary(x.ignored); ig != "" {
		s += "; extended attributes not kept: " + ig
	}
	return s
}

// mode is the permission bits of h, with setuid, setgid and sticky.
func mode(h *tar.Header) uint32 {
	return uint32(h.Mode) & 0o7777
}

// times is the access and modification times of h, for utimensat.
func times(h *tar.Header) []unix.Timespec {
	atime := h.AccessTime
	if atime.IsZero() {
		atime = h.ModTime
	}
	return []unix.Timespec{timespec(atime), timespec(h.ModTime)}
}

func timespec(t time.Time) unix.Timespec {
	if t.IsZero() {
		return unix.Timespec{}
	}
	return unix.NsecToTimespec(t.UnixNano())
}

// ignoreXattrs counts the extended attributes of an entry that cannot hold
// them: the kernel keeps user attributes off symlinks and device nodes.
func (x *extractor) ignoreXattrs(h *tar.Header) {
	for k := range h.PAXRecords {
		if name, ok := strings.CutPrefix(k, xattrPrefix); ok {
			x.ignored[name+" on a symlink or device"]++
		}
	}
}
