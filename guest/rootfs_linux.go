package guest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// setupRoot mounts the guest's root (a detached mount, rootFD) on dir in the
// init's own mount namespace, fills in /proc, /sys and /dev as on a small VM,
// hides what runc and LXC hide, and pivots into it.
func setupRoot(rootFD int, dir string) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	if err := unix.MoveMount(rootFD, "", unix.AT_FDCWD, dir, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("attaching the root filesystem on %s: %w", dir, err)
	}
	steps := []struct {
		what string
		do   func(root string) error
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
		if err := s.do(dir); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
	}
	return nil
}

// mountSpec is one entry of the guest's mount table.
type mountSpec struct {
	target string // inside the guest
	fstype string
	flags  uintptr
	data   string
	mode   os.FileMode // of the mount point, when it has to be made
}

const (
	nosuidNodevNoexec = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
)

// guestMounts is the mount table of every guest, in order.
var guestMounts = []mountSpec{
	{"/proc", "proc", nosuidNodevNoexec, "", 0o555},
	{"/sys", "sysfs", nosuidNodevNoexec | unix.MS_RDONLY, "", 0o555},
	{"/dev", "tmpfs", unix.MS_NOSUID | unix.MS_NOEXEC, "mode=755,size=65536k", 0o755},
	{"/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5", 0o755},
	{"/dev/shm", "tmpfs", nosuidNodevNoexec, "mode=1777", 0o755},
	{"/dev/mqueue", "mqueue", nosuidNodevNoexec, "", 0o755},
}

// mountAll mounts guestMounts under root.
func mountAll(root string) error {
	for _, m := range guestMounts {
		target := filepath.Join(root, m.target)
		if err := os.MkdirAll(target, m.mode); err != nil {
			return err
		}
		if err := unix.Mount(m.fstype, target, m.fstype, m.flags, m.data); err != nil {
			return fmt.Errorf("mounting %s on %s: %w", m.fstype, m.target, err)
		}
	}
	return nil
}

// guestDevices are bound from the host's /dev: a user namespace cannot mknod.
var guestDevices = []string{"null", "zero", "full", "random", "urandom", "tty"}

// bindDevices makes the guest's device nodes.
func bindDevices(root string) error {
	for _, d := range guestDevices {
		target := filepath.Join(root, "dev", d)
		if err := os.WriteFile(target, nil, 0o666); err != nil {
			return err
		}
		if err := unix.Mount("/dev/"+d, target, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("binding /dev/%s: %w", d, err)
		}
	}
	return nil
}

// makeDevLinks makes the usual symbolic links of /dev.
func makeDevLinks(root string) error {
	links := [][2]string{
		{"pts/ptmx", "ptmx"}, {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"},
	}
	for _, l := range links {
		if err := os.Symlink(l[0], filepath.Join(root, "dev", l[1])); err != nil {
			return err
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
func maskPaths(root string) error {
	for _, p := range maskedPaths {
		target := filepath.Join(root, p)
		fi, err := os.Stat(target)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.IsDir() {
			err = unix.Mount("tmpfs", target, "tmpfs", unix.MS_RDONLY|nosuidNodevNoexec, "size=0")
		} else {
			err = unix.Mount(filepath.Join(root, "dev/null"), target, "", unix.MS_BIND, "")
		}
		if err != nil {
			return fmt.Errorf("masking %s: %w", p, err)
		}
	}
	return nil
}

// readonlyPaths are read-only in guests; /proc/sys/net stays writable, since
// the guest owns its network namespace.
var readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}

// makeReadonly makes readonlyPaths read-only, keeping /proc/sys/net writable.
func makeReadonly(root string) error {
	net, err := unix.OpenTree(unix.AT_FDCWD, filepath.Join(root, "/proc/sys/net"), unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return fmt.Errorf("keeping /proc/sys/net: %w", err)
	}
	defer unix.Close(net)
	for _, p := range readonlyPaths {
		if err := bindReadonly(filepath.Join(root, p)); err != nil {
			return fmt.Errorf("making %s read-only: %w", p, err)
		}
	}
	if err := unix.MoveMount(net, "", unix.AT_FDCWD, filepath.Join(root, "/proc/sys/net"), unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("keeping /proc/sys/net writable: %w", err)
	}
	return nil
}

// bindReadonly binds path on itself and makes the bind read-only.
func bindReadonly(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := unix.Mount(path, path, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	return unix.Mount("", path, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|nosuidNodevNoexec, "")
}

// ensureTmp makes sure /tmp and /var/tmp exist and are sticky and world-writable.
func ensureTmp(root string) error {
	for _, d := range []string{"tmp", "var/tmp"} {
		p := filepath.Join(root, d)
		if err := os.MkdirAll(p, 0o777); err != nil {
			return err
		}
		if err := os.Chmod(p, 0o777|os.ModeSticky); err != nil {
			return err
		}
	}
	return nil
}

// pivot makes root the root of the mount namespace and drops the old root.
// Equivalent to: cd root; pivot_root . .; umount -l .
func pivot(root string) error {
	if err := unix.Chdir(root); err != nil {
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
