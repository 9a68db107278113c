//go:build linux

package images

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// dir creates or updates the directory name. Its mode and times wait for
// finish.
func (x *extractor) dir(name string, h *tar.Header) error {
	fd, err := x.makeDir(name)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if x.asRoot {
		if err := unix.Fchown(fd, h.Uid, h.Gid); err != nil {
			return fmt.Errorf("setting its owner: %w", err)
		}
	}
	if err := x.setXattrs(fd, h); err != nil {
		return err
	}
	if _, ok := x.dirs[name]; !ok {
		x.order = append(x.order, name)
	}
	x.dirs[name] = dirMeta{mode: mode(h), times: times(h)}
	return nil
}

// makeDir makes the directory name unless it is one already, replacing
// what else is there, and opens it.
func (x *extractor) makeDir(name string) (int, error) {
	if name == "." {
		return openBeneath(x.root, ".", unix.O_RDONLY|unix.O_DIRECTORY)
	}
	parent, base, err := x.parent(name)
	if err != nil {
		return -1, err
	}
	defer unix.Close(parent)
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	if err := unix.Mkdirat(parent, base, 0o700); err != unix.EEXIST {
		if err != nil {
			return -1, fmt.Errorf("creating it: %w", err)
		}
		return unix.Openat(parent, base, flags, 0)
	}
	fd, err := unix.Openat(parent, base, flags, 0)
	if err != unix.ELOOP && err != unix.ENOTDIR {
		return fd, err // a directory already, or a real error
	}
	if err := clearEntry(parent, base); err != nil { // a symlink or a file
		return -1, err
	}
	if err := unix.Mkdirat(parent, base, 0o700); err != nil {
		return -1, fmt.Errorf("creating it: %w", err)
	}
	return unix.Openat(parent, base, flags, 0)
}

// file writes a regular file with its content, owner, mode, extended
// attributes and times, in that order: a chown clears setuid bits and file
// capabilities.
func (x *extractor) file(parent int, base string, h *tar.Header, body io.Reader) error {
	if err := clearEntry(parent, base); err != nil {
		return err
	}
	const flags = unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat(parent, base, flags, 0o600)
	if err != nil {
		return fmt.Errorf("creating it: %w", err)
	}
	f := os.NewFile(uintptr(fd), base)
	err = x.fill(f, h, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return setTimes(parent, base, h)
}

// fill writes the content and metadata of the new file f.
func (x *extractor) fill(f *os.File, h *tar.Header, body io.Reader) error {
	n, err := io.CopyBuffer(struct{ io.Writer }{f}, body, x.buf)
	x.bytes += n
	if err != nil {
		return fmt.Errorf("writing its content: %w", err)
	}
	fd := int(f.Fd())
	if x.asRoot {
		if err := unix.Fchown(fd, h.Uid, h.Gid); err != nil {
			return fmt.Errorf("setting its owner: %w", err)
		}
	}
	if err := unix.Fchmod(fd, mode(h)); err != nil {
		return fmt.Errorf("setting its mode: %w", err)
	}
	return x.setXattrs(fd, h)
}

// symlink makes a symlink. Its target is kept as it is: the guest resolves
// it inside its own root.
func (x *extractor) symlink(parent int, base string, h *tar.Header) error {
	if h.Linkname == "" {
		return errors.New("it is a symlink with an empty target")
	}
	if err := clearEntry(parent, base); err != nil {
		return err
	}
	if err := unix.Symlinkat(h.Linkname, parent, base); err != nil {
		return fmt.Errorf("creating it: %w", err)
	}
	x.ignoreXattrs(h)
	return x.ownAndTime(parent, base, h)
}

// node makes a character or block device or a FIFO. Guests cannot open the
// devices, but the image keeps them as the tarball has them.
func (x *extractor) node(parent int, base string, h *tar.Header) error {
	kind := map[byte]uint32{tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK, tar.TypeFifo: unix.S_IFIFO}[h.Typeflag]
	if err := clearEntry(parent, base); err != nil {
		return err
	}
	dev := unix.Mkdev(uint32(h.Devmajor), uint32(h.Devminor))
	err := unix.Mknodat(parent, base, kind|mode(h)&0o777, int(dev))
	if err == unix.EPERM && kind != unix.S_IFIFO {
		return errors.New("creating a device node needs root: build the image as root")
	}
	if err != nil {
		return fmt.Errorf("creating it: %w", err)
	}
	if err := unix.Fchmodat(parent, base, mode(h), 0); err != nil {
		return fmt.Errorf("setting its mode: %w", err)
	}
	x.ignoreXattrs(h)
	return x.ownAndTime(parent, base, h)
}

// hardlink links base in parent to an entry made before it. The target is
// resolved inside the rootfs like any entry's name: ".." is refused, a
// leading "/" dropped, and no symlink followed on the way.
func (x *extractor) hardlink(parent int, base, name string, h *tar.Header) error {
	target, err := cleanName(h.Linkname)
	if err != nil {
		return fmt.Errorf("its hard link target %q: %w", h.Linkname, err)
	}
	if target == name {
		return nil
	}
	if target == "." {
		return errors.New("it is a hard link to the image's root directory")
	}
	tparent, tbase, err := x.lookupParent(target)
	if err != nil {
		return fmt.Errorf("its hard link target %q: %w", h.Linkname, err)
	}
	defer unix.Close(tparent)
	if err := clearEntry(parent, base); err != nil {
		return err
	}
	switch err := unix.Linkat(tparent, tbase, parent, base, 0); err {
	case nil:
		return nil
	case unix.ENOENT:
		return fmt.Errorf("it is a hard link to %q, which is not in the image; a hard link must follow the entry it links to", h.Linkname)
	case unix.EPERM:
		return fmt.Errorf("it is a hard link to %q, which is a directory", h.Linkname)
	default:
		return fmt.Errorf("linking it to %q: %w", h.Linkname, err)
	}
}

// ownAndTime sets the owner and times of base in parent, never following
// it if it is a symlink.
func (x *extractor) ownAndTime(parent int, base string, h *tar.Header) error {
	if x.asRoot {
		if err := unix.Fchownat(parent, base, h.Uid, h.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("setting its owner: %w", err)
		}
	}
	return setTimes(parent, base, h)
}

// setTimes sets the times of base in parent, not following a symlink.
func setTimes(parent int, base string, h *tar.Header) error {
	if err := unix.UtimesNanoAt(parent, base, times(h), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("setting its times: %w", err)
	}
	return nil
}

// setXattrs restores the extended attributes of h that are kept on the
// open file or directory fd.
func (x *extractor) setXattrs(fd int, h *tar.Header) error {
	for _, name := range xattrs(h, x.ignored) {
		if err := unix.Fsetxattr(fd, name, []byte(h.PAXRecords[xattrPrefix+name]), 0); err != nil {
			return fmt.Errorf("setting its extended attribute %s: %w", name, err)
		}
	}
	return nil
}
