package images

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFS flushes the filesystem holding path to disk, so that a build is on
// disk before it is renamed into place: one flush for the whole tree rather
// than one per file. Equivalent to: `sync -f PATH`.
func syncFS(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
