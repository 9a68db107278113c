package guestinit

import (
	"fmt"
	"log/slog"
	"path"
	"runtime"
	"sync"
	"vmhost/inroot"
	"vmhost/protocol"

	"golang.org/x/sys/unix"
)

// viewMount is one view file ready to attach: a detached, read-only mount
// of the view server's file, for the guest path it covers.
type viewMount struct {
	path string // in the guest, one of protocol.ViewFiles
	fd   int    // detached mount (open_tree clone)
}

// views records the mounts the init attached over the guest's view files,
// by guest path and mount id, so that a refresh takes away its own mounts
// and nothing the guest's root mounted there.
type views struct {
	mu  sync.Mutex
	ids map[string]uint64
}

// initViews is the init's record of its view mounts.
var initViews = &views{ids: make(map[string]uint64)}

// viewAttrs are the flags of every view mount.
const viewAttrs = unix.MOUNT_ATTR_RDONLY | nosuidNodevNoexec

// cloneView makes detached mounts of the view servers' files that v names,
// while the host's tree is still in sight (before the pivot). A file that
// cannot be cloned is a log line: the guest keeps the kernel's file.
// Equivalent to: mount --bind -o ro,nosuid,nodev,noexec DIR/FILE (not attached anywhere)
func cloneView(log *slog.Logger, v *protocol.View) []viewMount {
	if v == nil {
		return nil
	}
	var out []viewMount
	for _, src := range v.Sources {
		for _, p := range src.Files {
			if !protocol.IsViewFile(p) {
				continue
			}
			fd, err := cloneViewFile(path.Join(src.Dir, p))
			if err != nil {
				log.Warn("guest init: no view of "+p+"; the kernel's file stays", "err", err)
				continue
			}
			out = append(out, viewMount{path: p, fd: fd})
		}
	}
	return out
}

// cloneViewFile makes a detached, read-only mount of the file at name.
func cloneViewFile(name string) (int, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, name, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return -1, err
	}
	if err := setViewAttrs(fd); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// setViewAttrs makes the detached mount fd read-only, nosuid, nodev and
// noexec, and private: no mount event reaches it from the host's tree, nor
// goes from it to the host's.
// Equivalent to: mount -o remount,bind,ro,nosuid,nodev,noexec MNT; mount --make-private MNT
func setViewAttrs(fd int) error {
	attr := unix.MountAttr{Attr_set: viewAttrs, Propagation: unix.MS_PRIVATE}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		return fmt.Errorf("making the view read-only: %w", err)
	}
	return nil
}

// attach attaches each of ms over its guest path in root (resolved inside
// the root, through no symlink), replacing a mount of the init's own that is
// there already, and closes every one of ms. It returns how many it
// attached; a path it cannot cover is a log line.
func (vs *views) attach(root guestRoot, ms []viewMount) int {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	n := 0
	for _, m := range ms {
		if err := vs.attachOne(root, m); err != nil {
			root.log.Warn("guest init: no view of "+m.path+"; the kernel's file stays", "err", err)
			continue
		}
		n++
	}
	return n
}

// attachOne attaches m over its path and closes m.fd.
func (vs *views) attachOne(root guestRoot, m viewMount) error {
	id, err := mountID(m.fd)
	if err != nil {
		unix.Close(m.fd)
		return err
	}
	vs.detachLocked(root, m.path)
	target, err := inroot.Open(root.fd, m.path, unix.O_PATH|unix.O_NOFOLLOW, inroot.NoSymlinks)
	if err != nil {
		unix.Close(m.fd)
		return err
	}
	defer unix.Close(target)
	if err := attachMount(m.fd, target); err != nil {
		return err
	}
	vs.ids[m.path] = id
	return nil
}

// detachAll takes every view mount of the init's away.
func (vs *views) detachAll(root guestRoot) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	for p := range vs.ids {
		vs.detachLocked(root, p)
	}
}

// detachLocked takes the init's view mount on p away, when it is the top
// mount there; one the guest's root stacked over it, or took away itself,
// is left as it is. Called with vs.mu held.
func (vs *views) detachLocked(root guestRoot, p string) {
	want, ok := vs.ids[p]
	if !ok {
		return
	}
	delete(vs.ids, p)
	target, err := inroot.Open(root.fd, p, unix.O_PATH|unix.O_NOFOLLOW, inroot.NoSymlinks)
	if err != nil {
		return
	}
	id, err := mountID(target)
	unix.Close(target)
	if err != nil || id != want {
		return
	}
	dir, err := inroot.Open(root.fd, path.Dir(p), unix.O_PATH|unix.O_DIRECTORY, inroot.NoSymlinks)
	if err != nil {
		return
	}
	defer unix.Close(dir)
	if err := unmountAt(dir, path.Base(p)); err != nil {
		root.log.Warn("guest init: taking the old view of "+p+" away", "err", err)
	}
}

// mountID returns the id of the mount fd is on. It asks no file system
// (AT_STATX_DONT_SYNC): a dead FUSE server's mount answers too.
// Equivalent to: stat --format %m-like statx(FD, "", STATX_MNT_ID)
func mountID(fd int) (uint64, error) {
	var st unix.Statx_t
	flags := unix.AT_EMPTY_PATH | unix.AT_STATX_DONT_SYNC | unix.AT_SYMLINK_NOFOLLOW
	if err := unix.Statx(fd, "", flags, unix.STATX_MNT_ID, &st); err != nil {
		return 0, fmt.Errorf("finding the mount: %w", err)
	}
	if st.Mask&unix.STATX_MNT_ID == 0 {
		return 0, fmt.Errorf("finding the mount: the kernel gives no mount id")
	}
	return st.Mnt_id, nil
}

// unmountAt lazily unmounts the top mount on name in the directory dir (an
// O_PATH descriptor), following no symlink. It works from a thread of its
// own with its own working directory, which ends with it, so the init's
// other threads keep theirs.
// Equivalent to: cd /proc/self/fd/DIR && umount -l --no-follow NAME
func unmountAt(dir int, name string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with its own cwd
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			errc <- fmt.Errorf("unsharing the working directory: %w", err)
			return
		}
		if err := unix.Fchdir(dir); err != nil {
			errc <- err
			return
		}
		errc <- unix.Unmount(name, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW)
	}()
	return <-errc
}
