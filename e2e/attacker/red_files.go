package main

import (
	"golang.org/x/sys/unix"
)

// Red team attacks through the guest's own files on what the daemon does
// with them on the host (reset, rm).
func init() {
	register("red-deep-dirs", redDeepDirs)
}

// redDeepDirs makes a chain of DEPTH nested directories named d under
// ROOT, each made relative to the one before, so no path is ever longer
// than a name. It reports depth=N, the depth reached.
//
//	red-deep-dirs ROOT DEPTH
func redDeepDirs(args []string) error {
	depth := intArg(args, 1, 30000)
	if err := unix.Mkdir(args[0], 0o755); err != nil && err != unix.EEXIST {
		return err
	}
	fd, err := unix.Open(args[0], unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	n := 0
	for ; n < depth; n++ {
		if err := unix.Mkdirat(fd, "d", 0o755); err != nil && err != unix.EEXIST {
			break
		}
		next, err := unix.Openat(fd, "d", unix.O_PATH|unix.O_DIRECTORY, 0)
		unix.Close(fd)
		if err != nil {
			break
		}
		fd = next
	}
	unix.Close(fd)
	report("depth", n)
	return nil
}
