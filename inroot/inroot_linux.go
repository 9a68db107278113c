package inroot

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"golang.org/x/sys/unix"
)

// How paths in a tree the daemon or the init does not trust (a guest's root,
// its upper layer) are resolved: always inside the tree, as if it were "/",
// and never through a magic link of /proc.
const (
	// NoSymlinks follows no symlink at all: for mount targets and the
	// directories the init makes, where a symlink is never legitimate.
	NoSymlinks = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS
	// SameFS follows the guest's own symlinks, kept inside its root
	// and on its root file system: never into /proc, /sys, /dev or a mount
	// the guest made (a FUSE file system of its own could hang a read).
	SameFS = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV
)

// Errors of the in-root helpers that callers branch on.
var (
	ErrNotRegular = errors.New("not a regular file")
	ErrTooBig     = errors.New("too big")
)

// Open opens name inside the directory root, resolved as if root were
// "/": ".." stops at root and an absolute symlink starts from it.
// Equivalent to: openat2(root, name, {flags, resolve}), retried when a
// rename elsewhere races the lookup.
func Open(root int, name string, flags int, resolve uint64) (int, error) {
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: resolve}
	if flags&unix.O_CREAT != 0 {
		how.Mode = 0o644
	}
	for i := 0; ; i++ {
		fd, err := unix.Openat2(root, name, &how)
		if err == unix.EAGAIN && i < 16 {
			continue
		}
		if err != nil {
			return -1, &os.PathError{Op: "openat2", Path: name, Err: err}
		}
		return fd, nil
	}
}

// OpenRegular opens name inside root with flags (O_RDONLY or O_RDWR), only
// if it is a regular file: a FIFO, a device, a socket or a directory is
// refused without being opened for I/O, so nothing blocks and no device is
// touched. Symlinks, the last one included, are followed only as resolve
// allows.
// Equivalent to: openat2(O_PATH), fstat, then
// openat2(flags|O_NONBLOCK|O_NOCTTY) of the same inode.
func OpenRegular(root int, name string, flags int, resolve uint64) (int, error) {
	probe, err := Open(root, name, unix.O_PATH, resolve)
	if err != nil {
		return -1, err
	}
	defer unix.Close(probe)
	want, err := regularStat(probe, name)
	if err != nil {
		return -1, err
	}
	fd, err := Open(root, name, flags|unix.O_NONBLOCK|unix.O_NOCTTY, resolve)
	if err != nil {
		return -1, err
	}
	got, err := regularStat(fd, name)
	if err == nil && (got.Dev != want.Dev || got.Ino != want.Ino) {
		err = fmt.Errorf("%s changed while being opened", name)
	}
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// regularStat is fd's stat, or ErrNotRegular naming what fd is instead.
func regularStat(fd int, name string) (unix.Stat_t, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return st, fmt.Errorf("checking %s: %w", name, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return st, fmt.Errorf("%s is a %s: %w", name, FileKind(st.Mode), ErrNotRegular)
	}
	return st, nil
}

// FileKind names the type of a file mode.
func FileKind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return "regular file"
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFLNK:
		return "symlink"
	case unix.S_IFIFO:
		return "FIFO"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	}
	return "file of unknown type"
}

// ReadFile reads the regular file name inside root, refusing one bigger
// than max bytes (ErrTooBig) or not regular (ErrNotRegular).
func ReadFile(root int, name string, resolve uint64, max int) ([]byte, error) {
	fd, err := OpenRegular(root, name, unix.O_RDONLY, resolve)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return readBounded(fd, name, max)
}

// readBounded reads fd whole, refusing more than max bytes (ErrTooBig).
func readBounded(fd int, name string, max int) ([]byte, error) {
	data, more, err := ReadAtMost(fd, max)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if more {
		return nil, fmt.Errorf("%s is bigger than %d bytes: %w", name, max, ErrTooBig)
	}
	return data, nil
}

// ReadAtMost reads up to max bytes of fd, and reports whether there is more.
func ReadAtMost(fd, max int) ([]byte, bool, error) {
	buf := make([]byte, 0, min(max+1, 64<<10))
	for len(buf) <= max {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(cap(buf), max+1-len(buf)))
		}
		n, err := unix.Read(fd, buf[len(buf):min(cap(buf), max+1)])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, false, err
		case n == 0:
			return buf, false, nil
		}
		buf = buf[:len(buf)+n]
	}
	return buf[:max], true, nil
}
