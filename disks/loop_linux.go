package disks

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// loopMajor is the block major number of loop devices.
const loopMajor = 7

// attachLoop attaches file to a free loop device, which goes away by itself
// once nothing holds it open (autoclear), and returns the device, open.
// Equivalent to: losetup --find --show FILE (with autoclear).
func attachLoop(file string) (*os.File, error) {
	backing, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("opening disk %s: %w", file, err)
	}
	defer backing.Close()
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("opening /dev/loop-control (needs loop devices): %w", err)
	}
	defer ctl.Close()
	for range 16 { // another process may take the free device first
		dev, err := configureFreeLoop(ctl, backing, file)
		if !errors.Is(err, unix.EBUSY) {
			return dev, err
		}
	}
	return nil, fmt.Errorf("attaching %s to a loop device: every free one was taken first", file)
}

// configureFreeLoop attaches backing to the device loop-control says is
// free. Equivalent to: losetup /dev/loopN FILE.
func configureFreeLoop(ctl, backing *os.File, name string) (*os.File, error) {
	n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
	if err != nil {
		return nil, fmt.Errorf("finding a free loop device: %w", err)
	}
	dev, err := os.OpenFile(fmt.Sprintf("/dev/loop%d", n), os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("opening loop device %d: %w", n, err)
	}
	cfg := unix.LoopConfig{Fd: uint32(backing.Fd()), Info: unix.LoopInfo64{Flags: unix.LO_FLAGS_AUTOCLEAR}}
	copy(cfg.Info.File_name[:len(cfg.Info.File_name)-1], name)
	if err := unix.IoctlLoopConfigure(int(dev.Fd()), &cfg); err != nil {
		dev.Close()
		return nil, fmt.Errorf("attaching %s to loop device %d: %w", name, n, err)
	}
	return dev, nil
}

// openLoopOf opens the loop device that the file system mounted at dir is
// on.
func openLoopOf(dir string) (*os.File, error) {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return nil, fmt.Errorf("finding the device of %s: %w", dir, err)
	}
	if unix.Major(st.Dev) != loopMajor {
		return nil, fmt.Errorf("%s is not on a loop device", dir)
	}
	uevent, err := os.ReadFile(fmt.Sprintf("/sys/dev/block/%d:%d/uevent", loopMajor, unix.Minor(st.Dev)))
	if err != nil {
		return nil, fmt.Errorf("finding the loop device of %s: %w", dir, err)
	}
	name, ok := ueventDevName(string(uevent))
	if !ok {
		return nil, fmt.Errorf("finding the loop device of %s: no DEVNAME in its uevent", dir)
	}
	return os.OpenFile("/dev/"+name, os.O_RDWR, 0)
}

// setCapacity makes the loop device dev see the new size of its file.
// Equivalent to: losetup --set-capacity DEV.
func setCapacity(dev *os.File) error {
	if _, err := unix.IoctlRetInt(int(dev.Fd()), unix.LOOP_SET_CAPACITY); err != nil {
		return fmt.Errorf("resizing loop device %s: %w", dev.Name(), err)
	}
	return nil
}

// findLoop returns the loop device that file is still attached to, open,
// or nil: the file system of a disk unmounted lazily lives on while another
// mount namespace holds a copy of its mount, and must then be mounted again
// from that device, never from a second one.
// Equivalent to: losetup --associated FILE
func findLoop(file string) (*os.File, error) {
	var want unix.Stat_t
	if err := unix.Stat(file, &want); err != nil {
		return nil, fmt.Errorf("looking at %s: %w", file, err)
	}
	names, err := filepath.Glob("/sys/block/loop*/loop/backing_file")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil || strings.TrimSuffix(string(b), "\n") != file {
			continue
		}
		dev := filepath.Base(filepath.Dir(filepath.Dir(name)))
		if f := openIfBacks(dev, want); f != nil {
			return f, nil
		}
	}
	return nil, nil
}

// openIfBacks opens the loop device dev if its file is the one of st.
func openIfBacks(dev string, st unix.Stat_t) *os.File {
	f, err := os.OpenFile("/dev/"+dev, os.O_RDWR, 0)
	if err != nil {
		return nil
	}
	info, err := unix.IoctlLoopGetStatus64(int(f.Fd()))
	if err != nil || info.Inode != st.Ino || info.Device != st.Dev {
		f.Close()
		return nil
	}
	return f
}
