package guest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// A volume guest (a guest of a cluster with storage class volume) keeps its
// own files on a volume the cluster mounts on whichever node runs it, so
// that they go with it from node to node. Each node gives the guest an id
// range of its own, so the files on the volume are kept with the ids the
// guest sees (0..65535), and each node sees them through an idmapped mount
// that maps them to its range: no chown when the guest moves.
//
// On the volume:   VOLUME/vmhost/upper, VOLUME/vmhost/work (ids as the guest sees them)
// On the node:     <data_dir>/volumes/<id>/, VOLUME/vmhost mapped to the guest's range,
//                  mounted nosuid,nodev while the guest runs.

// volumeSubdir is the guest's directory on its volume.
const volumeSubdir = "vmhost"

// VolumePolicy is a Policy that keeps the files of some guests on volumes
// (the cluster agent role's policy does, for volume guests).
type VolumePolicy interface {
	// GuestVolume is the directory where the volume of owner's guest name
	// is mounted on this host, or "" when its files live in data_dir.
	GuestVolume(owner, name string) string
}

// volumeOf is the volume of guest st by the policy in use, or "".
func (m *Manager) volumeOf(st *State) string {
	if vp, ok := m.policy().(VolumePolicy); ok {
		return vp.GuestVolume(st.Owner, st.Name)
	}
	return ""
}

// volumeMount is where the volume of guest id is mounted for it.
func (m *Manager) volumeMount(id string) string {
	return filepath.Join(m.opts.DataDir, "volumes", id)
}

// attachVolume mounts the guest's directory on the volume at vol, made
// if missing, at <data_dir>/volumes/<id>, mapped to the guest's id range,
// and returns the mount point, which holds upper/ and work/. A mount left
// there (a daemon killed while the guest ran) is replaced: it may be of
// the volume as the kubelet mounted it for an older pod.
// Equivalent to: mkdir -p VOL/vmhost/upper VOL/vmhost/work;
// mount --bind -o X-mount.idmap=b:0:IDBASE:IDSIZE,nosuid,nodev VOL/vmhost MOUNT
func (m *Manager) attachVolume(st *State, vol string) (string, error) {
	mnt := m.volumeMount(st.ID())
	if _, err := m.detachVolume(st.ID()); err != nil {
		return "", err
	}
	src, err := guestDirOnVolume(vol)
	if err != nil {
		return "", err
	}
	defer unix.Close(src)
	userns, err := newUserns(m.opts.Exe, st.IDBase, st.IDSize)
	if err != nil {
		return "", fmt.Errorf("mapping the volume %s: %w", vol, err)
	}
	defer userns.Close()
	tree, err := unix.OpenTree(src, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
	if err != nil {
		return "", fmt.Errorf("cloning %s/%s: %w", vol, volumeSubdir, err)
	}
	defer unix.Close(tree)
	attr := unix.MountAttr{
		Attr_set:  unix.MOUNT_ATTR_IDMAP | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV,
		Userns_fd: uint64(userns.Fd()),
	}
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		return "", fmt.Errorf("mapping the volume %s to the guest's ids (its file system must support idmapped mounts, as ext4, xfs, btrfs and tmpfs do): %w", vol, err)
	}
	if err := os.MkdirAll(mnt, 0o700); err != nil {
		return "", fmt.Errorf("making the volume's mount point: %w", err)
	}
	if err := unix.MoveMount(tree, "", unix.AT_FDCWD, mnt, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return "", fmt.Errorf("mounting the volume %s at %s: %w", vol, mnt, err)
	}
	return mnt, nil
}

// guestDirOnVolume opens vol/vmhost as an O_PATH directory, making it and
// its upper/ and work/ (owned by the guest's root: id 0 on the volume)
// when missing. Whatever the volume holds, nothing is followed out of it:
// a symbolic link where a directory should be is refused.
func guestDirOnVolume(vol string) (int, error) {
	root, err := unix.Open(vol, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("opening the volume %s: %w", vol, err)
	}
	defer unix.Close(root)
	dir, err := ownedSubdir(root, volumeSubdir)
	if err != nil {
		return -1, fmt.Errorf("the volume %s: %w", vol, err)
	}
	for _, d := range []string{upperDir, workSubdir} {
		fd, err := ownedSubdir(dir, d)
		if err != nil {
			unix.Close(dir)
			return -1, fmt.Errorf("the volume %s: %w", vol, err)
		}
		unix.Close(fd)
	}
	return dir, nil
}

// ownedSubdir opens the directory name in dir as O_PATH, made 0755 and
// owned by id 0 when missing; a name that is not a directory (a symbolic
// link among others) is an error.
// Equivalent to: mkdir -p DIR/NAME
func ownedSubdir(dir int, name string) (int, error) {
	err := unix.Mkdirat(dir, name, 0o755)
	if err == nil {
		err = unix.Fchownat(dir, name, 0, 0, unix.AT_SYMLINK_NOFOLLOW)
	}
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return -1, fmt.Errorf("making %s: %w", name, err)
	}
	fd, err := unix.Openat(dir, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("opening %s (it must be a directory): %w", name, err)
	}
	return fd, nil
}

// detachVolume unmounts the volume of guest id if it is mounted, once the
// guest has stopped. It reports whether it was.
// Equivalent to: umount --lazy MOUNT; rmdir MOUNT
func (m *Manager) detachVolume(id string) (bool, error) {
	mnt := m.volumeMount(id)
	ok, err := isMountRoot(mnt)
	if err != nil || !ok {
		return false, err
	}
	if err := unix.Unmount(mnt, unix.MNT_DETACH); err != nil {
		return true, fmt.Errorf("unmounting the volume of guest %s: %w", id, err)
	}
	if err := os.Remove(mnt); err != nil {
		m.log.Info("removing a volume's mount point", "dir", mnt, "err", err)
	}
	return true, nil
}

// mountedVolume returns the mount point of the volume of guest id while it
// is mounted.
func (m *Manager) mountedVolume(id string) (string, bool) {
	mnt := m.volumeMount(id)
	ok, err := isMountRoot(mnt)
	return mnt, err == nil && ok
}

// volumeUsage is what the volume at mnt holds and may hold: the volume is
// the guest's disk.
// Equivalent to: df --output=size,used,itotal,iused MOUNT
func volumeUsage(mnt string) (DiskUsage, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(mnt, &st); err != nil {
		return DiskUsage{}, fmt.Errorf("reading the use of %s: %w", mnt, err)
	}
	return DiskUsage{
		Bytes:       int64(st.Blocks-st.Bfree) * st.Bsize,
		LimitBytes:  int64(st.Blocks) * st.Bsize,
		Inodes:      int64(st.Files - st.Ffree),
		LimitInodes: int64(st.Files),
	}, nil
}

// isMountRoot reports whether dir is the root of a mount; a missing dir is
// not.
// Equivalent to: mountpoint -q DIR
func isMountRoot(dir string) (bool, error) {
	var st unix.Statx_t
	err := unix.Statx(unix.AT_FDCWD, dir, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_BASIC_STATS, &st)
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("looking at %s: %w", dir, err)
	}
	return st.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT != 0 && st.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0, nil
}

// ErrVolumeReset is returned for a reset of a volume guest: its files are
// the volume's, kept or dropped with the volume's claim.
var ErrVolumeReset = errors.New("drop its files by deleting the volume's claim, and its Guest with it")
