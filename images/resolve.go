//go:build linux

package images

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// beneath is how the extractor resolves a path inside the rootfs: never
// above the starting directory, and through no symlink at all, so that a
// symlink made by the tarball (evil -> /etc) is never followed.
const beneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// openBeneath opens name relative to dirfd, resolved as beneath says.
// Equivalent to: openat2(DIRFD, NAME, {FLAGS|O_CLOEXEC, RESOLVE_BENEATH|
// RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS}).
func openBeneath(dirfd int, name string, flags int) (int, error) {
	how := &unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: beneath}
	for i := 0; ; i++ {
		fd, err := unix.Openat2(dirfd, name, how)
		if (err == unix.EAGAIN || err == unix.EINTR) && i < 100 {
			continue // a rename raced the lookup
		}
		if err == unix.ENOSYS {
			return -1, errors.New("this kernel lacks openat2 (Linux 5.6 or later is needed to unpack tarballs safely)")
		}
		return fd, err
	}
}

// splitName splits a cleaned relative name into its directory, "." for the
// rootfs itself, and its last component.
func splitName(name string) (string, string) {
	dir, base := path.Split(name)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	return dir, base
}

// parent opens the directory that holds name as an O_PATH descriptor,
// creating missing directories on the way as GNU tar does, and returns it
// with the last component of name. The caller closes the descriptor.
func (x *extractor) parent(name string) (int, string, error) {
	dir, base := splitName(name)
	fd, err := openBeneath(x.root, dir, unix.O_PATH|unix.O_DIRECTORY)
	if err == unix.ENOENT {
		fd, err = x.mkdirAll(dir)
	}
	if err != nil {
		return -1, "", pathError(dir, err)
	}
	return fd, base, nil
}

// lookupParent is parent for a name that must exist already: it creates
// nothing.
func (x *extractor) lookupParent(name string) (int, string, error) {
	dir, base := splitName(name)
	fd, err := openBeneath(x.root, dir, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return -1, "", pathError(dir, err)
	}
	return fd, base, nil
}

// mkdirAll creates the missing directories of dir, one component at a time
// with mkdirat, mode 0755 and owned by root, and opens dir.
func (x *extractor) mkdirAll(dir string) (int, error) {
	cur, err := openBeneath(x.root, ".", unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return -1, err
	}
	for _, c := range strings.Split(dir, "/") {
		err := unix.Mkdirat(cur, c, 0o755)
		if err == nil && x.asRoot {
			err = unix.Fchownat(cur, c, 0, 0, unix.AT_SYMLINK_NOFOLLOW)
		}
		if err != nil && err != unix.EEXIST {
			unix.Close(cur)
			return -1, err
		}
		next, err := openBeneath(cur, c, unix.O_PATH|unix.O_DIRECTORY)
		unix.Close(cur)
		if err != nil {
			return -1, err
		}
		cur = next
	}
	return cur, nil
}

// pathError explains why the directory dir of an entry could not be opened.
func pathError(dir string, err error) error {
	switch err {
	case unix.ELOOP:
		return fmt.Errorf("%s is a symlink, or a directory on its way is: tarball entries are never written through a symlink", dir)
	case unix.ENOTDIR:
		return fmt.Errorf("%s is not a directory in the image", dir)
	case unix.EXDEV:
		return fmt.Errorf("%s leads out of the image", dir)
	case unix.ENOENT:
		return fmt.Errorf("%s is not in the image", dir)
	}
	return fmt.Errorf("opening %s: %w", dir, err)
}

// clearEntry removes whatever is at base in parent, so that an entry replaces it
// rather than writing through it: a symlink is removed, never followed; a
// directory only if it is empty.
func clearEntry(parent int, base string) error {
	var st unix.Stat_t
	err := unix.Fstatat(parent, base, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err == unix.ENOENT {
		return nil
	}
	if err != nil {
		return err
	}
	flags := 0
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		flags = unix.AT_REMOVEDIR
	}
	err = unix.Unlinkat(parent, base, flags)
	if err == unix.ENOTEMPTY || err == unix.EEXIST {
		return errors.New("it would replace a directory that is not empty")
	}
	return err
}
