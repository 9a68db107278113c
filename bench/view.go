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

// stopViewServer ends the lxcfs a daemon left running for its guests (a
// stop with guests running leaves it, as it leaves them) and detaches its
// mount, once the guests are gone: the one the pid file under run_dir names
// when its command line ends with the daemon's mount point.
func stopViewServer(runDir string) error {
	mnt := filepath.Join(runDir, "view", "lxcfs")
	if b, err := os.ReadFile(filepath.Join(runDir, "view", "lxcfs.pid")); err == nil {
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
