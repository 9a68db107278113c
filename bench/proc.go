package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"vmhost/guest"
)

// statFields reads /proc/PID/stat and returns its fields after the command
// name, which may hold spaces and parentheses: [0] is field 3, the state.
// There are at least 20, up to field 22, the start time.
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	return splitStat(string(b))
}

// splitStat splits a /proc/PID/stat line as statFields does.
func splitStat(stat string) ([]string, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return nil, errors.New("malformed /proc/PID/stat")
	}
	fields := strings.Fields(stat[i+1:])
	if len(fields) < 20 {
		return nil, errors.New("short /proc/PID/stat")
	}
	return fields, nil
}

// startTime returns field 22 of /proc/PID/stat, the start time in ticks.
func startTime(pid int) (uint64, error) {
	fields, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// alive reports whether pid is still the process that started at start.
func alive(pid int, start uint64) bool {
	got, err := startTime(pid)
	return err == nil && got == start
}

// killGuests kills the inits of the running guests, which ends every
// process of theirs, all at once (the kernel tears a guest's namespaces down
// while the next one is killed), then waits for them to be gone and removes
// the cgroups they were in.
func killGuests(states []guest.State) error {
	var killed []guest.State
	var dirs []string
	for _, st := range states {
		if st.InitPid <= 1 || !alive(st.InitPid, st.InitStart) {
			continue
		}
		dirs = append(dirs, cgroupDirs(st.InitPid)...)
		unix.Kill(st.InitPid, unix.SIGKILL)
		killed = append(killed, st)
	}
	deadline := time.Now().Add(time.Duration(30+len(killed)/10) * time.Second)
	for _, st := range killed {
		for alive(st.InitPid, st.InitStart) {
			if time.Now().After(deadline) {
				return fmt.Errorf("guest %s: init %d did not end", st.ID(), st.InitPid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, dir := range dirs {
		for unix.Rmdir(dir) == unix.EBUSY && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// cgroupDirs returns the cgroup directories of pid in every hierarchy that
// are not the benchmark's own.
func cgroupDirs(pid int) []string {
	mounts := cgroupMounts()
	ours := cgroupPaths(os.Getpid())
	var dirs []string
	for key, path := range cgroupPaths(pid) {
		if mnt, ok := mounts[key]; ok && path != ours[key] && path != "/" {
			dirs = append(dirs, filepath.Join(mnt, path))
		}
	}
	return dirs
}

// cgroupPaths maps the controllers of each line of /proc/PID/cgroup ("" for
// cgroup2) to the process's path there.
func cgroupPaths(pid int) map[string]string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	paths := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 {
			paths[parts[1]] = parts[2]
		}
	}
	return paths
}

// cgroupMounts maps the controllers of each cgroup mount ("" for cgroup2)
// to its mount point.
func cgroupMounts() map[string]string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	mounts := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(tail) < 3 {
			continue
		}
		switch tail[0] {
		case "cgroup2":
			mounts[""] = fields[4]
		case "cgroup":
			var ctrls []string
			for _, o := range strings.Split(tail[2], ",") {
				if strings.HasPrefix(o, "name=") || !strings.Contains(o, "=") && !notController[o] {
					ctrls = append(ctrls, o)
				}
			}
			mounts[strings.Join(ctrls, ",")] = fields[4]
		}
	}
	return mounts
}

// notController are the super options of a cgroup v1 mount that do not name
// a controller.
var notController = map[string]bool{"rw": true, "ro": true, "xattr": true, "clone_children": true, "noprefix": true, "cpuset_v2_mode": true}

// memAvailable returns MemAvailable of /proc/meminfo, in bytes.
func memAvailable() (int64, error) {
	return meminfo("MemAvailable")
}

// pinnedFields are the memory that nothing but ending its owner frees:
// processes' own pages and shared memory, and the kernel's unreclaimable
// slab, stacks, page tables and per-CPU areas (namespaces, cgroups, network
// devices). Page cache and reclaimable slab are left out: the kernel gives
// them back when memory runs short, and a run before (a transfer, a figure's
// removed guests) leaves their size to chance.
var pinnedFields = []string{"AnonPages", "Shmem", "SUnreclaim", "KernelStack", "PageTables", "SecPageTables", "Percpu"}

// pinnedMemory returns the sum of pinnedFields, in bytes, from one reading
// of /proc/meminfo; a field this kernel does not have counts 0.
func pinnedMemory() (int64, error) {
	info, err := readMeminfo()
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, field := range pinnedFields {
		sum += info[field]
	}
	return sum, nil
}

// meminfo returns a field of /proc/meminfo in bytes.
func meminfo(field string) (int64, error) {
	info, err := readMeminfo()
	if err != nil {
		return 0, err
	}
	n, ok := info[field]
	if !ok {
		return 0, fmt.Errorf("no %s in /proc/meminfo", field)
	}
	return n, nil
}

// readMeminfo reads every field of /proc/meminfo, in bytes (the few counted
// in pages, such as HugePages_Total, are left as they are).
func readMeminfo() (map[string]int64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info := make(map[string]int64)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, _ := strings.Cut(sc.Text(), ":")
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("/proc/meminfo %s: %w", name, err)
		}
		if len(fields) > 1 && fields[1] == "kB" {
			n <<= 10
		}
		info[name] = n
	}
	return info, sc.Err()
}

// pss returns the proportional set size of pid, in bytes: its private pages
// and its share of pages shared with other processes, such as the sealed
// binary every init runs.
func pss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Pss:") {
			kb, err := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no Pss in /proc/%d/smaps_rollup", pid)
}

// removeCgroupParent removes the daemon's parent cgroup, vmhost-<bridge>, in
// every hierarchy, with any guest group left in it, once the guests are gone.
func removeCgroupParent(bridge string) {
	for _, mnt := range cgroupMounts() {
		parent := filepath.Join(mnt, "vmhost-"+bridge)
		kids, _ := os.ReadDir(parent)
		for _, k := range kids {
			if k.IsDir() {
				unix.Rmdir(filepath.Join(parent, k.Name()))
			}
		}
		unix.Rmdir(parent)
	}
}
