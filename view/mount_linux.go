package view

import (
	"errors"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// fuseSuperMagic is the f_type of a FUSE file system.
const fuseSuperMagic = 0x65735546

// isLive reports whether a FUSE file system that answers is mounted on mnt,
// with the file probe (relative to mnt) of its own. A dead server's mount fails with
// ENOTCONN and is not live.
func isLive(mnt, probe string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(mnt, &st); err != nil || st.Type != fuseSuperMagic {
		return false
	}
	var fst unix.Stat_t
	return unix.Stat(filepath.Join(mnt, probe), &fst) == nil
}

// detachMounts lazily unmounts whatever is mounted on mnt, a dead server's
// mount included; the processes that still read from one see it go when
// they close it. mnt is the daemon's own mount point: nothing else belongs
// there.
// Equivalent to: while umount -l MNT; do :; done
func detachMounts(mnt string) error {
	for i := 0; i < 16; i++ {
		err := unix.Unmount(mnt, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW)
		if errors.Is(err, unix.EINVAL) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// exists reports whether rel exists under mnt.
func exists(mnt, rel string) bool {
	var st unix.Stat_t
	return unix.Stat(filepath.Join(mnt, rel), &st) == nil
}

// cloneFile makes a detached bind mount of path.
// Equivalent to: mount --bind PATH (not attached anywhere)
func cloneFile(path string) (int, error) {
	return unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
}
