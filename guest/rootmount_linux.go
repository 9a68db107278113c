package guest

import (
	"fmt"
	"os"
	"runtime"
	"vmhost/protocol"

	"golang.org/x/sys/unix"
)

// rootMount builds a guest's root filesystem as a detached mount, visible in
// no mount namespace until the guest's init attaches it in its own: an
// overlay whose lower layer is the image seen through an idmapped mount (ids
// 0..65535 of the image become the guest's range, no copy, no chown), and
// whose upper layer is the guest's own directory. A creator other than 0
// makes the overlay as that id (fsuid and fsgid, with the daemon's
// capabilities): the guest's root, for upper and work directories on a
// volume mapped to the guest's range, where the daemon's own id 0 has no
// mapping and could create nothing.
// Equivalent to: mount --bind -o X-mount.idmap=/proc/PID/ns/user IMAGE LOWER;
// mount -t overlay -o lowerdir=LOWER,upperdir=UPPER,workdir=WORK overlay ROOT
func rootMount(image, upper, work string, userns *os.File, creator uint32) (int, error) {
	lower, err := idmappedTree(image, userns)
	if err != nil {
		return -1, err
	}
	defer unix.Close(lower)
	fs, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("opening an overlay: %w", err)
	}
	defer unix.Close(fs)
	dirs, err := openDirs(upper, work)
	if err != nil {
		return -1, err
	}
	defer protocol.CloseAll(dirs)
	// Layers given as descriptors show in the guest's mount table as
	// /proc/self/fd/N, not as paths of the host's data_dir.
	opts := [][2]string{
		{"lowerdir", fmt.Sprintf("/proc/self/fd/%d", lower)},
		{"upperdir", fmt.Sprintf("/proc/self/fd/%d", dirs[0])},
		{"workdir", fmt.Sprintf("/proc/self/fd/%d", dirs[1])},
	}
	for _, o := range opts {
		if err := unix.FsconfigSetString(fs, o[0], o[1]); err != nil {
			return -1, fmt.Errorf("setting overlay %s: %w", o[0], err)
		}
	}
	if err := asCreator(creator, func() error { return unix.FsconfigCreate(fs) }); err != nil {
		return -1, fmt.Errorf("creating the overlay: %w", err)
	}
	mnt, err := unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("mounting the overlay: %w", err)
	}
	return mnt, nil
}

// openDirs opens each of paths as an O_PATH directory descriptor.
func openDirs(paths ...string) ([]int, error) {
	var fds []int
	for _, p := range paths {
		fd, err := unix.Open(p, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			protocol.CloseAll(fds)
			return nil, fmt.Errorf("opening %s: %w", p, err)
		}
		fds = append(fds, fd)
	}
	return fds, nil
}

// idmappedTree clones the image directory as a detached, read-only mount whose
// ids are mapped through userns.
func idmappedTree(image string, userns *os.File) (int, error) {
	tree, err := unix.OpenTree(unix.AT_FDCWD, image, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("cloning image tree %s: %w", image, err)
	}
	attr := unix.MountAttr{
		Attr_set:  unix.MOUNT_ATTR_IDMAP | unix.MOUNT_ATTR_RDONLY,
		Userns_fd: uint64(userns.Fd()),
	}
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		unix.Close(tree)
		return -1, fmt.Errorf("idmapping image tree %s (needs a kernel and filesystem with idmapped mounts): %w", image, err)
	}
	return tree, nil
}

// asCreator calls f with the fsuid and fsgid id, keeping the daemon's
// capabilities, when id is not 0: an overlay keeps the credentials it was
// created with and makes its work files with them. f runs on an OS thread
// of its own, which ends with it: no other goroutine ever runs with those
// credentials.
// Equivalent to: setfsuid(ID); setfsgid(ID); capset(effective = permitted); F
func asCreator(id uint32, f func() error) error {
	if id == 0 {
		return f()
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		done <- setCreator(id, f)
	}()
	return <-done
}

// setCreator sets this thread's fsuid and fsgid to id, raises again the
// capabilities a non-zero fsuid drops, and calls f.
func setCreator(id uint32, f func() error) error {
	unix.Setfsgid(int(id))
	unix.Setfsuid(int(id))
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var caps [2]unix.CapUserData
	if err := unix.Capget(&hdr, &caps[0]); err != nil {
		return fmt.Errorf("reading capabilities: %w", err)
	}
	for i := range caps {
		caps[i].Effective = caps[i].Permitted
	}
	if err := unix.Capset(&hdr, &caps[0]); err != nil {
		return fmt.Errorf("raising capabilities: %w", err)
	}
	return f()
}
