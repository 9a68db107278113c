package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// stopViewServer ends the view servers (lxcfs and the /proc/stat server) a
// daemon left running for its guests (a stop with guests running leaves
// them, as it leaves the guests) and detaches their mounts, once the guests
// are gone.
func stopViewServer(runDir string) error {
	return errors.Join(stopViewServerNamed(runDir, "lxcfs"), stopViewServerNamed(runDir, "stat"))
}

// stopViewServerNamed ends one view server: the one the pid file under
// run_dir names when its command line ends with the daemon's mount point.
func stopViewServerNamed(runDir, name string) error {
	mnt := filepath.Join(runDir, "view", name)
	if b, err := os.ReadFile(filepath.Join(runDir, "view", name+".pid")); err == nil {
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if pid > 1 && strings.HasSuffix(string(cmdline), mnt+"\x00") {
			unix.Kill(pid, unix.SIGKILL)
			for i := 0; i < 100 && unix.Kill(pid, 0) == nil; i++ {
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	for i := 0; i < 16; i++ {
		err := unix.Unmount(mnt, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("unmounting %s: %w", mnt, err)
		}
	}
	return nil
}
