package disks

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ext4ResizeFS is EXT4_IOC_RESIZE_FS, _IOW('f', 16, __u64): grow a mounted
// ext4 file system to a number of blocks.
const ext4ResizeFS = 0x40086610

// mountFlags keep set-user-id files and device nodes of a guest's disk
// powerless on the host side; the guest sees its files through its overlay.
const mountFlags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOATIME

// maxFitSteps bounds the rounds of sizing a disk to its limit; each round
// adds what the last one fell short by.
const maxFitSteps = 5

// makeImage makes the disk file with an ext4 file system whose usable size
// is at least l.Bytes: made under a temporary name and renamed into place,
// so a crash leaves no half disk.
// Equivalent to: truncate -s SIZE FILE.tmp; mkfs.ext4 ... FILE.tmp; mv FILE.tmp FILE
func makeImage(file string, l Limits) error {
	tmp := file + ".tmp"
	err := mkfsToFit(tmp, l)
	if err == nil {
		err = recordLimit(tmp, l.Bytes)
	}
	if err == nil {
		err = os.Rename(tmp, file)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("making disk %s: %w", file, err)
	}
	return nil
}

// mkfsToFit makes the file system in file again, bigger each round, until
// its usable size is at least l.Bytes.
func mkfsToFit(file string, l Limits) error {
	blocks := imageBlocks(l.Bytes)
	for range maxFitSteps {
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			return err
		}
		if err := os.Truncate(file, blocks*blockSize); err != nil {
			return err
		}
		if err := run("mkfs.ext4", mkfsArgs(file, blocks, l)...); err != nil {
			return err
		}
		info, err := readSuperblock(file)
		if err != nil || info.usable() >= l.Bytes {
			return err
		}
		blocks = nextBlocks(blocks, info.usable(), l.Bytes)
	}
	return fmt.Errorf("still short of %d bytes after %d rounds", l.Bytes, maxFitSteps)
}

// readSuperblock reads the size and overhead of the file system in file.
// Equivalent to: dumpe2fs -h FILE
func readSuperblock(file string) (superblockInfo, error) {
	out, err := exec.Command("dumpe2fs", "-h", file).Output()
	if err != nil {
		return superblockInfo{}, fmt.Errorf("dumpe2fs %s: %w", file, err)
	}
	info, ok := parseDumpe2fs(string(out))
	if !ok {
		return superblockInfo{}, fmt.Errorf("dumpe2fs %s: no block count or overhead", file)
	}
	return info, nil
}

// growOffline grows the file system in file, mounted nowhere and on no loop
// device, to blocks blocks.
// Equivalent to: e2fsck -f -p FILE; truncate -s SIZE FILE; resize2fs FILE BLOCKS
func growOffline(file string, blocks int64) error {
	if err := run("e2fsck", "-f", "-p", file); err != nil {
		return err
	}
	if err := os.Truncate(file, blocks*blockSize); err != nil {
		return fmt.Errorf("growing %s: %w", file, err)
	}
	return run("resize2fs", file, fmt.Sprint(blocks))
}

// run runs a command, its output in the error.
func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// mountDev mounts the ext4 file system of the loop device dev at dir.
// Equivalent to: mount -o nosuid,nodev,noatime DEV DIR
func mountDev(dev *os.File, dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("making mount point %s: %w", dir, err)
	}
	if err := unix.Mount(dev.Name(), dir, "ext4", mountFlags, ""); err != nil {
		return fmt.Errorf("mounting %s at %s: %w", dev.Name(), dir, err)
	}
	return nil
}

// mounted reports whether a file system is mounted at dir: dir is on
// another device than its parent.
func mounted(dir string) (bool, error) {
	var st, parent unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return false, nil
		}
		return false, fmt.Errorf("looking at %s: %w", dir, err)
	}
	if err := unix.Lstat(dir+"/..", &parent); err != nil {
		return false, fmt.Errorf("looking at the parent of %s: %w", dir, err)
	}
	return st.Dev != parent.Dev, nil
}

// unmount detaches the file system at dir from the host; it goes away, and
// its loop device with it, once nothing uses it.
// Equivalent to: umount --lazy DIR
func unmount(dir string) error {
	if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmounting %s: %w", dir, err)
	}
	return nil
}

// usage reads what the file system at dir holds and may hold.
// Equivalent to: df --output=size,used,itotal,iused DIR
func usage(dir string) (Usage, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return Usage{}, fmt.Errorf("reading the use of %s: %w", dir, err)
	}
	return Usage{
		Bytes:       int64(st.Blocks-st.Bfree) * st.Bsize,
		LimitBytes:  int64(st.Blocks) * st.Bsize,
		Inodes:      int64(st.Files - st.Ffree),
		LimitInodes: int64(st.Files),
	}, nil
}

// errNoOnlineGrowth is returned when this process may not grow a file
// system in use.
var errNoOnlineGrowth = errors.New("growing a disk in use needs CAP_SYS_RESOURCE, which the daemon lacks; it grows when the guest starts again")

// canGrowOnline reports whether this process has CAP_SYS_RESOURCE, which
// the kernel wants to grow an ext4 file system in use.
// Equivalent to: capsh --has-p=cap_sys_resource
func canGrowOnline() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[unix.CAP_SYS_RESOURCE/32].Effective&(1<<(unix.CAP_SYS_RESOURCE%32)) != 0
}

// growOnline grows the disk file mounted at dir to blocks blocks: the file,
// then its loop device, then the file system, while it is in use. The
// kernel wants CAP_SYS_RESOURCE for the last step; without it, nothing is
// changed.
// Equivalent to: truncate -s SIZE FILE; losetup -c DEV; resize2fs DEV BLOCKS
func growOnline(file, dir string, blocks int64) error {
	if !canGrowOnline() {
		return errNoOnlineGrowth
	}
	if err := os.Truncate(file, blocks*blockSize); err != nil {
		return fmt.Errorf("growing %s: %w", file, err)
	}
	dev, err := openLoopOf(dir)
	if err != nil {
		return err
	}
	defer dev.Close()
	if err := setCapacity(dev); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening %s: %w", dir, err)
	}
	defer d.Close()
	n := uint64(blocks)
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, d.Fd(), ext4ResizeFS, uintptr(unsafe.Pointer(&n))); errno != 0 {
		return fmt.Errorf("growing the file system of %s to %d blocks: %w", file, blocks, errno)
	}
	return nil
}

// blocksOf is the size of file in blocks.
func blocksOf(file string) (int64, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return 0, fmt.Errorf("reading the size of %s: %w", file, err)
	}
	return fi.Size() / blockSize, nil
}

// limitAttr is the extended attribute of a disk file that records its limit
// in bytes, as decimal text.
const limitAttr = "user.vmhost.disk_bytes"

// recordLimit records the limit of the disk in file.
// Equivalent to: setfattr -n user.vmhost.disk_bytes -v BYTES FILE
func recordLimit(file string, bytes int64) error {
	if err := unix.Setxattr(file, limitAttr, []byte(fmt.Sprint(bytes)), 0); err != nil {
		return fmt.Errorf("recording the limit of %s: %w", file, err)
	}
	return nil
}

// recordedLimit reads the limit of the disk in file.
// Equivalent to: getfattr -n user.vmhost.disk_bytes FILE
func recordedLimit(file string) (int64, error) {
	buf := make([]byte, 32)
	n, err := unix.Getxattr(file, limitAttr, buf)
	if err != nil {
		return 0, fmt.Errorf("reading the limit of %s: %w", file, err)
	}
	var bytes int64
	if _, err := fmt.Sscan(string(buf[:n]), &bytes); err != nil {
		return 0, fmt.Errorf("reading the limit of %s: %w", file, err)
	}
	return bytes, nil
}
