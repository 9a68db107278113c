//go:build linux

package limits

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containerd/cgroups/v3/cgroup1"
)

// ErrNoCpuset is wrapped by errors of Pin and CPUs on a host without the
// cpuset controller: guests then run on every CPU.
var ErrNoCpuset = errors.New("no cpuset controller")

// Pin restricts the group's processes to the host CPUs cpus, so that
// sched_getaffinity (nproc) inside counts them; no CPUs lifts the
// restriction: every CPU of the parent group. The CPU time limit stays
// apart (cpu.max, cpu.cfs_quota_us).
// Equivalent to: echo 0-1 > /sys/fs/cgroup/cpuset/PATH/cpuset.cpus
func (g *Group) Pin(cpus []int) error {
	if err := g.h.pin(g.path, FormatCPUs(cpus)); err != nil {
		return fmt.Errorf("pinning guest %s to CPUs %q: %w", g.id, FormatCPUs(cpus), err)
	}
	return nil
}

// Pinned returns the CPUs the group is restricted to; none when it may
// use every CPU of its parent group.
func (g *Group) Pinned() ([]int, error) {
	list, err := g.h.pinned(g.path)
	if err != nil {
		return nil, fmt.Errorf("reading the CPUs of guest %s: %w", g.id, err)
	}
	return ParseCPUs(list)
}

// CPUs returns the host CPUs guests may be pinned to: those of the parent
// group, or of the root before the parent exists.
func (c *Controller) CPUs() ([]int, error) {
	list, err := c.h.cpus(c.parent)
	if err != nil {
		return nil, fmt.Errorf("reading the CPUs guests may use: %w", err)
	}
	return ParseCPUs(list)
}

// readFirst reads the first of files that exists, trimmed.
func readFirst(files ...string) (string, error) {
	var err error
	for _, f := range files {
		var b []byte
		if b, err = os.ReadFile(f); err == nil {
			return strings.TrimSpace(string(b)), nil
		}
	}
	return "", err
}

// cpusetDir is the group's directory in the cgroup1 cpuset hierarchy.
func (h *v1) cpusetDir(p string) (string, error) {
	if !h.has(cgroup1.Cpuset) {
		return "", fmt.Errorf("%w: the cgroup1 cpuset hierarchy is not mounted under %s", ErrNoCpuset, h.root)
	}
	return filepath.Join(h.root, string(cgroup1.Cpuset), p), nil
}

// pin implements hierarchy: a group that may use every CPU gets its
// parent's list, since cgroup1 has no "inherit".
func (h *v1) pin(p, list string) error {
	dir, err := h.cpusetDir(p)
	if err != nil {
		return err
	}
	if list == "" {
		if list, err = readFirst(filepath.Join(filepath.Dir(dir), "cpuset.cpus")); err != nil {
			return err
		}
	}
	return setting{dir, "cpuset.cpus", list}.write()
}

// pinned implements hierarchy: "" when the group has its parent's CPUs.
func (h *v1) pinned(p string) (string, error) {
	dir, err := h.cpusetDir(p)
	if err != nil {
		return "", err
	}
	own, err := readFirst(filepath.Join(dir, "cpuset.cpus"))
	if err != nil {
		return "", err
	}
	parent, err := readFirst(filepath.Join(filepath.Dir(dir), "cpuset.cpus"))
	if err != nil || own == parent {
		return "", err
	}
	return own, nil
}

// cpus implements hierarchy.
func (h *v1) cpus(p string) (string, error) {
	dir, err := h.cpusetDir(p)
	if err != nil {
		return "", err
	}
	root := filepath.Join(h.root, string(cgroup1.Cpuset))
	return readFirst(filepath.Join(dir, "cpuset.effective_cpus"), filepath.Join(root, "cpuset.effective_cpus"))
}

// pin implements hierarchy: cpuset is turned on down to the group's
// parent, and "" gives the group its parent's CPUs back.
// Equivalent to: echo +cpuset > .../cgroup.subtree_control down to the
// parent; echo 0-1 > /sys/fs/cgroup/PATH/cpuset.cpus
func (h *v2) pin(p, list string) error {
	if err := h.enableCpuset(p); err != nil {
		return err
	}
	return setting{h.dir(p), "cpuset.cpus", list}.write()
}

// enableCpuset turns the cpuset controller on for the group at p, in
// every ancestor's cgroup.subtree_control, from the root down.
func (h *v2) enableCpuset(p string) error {
	b, err := os.ReadFile(filepath.Join(h.mount, "cgroup.controllers"))
	if err != nil || !slices.Contains(strings.Fields(string(b)), "cpuset") {
		return fmt.Errorf("%w: %s offers no cpuset controller", ErrNoCpuset, h.mount)
	}
	var chain []string
	for d := path.Dir(p); d != "/" && d != "."; d = path.Dir(d) {
		chain = append([]string{d}, chain...)
	}
	chain = append([]string{"/"}, chain...)
	for _, d := range chain {
		dir := h.dir(d)
		if on, _ := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control")); slices.Contains(strings.Fields(string(on)), "cpuset") {
			continue
		}
		if err := (setting{dir, "cgroup.subtree_control", "+cpuset"}).write(); err != nil {
			return err
		}
	}
	return nil
}

// pinned implements hierarchy.
func (h *v2) pinned(p string) (string, error) {
	list, err := readFirst(filepath.Join(h.dir(p), "cpuset.cpus"))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil // cpuset is not on for the group: every CPU
	}
	return list, err
}

// cpus implements hierarchy.
func (h *v2) cpus(p string) (string, error) {
	return readFirst(filepath.Join(h.dir(p), "cpuset.cpus.effective"), filepath.Join(h.mount, "cpuset.cpus.effective"))
}
