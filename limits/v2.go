//go:build linux

package limits

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/containerd/cgroups/v3/cgroup2"
	"golang.org/x/sys/unix"
)

// v2Controllers are the cgroup2 controllers a guest's group uses, where the
// host has them.
var v2Controllers = []string{"cpu", "memory", "pids", "io"}

// v2 is the cgroup2 hierarchy mounted at mount.
type v2 struct {
	mount string
}

// dirs implements hierarchy.
func (h *v2) dirs(path string) map[string]string {
	return map[string]string{"": filepath.Join(h.mount, path)}
}

// dir is the group's directory.
func (h *v2) dir(path string) string {
	return filepath.Join(h.mount, path)
}

// available returns the controllers of v2Controllers the root offers.
func (h *v2) available() ([]string, error) {
	b, err := os.ReadFile(filepath.Join(h.mount, "cgroup.controllers"))
	if err != nil {
		return nil, fmt.Errorf("reading the cgroup2 controllers: %w", err)
	}
	have := strings.Fields(string(b))
	var use []string
	for _, c := range v2Controllers {
		if slices.Contains(have, c) {
			use = append(use, c)
		}
	}
	return use, nil
}

// create implements hierarchy: it makes the group, turns its controllers
// on in every ancestor's cgroup.subtree_control, and attaches to it the
// BPF_CGROUP_DEVICE program that allows the devices of guestDevices alone.
// Equivalent to: `mkdir -p /sys/fs/cgroup/PATH`, `echo +cpu +memory +pids
// +io > /sys/fs/cgroup/.../cgroup.subtree_control` down to its parent, and
// `bpftool cgroup attach /sys/fs/cgroup/PATH device PROG multi`. The program
// is attached here only, not by apply, which would add one more each time.
func (h *v2) create(path string) error {
	use, err := h.available()
	if err != nil {
		return err
	}
	res := &cgroup2.Resources{Devices: deviceCgroupRules()}
	for _, c := range use {
		switch c {
		case "cpu":
			res.CPU = &cgroup2.CPU{}
		case "memory":
			res.Memory = &cgroup2.Memory{}
		case "pids":
			res.Pids = &cgroup2.Pids{}
		case "io":
			res.IO = &cgroup2.IO{}
		}
	}
	_, err = cgroup2.NewManager(h.mount, path, res)
	return err
}

// load returns containerd's handle of the group at path.
func (h *v2) load(path string) (*cgroup2.Manager, error) {
	return cgroup2.Load(path, cgroup2.WithMountpoint(h.mount))
}

// apply implements hierarchy.
func (h *v2) apply(path string, s Spec) error {
	res, extra, err := v2Resources(s, h.dir(path))
	if err != nil {
		return err
	}
	m, err := h.load(path)
	if err != nil {
		return err
	}
	if err := m.Update(res); err != nil {
		return err
	}
	return writeAll(extra)
}

// start implements hierarchy: the child is cloned straight into the group
// (clone3 with CLONE_INTO_CGROUP); a CLONE_NEWCGROUP in its Cloneflags roots
// its cgroup namespace there.
func (h *v2) start(path string, cmd *exec.Cmd) error {
	fd, err := unix.Open(h.dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening cgroup %s: %w", h.dir(path), err)
	}
	defer unix.Close(fd)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, fd
	return cmd.Start()
}

// stats implements hierarchy.
func (h *v2) stats(path string) (Stats, error) {
	if _, err := os.Stat(h.dir(path)); err != nil {
		return Stats{}, err
	}
	m, err := h.load(path)
	if err != nil {
		return Stats{}, err
	}
	mt, err := m.StatFiltered(cgroup2.StatPids | cgroup2.StatCPU | cgroup2.StatMemory | cgroup2.StatMemoryEvents)
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	if mt.Memory != nil {
		st.MemoryBytes = int64(mt.Memory.Usage - min(mt.Memory.InactiveFile, mt.Memory.Usage))
	}
	if mt.MemoryEvents != nil {
		st.OOMKills = mt.MemoryEvents.OomKill
	}
	if c := mt.CPU; c != nil {
		st.CPU = durationNS(c.UsageUsec * 1000)
		st.CPUPeriods, st.CPUThrottledPeriods = c.NrPeriods, c.NrThrottled
		st.CPUThrottled = durationNS(c.ThrottledUsec * 1000)
	}
	if mt.Pids != nil {
		st.Processes = int64(mt.Pids.Current)
	}
	return st, nil
}

// procs implements hierarchy.
func (h *v2) procs(path string) ([]int, error) {
	return readProcs(h.dir(path))
}

// remove implements hierarchy. Equivalent to: `rmdir /sys/fs/cgroup/PATH`.
func (h *v2) remove(path string) error {
	if _, err := os.Stat(h.dir(path)); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	m, err := h.load(path)
	if err != nil {
		return err
	}
	return m.Delete()
}
