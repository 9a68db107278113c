package guest

import (
	"bytes"
	"errors"
	"fmt"
	"vmhost/inroot"

	"golang.org/x/sys/unix"
)

// resolveUpper resolves a path in a guest's upper layer, on the host: no
// symlink of any kind, nothing outside the layer, no other file system.
const resolveUpper = inroot.NoSymlinks | unix.RESOLVE_NO_XDEV

// upperFileIsOurs reports whether the file name of the guest's upper layer
// upper is one the guest has not made its own: missing from the layer (the
// image's, or none), or a regular file starting with marker. A symlink, a
// whiteout, a FIFO or a directory is the guest's (false, with why as the
// error); the file is opened for reading only when regular, and only
// len(marker) bytes of it are read.
func upperFileIsOurs(upper, name, marker string) (bool, error) {
	dir, err := unix.Open(upper, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) { // a guest's first start
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("opening the upper layer: %w", err)
	}
	defer unix.Close(dir)
	fd, err := inroot.OpenRegular(dir, name, unix.O_RDONLY, resolveUpper)
	if errors.Is(err, unix.ENOENT) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	head, _, err := inroot.ReadAtMost(fd, len(marker))
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", name, err)
	}
	return bytes.Equal(head, []byte(marker)), nil
}
