package guestinit

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// newMount makes a detached mount of a new file system of type fstype.
// Equivalent to: mount -t FSTYPE -o OPTS none (not attached anywhere)
func newMount(fstype string, opts []string, attrs uint64) (int, error) {
	fs, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("opening a %s: %w", fstype, err)
	}
	defer unix.Close(fs)
	for _, o := range opts {
		key, value, ok := strings.Cut(o, "=")
		if ok {
			err = unix.FsconfigSetString(fs, key, value)
		} else {
			err = unix.FsconfigSetFlag(fs, key)
		}
		if err != nil {
			return -1, fmt.Errorf("setting %s: %w", o, err)
		}
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return -1, fmt.Errorf("creating a %s: %w", fstype, err)
	}
	return unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, int(attrs))
}

// attachMount attaches the detached mount mnt on the file or directory
// target (a descriptor, never a path), and closes mnt.
// Equivalent to: mount --move MNT /proc/self/fd/TARGET
func attachMount(mnt, target int) error {
	defer unix.Close(mnt)
	return unix.MoveMount(mnt, "", target, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
}

// cloneHost makes a detached bind mount of a path of the host's (never of the
// guest's), such as /dev/null.
// Equivalent to: mount --bind PATH (not attached anywhere)
func cloneHost(path string) (int, error) {
	return unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
}
