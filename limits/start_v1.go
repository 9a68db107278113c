//go:build linux

package limits

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"
)

// start implements hierarchy. Go forks from the calling thread, so the
// thread is locked, moved into the group in every hierarchy, forks, and is
// moved back: the child is born inside the group, and a CLONE_NEWCGROUP in
// its Cloneflags roots its cgroup namespace there. If the thread cannot be
// moved back it stays locked, and dies with the goroutine instead of going
// back to the scheduler's pool inside a guest's group. Equivalent to:
// `echo 0 > /sys/fs/cgroup/{cpu,...}/PATH/tasks` around the fork.
func (h *v1) start(path string, cmd *exec.Cmd) (err error) {
	runtime.LockOSThread()
	tid := unix.Gettid()
	home, err := threadCgroups(tid)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	moved, err := h.moveThread(h.dirs(path))
	if err == nil {
		err = cmd.Start()
	}
	back := make(map[string]string, len(moved))
	for _, name := range moved {
		back[name] = filepath.Join(h.root, name, home[name])
	}
	if _, errBack := h.moveThread(back); errBack != nil {
		if err == nil {
			err = fmt.Errorf("moving the starting thread back to its cgroup: %w", errBack)
		}
		return err // the thread stays locked and ends with this goroutine
	}
	runtime.UnlockOSThread()
	return err
}

// moveThread moves the calling thread, which must be locked to its
// goroutine, into the directory of each controller, and returns the
// controllers it moved it in. It writes 0, "the writing thread", to the
// tasks files rather than the thread's id: the kernel then migrates the
// thread without write-locking every thread group of the system, which costs
// an RCU grace period, 4-5 ms here, per guest start.
func (h *v1) moveThread(dirs map[string]string) ([]string, error) {
	var moved []string
	for _, s := range h.subs {
		name := string(s.Name())
		dir, ok := dirs[name]
		if !ok {
			continue
		}
		if err := (setting{dir, "tasks", "0"}).write(); err != nil {
			return moved, err
		}
		moved = append(moved, name)
	}
	return moved, nil
}

// threadCgroups reads the cgroup1 paths of thread tid of this process, by
// controller, from /proc/self/task/TID/cgroup.
func threadCgroups(tid int) (map[string]string, error) {
	self, err := procfs.Self()
	var cgs []procfs.Cgroup
	if err == nil {
		var thread procfs.Proc
		if thread, err = self.Thread(tid); err == nil {
			cgs, err = thread.Cgroups()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("reading the cgroups of the starting thread: %w", err)
	}
	return cgroupPaths(cgs), nil
}

// cgroupPaths returns the path of each cgroup1 controller of cgs ("cpu",
// "cpuacct" for a "cpu,cpuacct" line) and of cgroup2 (under the key "").
func cgroupPaths(cgs []procfs.Cgroup) map[string]string {
	paths := map[string]string{}
	for _, cg := range cgs {
		if len(cg.Controllers) == 0 {
			paths[""] = cg.Path
		}
		for _, c := range cg.Controllers {
			paths[c] = cg.Path
		}
	}
	return paths
}
