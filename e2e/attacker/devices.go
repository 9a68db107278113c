package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// The attacks with device nodes: a hostile image carries nodes of the
// host's devices (its kernel log, its disk), which the guest's root opens,
// at the image's root or under the guest's /dev once it is out of the way.
func init() {
	register("device-open", deviceOpen)
	register("device-under-dev", deviceUnderDev)
}

// deviceOpen opens each PATH of its arguments (after TAG) for writing and
// reports open_BASE=ok or the errno. It writes TAG into a node that opened
// only when it is the kernel log (char 1:11): never into a disk. A last
// mknod of a new kernel log node reports mknod.
func deviceOpen(args []string) error {
	if len(args) < 1 {
		return fmt.Errorf("usage: device-open TAG PATH...")
	}
	tag := args[0]
	for _, p := range args[1:] {
		report("open_"+filepath.Base(p), errName(openWriteKmsg(p, tag)))
	}
	report("mknod", errName(unix.Mknod("/newkmsg", unix.S_IFCHR|0o600, int(unix.Mkdev(1, 11)))))
	os.Remove("/newkmsg")
	return nil
}

// openWriteKmsg opens path for writing, and writes tag into it if it is the
// kernel log.
func openWriteKmsg(path, tag string) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFCHR && unix.Major(st.Rdev) == 1 && unix.Minor(st.Rdev) == 11 {
		unix.Write(fd, []byte(tag+"\n"))
	}
	return nil
}

// deviceUnderDev reaches the nodes of the image's own /dev, hidden under
// the guest's /dev: in a mount namespace of its own (so the guest keeps its
// /dev), it detaches /dev, then opens each PATH as device-open does.
func deviceUnderDev(args []string) error {
	runtime.LockOSThread() // the namespace is this thread's; it ends with the process
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		report("unshare", errName(err))
		return nil
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making the mounts private: %w", err)
	}
	report("umount_dev", errName(unix.Unmount("/dev", unix.MNT_DETACH)))
	return deviceOpen(args)
}
