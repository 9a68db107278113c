package guestinit

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"vmhost/inroot"
)

// cgroupFiles are the guest's own cgroup files sysinfo answers from,
// opened once before any guest process runs, through mounts of the cgroup
// file systems that the init makes and attaches nowhere: nothing the
// guest's root mounts later changes what they read. The guest's cgroup
// namespace roots them at the guest's cgroup, so live limit changes show
// at once. A file the host does not have is -1.
type cgroupFiles struct {
	memMax, memUsed   int
	swapMax, swapUsed int // cgroup2: swap alone; cgroup1: memory plus swap
	tasks             int
	memsw             bool // cgroup1: swap files count memory plus swap
}

// v2Files and v1Files are the files of cgroupFiles on cgroup2 and on cgroup1,
// by hierarchy.
var (
	v2Files = [5]string{"memory.max", "memory.current", "memory.swap.max", "memory.swap.current", "pids.current"}
	v1Files = [5]string{"memory.limit_in_bytes", "memory.usage_in_bytes", "memory.memsw.limit_in_bytes", "memory.memsw.usage_in_bytes", "pids.current"}
)

// openCgroupFiles opens the guest's cgroup files: on cgroup2 when the
// init's /proc/1/cgroup names no cgroup1 memory hierarchy, on the memory
// and pids hierarchies of cgroup1 otherwise.
func openCgroupFiles(proc int) (*cgroupFiles, error) {
	b, err := inroot.ReadFile(proc, "1/cgroup", inProc, 64<<10)
	if err != nil {
		return nil, fmt.Errorf("reading the init's cgroups: %w", err)
	}
	v1 := cgroup1Controllers(b)
	if !slices.Contains(v1, "memory") {
		mnt, err := mountCgroup("cgroup2", "")
		if err != nil {
			return nil, err
		}
		defer unix.Close(mnt)
		f := openFiles([5]int{mnt, mnt, mnt, mnt, mnt}, v2Files)
		return &f, nil
	}
	mem, err := mountCgroup("cgroup", "memory")
	if err != nil {
		return nil, err
	}
	defer unix.Close(mem)
	pids := -1
	if slices.Contains(v1, "pids") {
		if pids, err = mountCgroup("cgroup", "pids"); err == nil {
			defer unix.Close(pids)
		}
	}
	f := openFiles([5]int{mem, mem, mem, mem, pids}, v1Files)
	f.memsw = true
	return &f, nil
}

// cgroup1Controllers lists the cgroup1 controllers of a /proc/PID/cgroup.
func cgroup1Controllers(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) == 3 && parts[1] != "" {
			out = append(out, strings.Split(parts[1], ",")...)
		}
	}
	return out
}

// openFiles opens each name under its mount; -1 for one it cannot.
func openFiles(mnts [5]int, names [5]string) cgroupFiles {
	var fds [5]int
	for i, name := range names {
		fds[i] = -1
		if mnts[i] >= 0 {
			if fd, err := inroot.Open(mnts[i], name, unix.O_RDONLY|unix.O_NONBLOCK, unix.RESOLVE_BENEATH|unix.RESOLVE_NO_SYMLINKS); err == nil {
				fds[i] = fd
			}
		}
	}
	return cgroupFiles{memMax: fds[0], memUsed: fds[1], swapMax: fds[2], swapUsed: fds[3], tasks: fds[4]}
}

// mountCgroup mounts the guest's cgroup hierarchy of fstype (with the
// cgroup1 controller, if any) read-only, attached nowhere, and returns the
// mount's descriptor.
// Equivalent to: mount -t cgroup -o ro,memory none DIR, without DIR.
func mountCgroup(fstype, controller string) (int, error) {
	fs, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("opening a %s file system: %w", fstype, err)
	}
	defer unix.Close(fs)
	if controller != "" {
		if err := unix.FsconfigSetFlag(fs, controller); err != nil {
			return -1, fmt.Errorf("asking for the %s hierarchy: %w", controller, err)
		}
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return -1, fmt.Errorf("making a %s %s mount: %w", fstype, controller, err)
	}
	mnt, err := unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
	if err != nil {
		return -1, fmt.Errorf("mounting %s %s: %w", fstype, controller, err)
	}
	return mnt, nil
}

// counts reads the files now.
func (f *cgroupFiles) counts() memCounts {
	c := memCounts{memMax: readValue(f.memMax), memUsed: readValue(f.memUsed),
		swapMax: readValue(f.swapMax), swapUsed: readValue(f.swapUsed), tasks: readValue(f.tasks)}
	if f.memsw { // memory plus swap, less memory
		c.swapMax = lessOf(c.swapMax, c.memMax)
		c.swapUsed = lessOf(c.swapUsed, c.memUsed)
	}
	return c
}

// lessOf is a-b, -1 when either is unknown, 0 at least.
func lessOf(a, b int64) int64 {
	if a < 0 || b < 0 {
		return -1
	}
	return max(a-b, 0)
}

// readValue reads a cgroup file's number from its start; -1 without one.
// Equivalent to: pread(fd, buf, 64, 0)
func readValue(fd int) int64 {
	if fd < 0 {
		return -1
	}
	var buf [64]byte
	n, err := unix.Pread(fd, buf[:], 0)
	if err != nil || n <= 0 {
		return -1
	}
	return parseCgroupValue(buf[:n])
}
