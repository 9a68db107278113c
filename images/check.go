//go:build linux

package images

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"vmhost/inroot"

	"golang.org/x/sys/unix"
)

// inImage is how checkExecutable resolves a path of an image: inside its
// rootfs as if it were "/", following the image's own symlinks (an absolute
// one starts again at the rootfs, ".." stops there) and never a magic link.
const inImage = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// checkShell returns nil if rootfs has an executable regular file at /bin/sh,
// following symlinks inside rootfs as the guest would see them.
func checkShell(rootfs string) error {
	return checkExecutable(rootfs, "/bin/sh")
}

// checkExecutable returns nil if rootfs has an executable regular file at
// name, following symlinks inside rootfs as the guest would see them.
func checkExecutable(rootfs, name string) error {
	fd, where, err := openInImage(rootfs, name)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("checking %s: %w", name, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("%s resolves to %s, which is a %s, not a regular file", name, where, inroot.FileKind(st.Mode))
	}
	if st.Mode&0o111 == 0 {
		return fmt.Errorf("%s resolves to %s, which is not executable", name, where)
	}
	return nil
}

// resolveInRoot returns the host path of name inside root, following every
// symlink as if root were "/": an absolute target starts again at root and
// ".." stops at root, so the result never leaves root.
func resolveInRoot(root, name string) (string, error) {
	fd, where, err := openInImage(root, name)
	if err != nil {
		return "", err
	}
	unix.Close(fd)
	return filepath.Join(root, where), nil
}

// openInImage opens name inside rootfs as an O_PATH descriptor, resolved by
// the kernel as inImage says, and returns it with the path it resolved to
// as the guest sees it. Nothing is read, so a FIFO or a device does not
// block.
// Equivalent to: openat2(ROOTFS, NAME, {O_PATH, RESOLVE_IN_ROOT|
// RESOLVE_NO_MAGICLINKS}).
func openInImage(rootfs, name string) (int, string, error) {
	root, err := unix.Open(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, "", fmt.Errorf("opening the rootfs: %w", err)
	}
	defer unix.Close(root)
	fd, err := inroot.Open(root, name, unix.O_PATH, inImage)
	if err != nil {
		return -1, "", fmt.Errorf("resolving %s: %w", name, unwrapPathError(err))
	}
	return fd, inRoot(fdPath(root), fdPath(fd)), nil
}

// fdPath is the host path the kernel holds for fd.
func fdPath(fd int) string {
	p, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	if err != nil {
		return "?"
	}
	return p
}

// inRoot turns a host path under root back into the path the guest sees.
func inRoot(root, host string) string {
	rel, err := filepath.Rel(root, host)
	if err != nil {
		return host
	}
	if rel == "." {
		return "/"
	}
	return "/" + filepath.ToSlash(rel)
}

// unwrapPathError drops the path from an *os.PathError, so that messages
// name paths as the guest sees them, once.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
