package metrics

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ReadUsage reads what the cgroup of dirs counts: dirs is the group's
// directory under the key "" on cgroup2, or its directories by cgroup1
// controller ("cpuacct", "memory", "pids", "blkio"). Memory in use leaves
// out the page cache the kernel can drop at once (inactive files), as
// `vmhostd guest stats` and docker stats count it.
func ReadUsage(dirs map[string]string) (Usage, error) {
	var r fileReader
	return r.usage(dirs)
}

// usage implements ReadUsage with r's buffer.
func (r *fileReader) usage(dirs map[string]string) (Usage, error) {
	if dir, ok := dirs[""]; ok {
		return r.usage2(dir)
	}
	return r.usage1(dirs)
}

// usage2 reads a cgroup2 group. Its memory.current must be there: without
// it the group is gone.
func (r *fileReader) usage2(dir string) (Usage, error) {
	var u Usage
	mem, err := r.number(dir, "memory.current")
	if err != nil {
		return Usage{}, fmt.Errorf("reading %s: %w", filepath.Join(dir, "memory.current"), err)
	}
	inactive, _ := r.field(dir, "memory.stat", "inactive_file")
	u.MemoryBytes = mem - min(inactive, mem)
	u.MemoryLimitBytes, _ = r.number(dir, "memory.max")
	u.SwapBytes, _ = r.number(dir, "memory.swap.current")
	u.OOMKills, _ = r.field(dir, "memory.events", "oom_kill")
	usec, _ := r.field(dir, "cpu.stat", "usage_usec")
	u.CPUSeconds = float64(usec) / 1e6
	u.Pids, _ = r.number(dir, "pids.current")
	u.PidsLimit, _ = r.number(dir, "pids.max")
	if b, err := r.read(filepath.Join(dir, "io.stat")); err == nil {
		u.IOReadBytes, u.IOWriteBytes = ioStat2(b)
	}
	return u, nil
}

// usage1 reads a group in the cgroup1 hierarchies. Its memory group's
// usage must be there: without it the group is gone.
func (r *fileReader) usage1(dirs map[string]string) (Usage, error) {
	var u Usage
	dir := dirs["memory"]
	mem, err := r.number(dir, "memory.usage_in_bytes")
	if err != nil {
		return Usage{}, fmt.Errorf("reading %s: %w", filepath.Join(dir, "memory.usage_in_bytes"), err)
	}
	inactive, _ := r.field(dir, "memory.stat", "total_inactive_file")
	u.MemoryBytes = mem - min(inactive, mem)
	if l, _ := r.number(dir, "memory.limit_in_bytes"); l < v1Unlimited {
		u.MemoryLimitBytes = l
	}
	if sw, err := r.number(dir, "memory.memsw.usage_in_bytes"); err == nil {
		u.SwapBytes = sw - min(mem, sw)
	}
	u.OOMKills, _ = r.field(dir, "memory.oom_control", "oom_kill")
	ns, _ := r.number(dirs["cpuacct"], "cpuacct.usage")
	u.CPUSeconds = float64(ns) / 1e9
	u.Pids, _ = r.number(dirs["pids"], "pids.current")
	u.PidsLimit, _ = r.number(dirs["pids"], "pids.max")
	if b, err := r.read(filepath.Join(dirs["blkio"], "blkio.throttle.io_service_bytes")); err == nil {
		u.IOReadBytes, u.IOWriteBytes = ioStat1(b)
	}
	return u, nil
}

// ReadNetDev reads the counters of the interfaces want names from the
// table at path (DefaultNetDev), turned to the guests' side.
// Equivalent to: `cat /proc/self/net/dev`.
func ReadNetDev(path string, want map[string]bool) (map[string]NetUsage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxNetDev+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(b) > maxNetDev {
		return nil, fmt.Errorf("reading %s: %w", path, errCut)
	}
	return parseNetDev(b, want), nil
}
