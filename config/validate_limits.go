package config

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// minMemory is the least memory limit a guest can boot with.
const minMemory = 4 * MiB

// MinDisk and MinInodes are the least disk and inodes a guest's own files may
// be limited to: room for a small file system with its journal.
const (
	MinDisk   = 16 * MiB
	MinInodes = 1024
)

// Bounds of cpu_weight and io_weight: those of cgroup2's cpu.weight and
// io.weight, whose default is 100.
const (
	MinWeight = 1
	MaxWeight = 10000
)

// checkLimits wants every limits: mapping sensible and within the host.
func checkLimits(v *validator) {
	checkLimitSet(v, "defaults.limits", v.c.Defaults.Limits, v.c.Defaults.Limits)
	for _, name := range sortedKeys(v.c.Users) {
		checkLimitSet(v, "users."+name+".limits", v.c.Users[name].Limits, v.c.LimitsFor(name))
	}
}

// checkLimitSet checks one limits: mapping, own, whose user ends up with
// eff once the defaults fill what own leaves out.
func checkLimitSet(v *validator, path string, own, eff Limits) {
	written := func(key string) bool { return v.has(path + "." + key) }
	ps := limitProblems(own, eff, v.host, written)
	for _, p := range ps {
		v.addf(path+"."+p.key, "%s", p.msg)
	}
	if own.Inodes != 0 && eff.Disk == 0 && !hasKey(ps, "inodes") {
		v.addf(path+".inodes", "inodes count on a guest's own disk, which only a disk limit gives it; set disk too")
	}
}

// Check reports what is wrong with limits given outside a file, as the admin
// API gives them: every field that is not zero must make sense on host h.
// Each problem names its key.
func (l Limits) Check(h Host) error {
	return ValidateLimits(l, l, h)
}

// ValidateLimits reports what is wrong with own, a guest's own limits given
// outside a file (as a live change gives them), which over its owner's make
// eff: every field of own that is not zero must make sense on host h, and
// swap must go with a memory limit no higher than it. It is the one check of
// limits: the configuration's limits: mappings go through it too. Each
// problem names its key.
func ValidateLimits(own, eff Limits, h Host) error {
	var errs []error
	for _, p := range limitProblems(own, eff, h, func(string) bool { return false }) {
		errs = append(errs, fmt.Errorf("%s: %s", p.key, p.msg))
	}
	return errors.Join(errs...)
}

// limitProblem is what is wrong with one key of a limits: mapping.
type limitProblem struct {
	key, msg string
}

// limitProblems checks own, whose merged result is eff. written says whether
// a key was written: a written zero is a problem, an absent key is no limit.
func limitProblems(own, eff Limits, h Host, written func(key string) bool) []limitProblem {
	var ps []limitProblem
	check := func(key string, set bool, problem func() string) {
		if !written(key) && !set {
			return
		}
		if msg := problem(); msg != "" {
			ps = append(ps, limitProblem{key, msg})
		}
	}
	check("memory", own.Memory != 0, func() string { return memoryProblem(own.Memory, h) })
	check("swap", own.Swap != 0, func() string { return swapProblem(own.Swap, h) })
	check("cpus", own.CPUs != 0, func() string { return cpusProblem(own.CPUs, h) })
	check("cpu_weight", own.CPUWeight != 0, func() string { return weightProblem(own.CPUWeight, "CPU time") })
	check("pids", own.Pids != 0, func() string { return pidsProblem(own.Pids) })
	check("io_weight", own.IOWeight != 0, func() string { return weightProblem(own.IOWeight, "block I/O") })
	check("disk", own.Disk != 0, func() string { return diskProblem(own.Disk) })
	check("inodes", own.Inodes != 0, func() string { return inodesProblem(own.Inodes) })
	if p, ok := swapPairProblem(own, eff); ok && !hasKey(ps, "memory", "swap") {
		ps = append(ps, p)
	}
	return ps
}

// hasKey reports whether ps has a problem with one of keys.
func hasKey(ps []limitProblem, keys ...string) bool {
	for _, p := range ps {
		if slices.Contains(keys, p.key) {
			return true
		}
	}
	return false
}

// memoryProblem wants a memory limit from 4MiB to the host's memory.
func memoryProblem(m Size, h Host) string {
	switch {
	case m <= 0:
		return fmt.Sprintf("%s is not a memory size; write one like 512MiB, or leave it out for no limit", m)
	case m < minMemory:
		return fmt.Sprintf("%s is too little; a guest needs at least %s", m, minMemory)
	case h.MemTotal > 0 && int64(m) > h.MemTotal:
		return fmt.Sprintf("%s is more than this host's memory (%s)", m, Size(h.MemTotal))
	}
	return ""
}

// swapProblem wants a memory plus swap ceiling within the host's memory and
// swap.
func swapProblem(s Size, h Host) string {
	switch {
	case s <= 0:
		return fmt.Sprintf("%s is not a size; write the ceiling of memory plus swap, like 1GiB, or leave it out for as much swap as memory", s)
	case h.MemTotal > 0 && int64(s) > h.MemTotal+h.SwapTotal:
		return fmt.Sprintf("%s is more than this host's memory and swap (%s); swap is the ceiling of memory plus swap", s, Size(h.MemTotal+h.SwapTotal))
	}
	return ""
}

// swapPairProblem wants swap, when set, to go with a memory limit no higher
// than it. It blames the key own wrote: swap, or else memory.
func swapPairProblem(own, eff Limits) (limitProblem, bool) {
	if (own.Swap == 0 && own.Memory == 0) || eff.Swap == 0 {
		return limitProblem{}, false
	}
	switch {
	case eff.Memory == 0:
		return limitProblem{"swap", "swap is the ceiling of memory plus swap (as Docker's --memory-swap); set memory too"}, true
	case eff.Swap >= eff.Memory:
		return limitProblem{}, false
	case own.Swap != 0:
		return limitProblem{"swap", fmt.Sprintf("%s is less than memory (%s); swap is the ceiling of memory plus swap (as Docker's --memory-swap): write %s for no swap, or more to allow some",
			eff.Swap, eff.Memory, eff.Memory)}, true
	}
	return limitProblem{"memory", fmt.Sprintf("%s is more than swap (%s), the ceiling of memory plus swap of defaults.limits; set swap too, at least %s",
		eff.Memory, eff.Swap, eff.Memory)}, true
}

// cpusProblem wants a CPU limit above 0 and at most the host's CPUs.
func cpusProblem(c float64, h Host) string {
	switch {
	case !(c > 0) || math.IsInf(c, 1):
		return fmt.Sprintf("%g is not a number of CPUs; write one above 0, like 1.5, or leave it out for no limit", c)
	case h.CPUs > 0 && c > float64(h.CPUs):
		return fmt.Sprintf("%g is more than this host's %d CPUs", c, h.CPUs)
	}
	return ""
}

// weightProblem wants a weight from MinWeight to MaxWeight.
func weightProblem(w int, what string) string {
	if w < MinWeight || w > MaxWeight {
		return fmt.Sprintf("%d is not a weight; write one from %d to %d (the share of %s against other guests; 100 is the default), or leave it out",
			w, MinWeight, MaxWeight, what)
	}
	return ""
}

// pidsProblem wants a process limit of 1 or more.
func pidsProblem(p int64) string {
	if p <= 0 {
		return fmt.Sprintf("%d is not a number of processes; write 1 or more, like 512, or leave it out for no limit", p)
	}
	return ""
}

// diskProblem wants a disk limit of at least MinDisk.
func diskProblem(d Size) string {
	switch {
	case d <= 0:
		return fmt.Sprintf("%s is not a disk size; write one like 10GiB, or leave it out for no limit", d)
	case d < MinDisk:
		return fmt.Sprintf("%s is too little; a guest's disk needs at least %s", d, MinDisk)
	}
	return ""
}

// inodesProblem wants an inode limit of at least MinInodes.
func inodesProblem(n int64) string {
	if n < MinInodes {
		return fmt.Sprintf("%d is too few inodes; write %d or more, like 100000, or leave it out", n, MinInodes)
	}
	return ""
}
