//go:build linux

package limits

import (
	"strconv"

	"github.com/containerd/cgroups/v3/cgroup2"
)

// v2Resources maps s to containerd's cgroup2 resources for the group in dir,
// and the settings written after them. Limits lifted are written too
// ("max", the default weight), so an update can take a limit away.
// memory.oom.group stays 0: an OOM kills the biggest process of the guest,
// not the whole guest. It fails when s sets a limit the group has no file
// for; the swap and I/O weights go unset when the host cannot account swap or
// weigh I/O.
func v2Resources(s Spec, dir string) (*cgroup2.Resources, []setting, error) {
	res := &cgroup2.Resources{}
	var extra []setting
	mem, err := v2Memory(s, dir, &extra)
	if err != nil {
		return nil, nil, err
	}
	res.Memory = mem
	if res.CPU, err = v2CPU(s, dir); err != nil {
		return nil, nil, err
	}
	switch {
	case exists(dir, "pids.max"):
		res.Pids = &cgroup2.Pids{Max: -1} // "max"
		if s.Pids > 0 {
			res.Pids.Max = s.Pids
		}
	case s.Pids > 0:
		return nil, nil, missingError("processes", "pids.max", dir)
	}
	if exists(dir, "io.bfq.weight") {
		res.IO = &cgroup2.IO{BFQ: cgroup2.BFQ{Weight: uint16(s.bfqWeight())}}
	}
	if exists(dir, "io.weight") {
		extra = append(extra, setting{dir, "io.weight", "default " + itoa(s.ioWeight())})
	}
	return res, extra, nil
}

// v2Memory maps the memory limits: memory.max, and memory.swap.max (swap
// alone: memory plus swap less memory) where swap is accounted.
func v2Memory(s Spec, dir string, extra *[]setting) (*cgroup2.Memory, error) {
	if !exists(dir, "memory.max") {
		if s.MemoryBytes > 0 {
			return nil, missingError("memory", "memory.max", dir)
		}
		return nil, nil
	}
	mem := &cgroup2.Memory{}
	if exists(dir, "memory.oom.group") {
		no := false
		mem.OOMGroup = &no
	}
	if s.MemoryBytes <= 0 {
		*extra = append(*extra, setting{dir, "memory.max", "max"})
	} else {
		mem.Max = &s.MemoryBytes
	}
	if !exists(dir, "memory.swap.max") {
		return mem, nil
	}
	if s.MemoryBytes > 0 && s.MemorySwapBytes >= s.MemoryBytes {
		swap := s.MemorySwapBytes - s.MemoryBytes
		mem.Swap = &swap
	} else {
		*extra = append(*extra, setting{dir, "memory.swap.max", "max"})
	}
	return mem, nil
}

// v2CPU maps the CPU limits: cpu.max for CPUs, cpu.weight for the weight.
func v2CPU(s Spec, dir string) (*cgroup2.CPU, error) {
	if !exists(dir, "cpu.max") || !exists(dir, "cpu.weight") {
		if s.CPUs > 0 || s.CPUWeight > 0 {
			return nil, missingError("CPU", "cpu.max and cpu.weight", dir)
		}
		return nil, nil
	}
	period := uint64(cfsPeriod)
	var quota *int64
	if q := s.cpuQuota(); q > 0 {
		quota = &q
	}
	w := s.cpuWeight()
	return &cgroup2.CPU{Weight: &w, Max: cgroup2.NewCPUMax(quota, &period)}, nil
}

// itoa formats n in decimal.
func itoa(n uint64) string {
	return strconv.FormatUint(n, 10)
}
