//go:build linux

package limits

import (
	"github.com/containerd/cgroups/v3/cgroup1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// v1Dirs are a group's directories in the cgroup1 hierarchies it uses, by
// controller; a controller the host lacks is absent.
type v1Dirs map[cgroup1.Name]string

// has reports whether the group's directory of controller c has file.
func (d v1Dirs) has(c cgroup1.Name, file string) bool {
	dir, ok := d[c]
	return ok && exists(dir, file)
}

// v1Resources maps s to containerd's cgroup1 resources and the settings
// written after them. Limits lifted are written too (-1, "max", the default
// weight), so an update can take a limit away. It fails when s sets a limit
// the host has no file for; the swap and I/O weights go unset when the host
// cannot account swap or weigh I/O.
func v1Resources(s Spec, d v1Dirs) (*specs.LinuxResources, []setting, error) {
	res := &specs.LinuxResources{}
	var extra []setting
	if err := v1Memory(s, d, res); err != nil {
		return nil, nil, err
	}
	if err := v1CPU(s, d, res); err != nil {
		return nil, nil, err
	}
	switch {
	case s.Pids > 0 && !d.has(cgroup1.Pids, "pids.max"):
		return nil, nil, missingError("processes", "pids.max", "the pids hierarchy")
	case s.Pids > 0:
		res.Pids = &specs.LinuxPids{Limit: &s.Pids}
	case d.has(cgroup1.Pids, "pids.max"):
		extra = append(extra, setting{d[cgroup1.Pids], "pids.max", "max"})
	}
	if d.has(cgroup1.Blkio, "blkio.weight") {
		w := s.blkioWeight()
		res.BlockIO = &specs.LinuxBlockIO{Weight: &w}
	}
	if d.has(cgroup1.Blkio, "blkio.bfq.weight") {
		extra = append(extra, setting{d[cgroup1.Blkio], "blkio.bfq.weight", itoa(s.bfqWeight())})
	}
	return res, extra, nil
}

// v1Memory maps the memory limits: memory.limit_in_bytes, and
// memory.memsw.limit_in_bytes where swap is accounted.
func v1Memory(s Spec, d v1Dirs, res *specs.LinuxResources) error {
	if !d.has(cgroup1.Memory, "memory.limit_in_bytes") {
		if s.MemoryBytes > 0 {
			return missingError("memory", "memory.limit_in_bytes", "the memory hierarchy")
		}
		return nil
	}
	limit, swap := int64(-1), int64(-1)
	if s.MemoryBytes > 0 {
		limit = s.MemoryBytes
		if s.MemorySwapBytes >= s.MemoryBytes {
			swap = s.MemorySwapBytes
		}
	}
	res.Memory = &specs.LinuxMemory{Limit: &limit}
	if d.has(cgroup1.Memory, "memory.memsw.limit_in_bytes") {
		res.Memory.Swap = &swap
	}
	return nil
}

// v1CPU maps the CPU limits: cpu.cfs_quota_us and cpu.cfs_period_us for
// CPUs, cpu.shares for the weight.
func v1CPU(s Spec, d v1Dirs, res *specs.LinuxResources) error {
	quota, period := s.cpuQuota(), uint64(cfsPeriod)
	shares := s.cpuShares()
	cpu := &specs.LinuxCPU{}
	switch {
	case d.has(cgroup1.Cpu, "cpu.cfs_quota_us"):
		cpu.Quota, cpu.Period = &quota, &period
	case s.CPUs > 0:
		return missingError("CPU time", "cpu.cfs_quota_us", "the cpu hierarchy")
	}
	switch {
	case d.has(cgroup1.Cpu, "cpu.shares"):
		cpu.Shares = &shares
	case s.CPUWeight > 0:
		return missingError("the CPU weight", "cpu.shares", "the cpu hierarchy")
	}
	if cpu.Quota != nil || cpu.Shares != nil {
		res.CPU = cpu
	}
	return nil
}
