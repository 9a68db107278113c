package guestinit

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
	"vmhost/inroot"

	"golang.org/x/sys/unix"
)

// setupRoot mounts the guest's root (a detached mount, rootFD) on dir in the
// init's own mount namespace, fills in /proc, /sys and /dev as on a small VM,
// hides what runc and LXC hide, and pivots into it. Every mount target and
// directory it makes is resolved inside the guest's root (see guestRoot): no
// path of the guest's files leads to the host's, whose tree the init still
// sees until the pivot.
func setupRoot(log *slog.Logger, rootFD int, dir string) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	if err := unix.MoveMount(rootFD, "", unix.AT_FDCWD, dir, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("attaching the root filesystem on %s: %w", dir, err)
	}
	root := guestRoot{fd: rootFD, log: log, now: time.Now}
	steps := []struct {
		what string
		do   func(root guestRoot) error
	}{
		{"mounting the filesystems", mountAll},
		{"making device nodes", bindDevices},
		{"making /dev links", makeDevLinks},
		{"hiding kernel files", maskPaths},
		{"making kernel settings read-only", makeReadonly},
		{"checking /tmp", ensureTmp},
		{"pivoting into the root", pivot},
	}
	for _, s := range steps {
		if err := s.do(root); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
	}
	return nil
}

// mountSpec is one entry of the guest's mount table.
type mountSpec struct {
	target string // inside the guest
	fstype string
	attrs  uint64   // MOUNT_ATTR_*
	opts   []string // "key=value", or a flag
	mode   uint32   // of the mount point, when it has to be made
}

const nosuidNodevNoexec = unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC

// guestMounts is the mount table of every guest, in order.
var guestMounts = []mountSpec{
	{"/proc", "proc", nosuidNodevNoexec, nil, 0o555},
	{"/sys", "sysfs", nosuidNodevNoexec | unix.MOUNT_ATTR_RDONLY, nil, 0o555},
	{"/dev", "tmpfs", unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NOEXEC, []string{"mode=755", "size=65536k"}, 0o755},
	{"/dev/pts", "devpts", unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NOEXEC, []string{"newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}, 0o755},
	{"/dev/shm", "tmpfs", nosuidNodevNoexec, []string{"mode=1777"}, 0o755},
	{"/dev/mqueue", "mqueue", nosuidNodevNoexec, nil, 0o755},
}

// mountAll mounts guestMounts in the root, each on a directory that is one.
func mountAll(root guestRoot) error {
	for _, m := range guestMounts {
		target, err := root.mkdirAll(m.target, m.mode, false)
		if err != nil {
			return err
		}
		mnt, err := newMount(m.fstype, m.opts, m.attrs)
		if err == nil {
			err = attachMount(mnt, target)
		}
		unix.Close(target)
		if err != nil {
			return fmt.Errorf("mounting %s on %s: %w", m.fstype, m.target, err)
		}
	}
	return nil
}

// guestDevices are bound from the host's /dev: a user namespace cannot mknod.
var guestDevices = []string{"null", "zero", "full", "random", "urandom", "tty"}

// openDev opens the guest's /dev, the tmpfs mountAll put there.
func openDev(root guestRoot) (int, error) {
	return inroot.Open(root.fd, "/dev", unix.O_PATH|unix.O_DIRECTORY, inroot.NoSymlinks)
}

// bindDevices makes the guest's device nodes, binds of the host's on files
// made in the guest's fresh /dev.
func bindDevices(root guestRoot) error {
	dev, err := openDev(root)
	if err != nil {
		return err
	}
	defer unix.Close(dev)
	for _, d := range guestDevices {
		target, err := unix.Openat(dev, d, unix.O_RDONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o666)
		if err != nil {
			return fmt.Errorf("making /dev/%s: %w", d, err)
		}
		mnt, err := cloneHost("/dev/" + d)
		if err == nil {
			err = attachMount(mnt, target)
		}
		unix.Close(target)
		if err != nil {
			return fmt.Errorf("binding /dev/%s: %w", d, err)
		}
	}
	return nil
}

// makeDevLinks makes the usual symbolic links of /dev.
func makeDevLinks(root guestRoot) error {
	dev, err := openDev(root)
	if err != nil {
		return err
	}
	defer unix.Close(dev)
	links := [][2]string{
		{"pts/ptmx", "ptmx"}, {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"},
	}
	for _, l := range links {
		if err := unix.Symlinkat(l[0], dev, l[1]); err != nil {
			return fmt.Errorf("making /dev/%s: %w", l[1], err)
		}
	}
	return nil
}

// maskedPaths are hidden from guests, as runc does: a file gets /dev/null over
// it, a directory an empty read-only tmpfs.
var maskedPaths = []string{
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/devices/virtual/powercap",
}

// maskPaths hides maskedPaths.
func maskPaths(root guestRoot) error {
	for _, p := range maskedPaths {
		if err := maskPath(root, p); err != nil {
			return fmt.Errorf("masking %s: %w", p, err)
		}
	}
	return nil
}

// maskPath hides p, when the kernel has it.
func maskPath(root guestRoot, p string) error {
	target, err := inroot.Open(root.fd, p, unix.O_PATH|unix.O_NOFOLLOW, inroot.NoSymlinks)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(target)
	var st unix.Stat_t
	if err := unix.Fstat(target, &st); err != nil {
		return err
	}
	var mnt int
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		mnt, err = newMount("tmpfs", []string{"size=0"}, unix.MOUNT_ATTR_RDONLY|nosuidNodevNoexec)
	} else {
		mnt, err = cloneHost("/dev/null")
	}
	if err != nil {
		return err
	}
	return attachMount(mnt, target)
}

// readonlyPaths are read-only in guests; /proc/sys/net stays writable, since
// the guest owns its network namespace.
var readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}

// makeReadonly makes readonlyPaths read-only, keeping /proc/sys/net writable.
func makeReadonly(root guestRoot) error {
	net, err := inroot.Open(root.fd, "/proc/sys/net", unix.O_PATH, inroot.NoSymlinks)
	if err != nil {
		return fmt.Errorf("keeping /proc/sys/net: %w", err)
	}
	keep, err := unix.OpenTree(net, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
	unix.Close(net)
	if err != nil {
		return fmt.Errorf("keeping /proc/sys/net: %w", err)
	}
	for _, p := range readonlyPaths {
		if err := bindReadonly(root, p); err != nil {
			unix.Close(keep)
			return fmt.Errorf("making %s read-only: %w", p, err)
		}
	}
	net, err = inroot.Open(root.fd, "/proc/sys/net", unix.O_PATH, inroot.NoSymlinks)
	if err != nil {
		unix.Close(keep)
		return fmt.Errorf("keeping /proc/sys/net writable: %w", err)
	}
	defer unix.Close(net)
	if err := attachMount(keep, net); err != nil {
		return fmt.Errorf("keeping /proc/sys/net writable: %w", err)
	}
	return nil
}

// bindReadonly binds p on itself, read-only, when the kernel has it.
// Equivalent to: mount --rbind P P; mount -o remount,bind,ro,nosuid,nodev,noexec P
func bindReadonly(root guestRoot, p string) error {
	target, err := inroot.Open(root.fd, p, unix.O_PATH|unix.O_NOFOLLOW, inroot.NoSymlinks)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(target)
	tree, err := unix.OpenTree(target, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH|unix.AT_RECURSIVE)
	if err != nil {
		return err
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | nosuidNodevNoexec}
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr); err != nil {
		unix.Close(tree)
		return err
	}
	return attachMount(tree, target)
}

// ensureTmp makes sure /tmp and /var/tmp are directories, sticky and
// world-writable. The guest's symlinks in /var are followed inside its root;
// a /tmp or /var/tmp that is not a directory is moved aside.
func ensureTmp(root guestRoot) error {
	for _, d := range []string{"/tmp", "/var/tmp"} {
		fd, err := root.mkdirAll(d, 0o777, true)
		if err != nil {
			return err
		}
		err = chmodDir(fd, 0o777|unix.S_ISVTX)
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("making %s sticky: %w", d, err)
		}
	}
	return nil
}

// chmodDir sets the mode of the directory dir (an O_PATH descriptor).
// Equivalent to: chmod MODE /proc/self/fd/DIR
func chmodDir(dir int, mode uint32) error {
	fd, err := unix.Openat(dir, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Fchmod(fd, mode)
}

// pivot makes the root the root of the mount namespace and drops the old
// root: the host's tree is out of the init's sight from then on.
// Equivalent to: cd ROOT; pivot_root . .; umount -l .
func pivot(root guestRoot) error {
	if err := unix.Fchdir(root.fd); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the old root: %w", err)
	}
	return unix.Chdir("/")
}
