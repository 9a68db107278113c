//go:build linux

package limits

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/cgroups/v3/cgroup1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// v1Controllers are the cgroup1 controllers a guest's group uses, where the
// host has them; v1Required are those it must have.
var (
	v1Controllers = []cgroup1.Name{cgroup1.Cpu, cgroup1.Cpuacct, cgroup1.Cpuset, cgroup1.Memory, cgroup1.Pids, cgroup1.Blkio, cgroup1.Devices}
	v1Required    = []cgroup1.Name{cgroup1.Devices}
)

// v1 is the cgroup1 hierarchies mounted under root (/sys/fs/cgroup/cpu, ...).
type v1 struct {
	root string
	subs []cgroup1.Subsystem
}

// newV1 finds the controllers mounted under root.
func newV1(root string) (*v1, error) {
	h := &v1{root: root}
	for _, name := range v1Controllers {
		if _, err := os.Stat(filepath.Join(root, string(name))); err != nil {
			continue
		}
		h.subs = append(h.subs, v1Subsystem(root, name))
	}
	if len(h.subs) == 0 {
		return nil, fmt.Errorf("no cgroup1 controller (%s) is mounted under %s; mount them, or use a cgroup2 host", joinNames(v1Controllers), root)
	}
	for _, name := range v1Required {
		if !h.has(name) {
			return nil, fmt.Errorf("the cgroup1 %s controller is not mounted under %s: without it guests could use any device node of their images; mount it at %s",
				name, root, filepath.Join(root, string(name)))
		}
	}
	return h, nil
}

// has reports whether the controller name is mounted.
func (h *v1) has(name cgroup1.Name) bool {
	for _, s := range h.subs {
		if s.Name() == name {
			return true
		}
	}
	return false
}

// v1Subsystem returns containerd's subsystem of controller name under root.
func v1Subsystem(root string, name cgroup1.Name) cgroup1.Subsystem {
	switch name {
	case cgroup1.Cpu:
		return cgroup1.NewCpu(root)
	case cgroup1.Cpuacct:
		return cgroup1.NewCpuacct(root)
	case cgroup1.Memory:
		return cgroup1.NewMemory(root, cgroup1.OptionalSwap(), cgroup1.IgnoreModules("kmem", "kmem.tcp"))
	case cgroup1.Pids:
		return cgroup1.NewPids(root)
	case cgroup1.Devices:
		return cgroup1.NewDevices(root)
	case cgroup1.Cpuset:
		return cgroup1.NewCpuset(root)
	}
	return cgroup1.NewBlkio(root)
}

// hierarchy is the subsystems as containerd's cgroup1 takes them.
func (h *v1) hierarchy() ([]cgroup1.Subsystem, error) {
	return h.subs, nil
}

// load returns containerd's handle of the group at path.
func (h *v1) load(path string) (cgroup1.Cgroup, error) {
	return cgroup1.Load(cgroup1.StaticPath(path), cgroup1.WithHierarchy(h.hierarchy))
}

// dirs implements hierarchy.
func (h *v1) dirs(path string) map[string]string {
	d := make(map[string]string, len(h.subs))
	for _, s := range h.subs {
		d[string(s.Name())] = filepath.Join(h.root, string(s.Name()), path)
	}
	return d
}

// v1Dirs is dirs by containerd's names.
func (h *v1) v1Dirs(path string) v1Dirs {
	d := v1Dirs{}
	for name, dir := range h.dirs(path) {
		d[cgroup1.Name(name)] = dir
	}
	return d
}

// create implements hierarchy: it makes the group, whose devices are those
// of guestDevices from the start. Equivalent to: `mkdir -p
// /sys/fs/cgroup/{cpu,cpuacct,memory,pids,blkio,devices}/PATH`, `echo a >
// /sys/fs/cgroup/devices/PATH/devices.deny` and `echo c 1:3 rwm >
// /sys/fs/cgroup/devices/PATH/devices.allow` for each device allowed. The
// devices are set here only, not by apply: a group with children (should a
// guest ever make some) cannot take "a" in devices.deny again.
func (h *v1) create(path string) error {
	res := &specs.LinuxResources{Devices: deviceCgroupRules()}
	_, err := cgroup1.New(cgroup1.StaticPath(path), res, cgroup1.WithHierarchy(h.hierarchy))
	return err
}

// apply implements hierarchy. The memory plus swap ceiling is lifted first,
// so the memory limit can move above the old ceiling.
func (h *v1) apply(path string, s Spec) error {
	d := h.v1Dirs(path)
	res, extra, err := v1Resources(s, d)
	if err != nil {
		return err
	}
	if res.Memory != nil && res.Memory.Swap != nil {
		if err := (setting{d[cgroup1.Memory], "memory.memsw.limit_in_bytes", "-1"}).write(); err != nil {
			return err
		}
	}
	cg, err := h.load(path)
	if err != nil {
		return err
	}
	if err := cg.Update(res); err != nil {
		return err
	}
	return writeAll(extra)
}

// stats implements hierarchy.
func (h *v1) stats(path string) (Stats, error) {
	cg, err := h.load(path)
	if err != nil {
		return Stats{}, err
	}
	m, err := cg.Stat(cgroup1.IgnoreNotExist)
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	if m.Memory != nil && m.Memory.Usage != nil {
		st.MemoryBytes = int64(m.Memory.Usage.Usage - min(m.Memory.TotalInactiveFile, m.Memory.Usage.Usage))
	}
	if m.MemoryOomControl != nil {
		st.OOMKills = m.MemoryOomControl.OomKill
	}
	if m.CPU != nil {
		st.CPU = durationNS(m.CPU.Usage.Total)
		st.CPUPeriods = m.CPU.Throttling.Periods
		st.CPUThrottledPeriods = m.CPU.Throttling.ThrottledPeriods
		st.CPUThrottled = durationNS(m.CPU.Throttling.ThrottledTime)
	}
	if m.Pids != nil {
		st.Processes = int64(m.Pids.Current)
	}
	return st, nil
}

// procs implements hierarchy: the processes in any of the group's
// directories.
func (h *v1) procs(path string) ([]int, error) {
	seen := map[int]bool{}
	var pids []int
	for _, dir := range h.dirs(path) {
		got, err := readProcs(dir)
		if err != nil {
			return nil, err
		}
		for _, p := range got {
			if !seen[p] {
				seen[p] = true
				pids = append(pids, p)
			}
		}
	}
	return pids, nil
}

// remove implements hierarchy. Equivalent to: `rmdir
// /sys/fs/cgroup/{cpu,cpuacct,memory,pids,blkio,devices}/PATH`.
func (h *v1) remove(path string) error {
	cg, err := h.load(path)
	if errors.Is(err, cgroup1.ErrCgroupDeleted) {
		return nil
	}
	if err != nil {
		return err
	}
	return cg.Delete()
}

// readProcs reads the cgroup.procs file of a group directory; a directory
// that is gone has none.
func readProcs(dir string) ([]int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		p, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %q is not a pid", filepath.Join(dir, "cgroup.procs"), f)
		}
		pids = append(pids, p)
	}
	return pids, nil
}

// joinNames lists controller names for messages.
func joinNames(names []cgroup1.Name) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}

// waitEmpty implements hierarchy; cgroup1 has no event for an empty group,
// so its processes are looked at again and again.
func (h *v1) waitEmpty(path string, timeout time.Duration) error {
	return pollEmpty(h, path, timeout)
}
