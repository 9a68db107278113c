package reserve

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Statfs returns what the file system of path has free.
// Equivalent to: df --output=avail,iavail,itotal PATH
func Statfs(path string) (Space, error) {
	var fs unix.Statfs_t
	if err := unix.Statfs(path, &fs); err != nil {
		return Space{}, fmt.Errorf("reading the free space of %s: %w", path, err)
	}
	unit := uint64(fs.Frsize)
	if unit == 0 {
		unit = uint64(fs.Bsize)
	}
	return Space{FreeBytes: fs.Bavail * unit, FreeInodes: fs.Ffree, Inodes: fs.Files}, nil
}
