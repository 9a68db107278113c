package procstat

import (
	"maps"
	"slices"
	"time"
)

// CPUCount is how many CPUs a guest shows: those of its cpuset (the
// host's online CPUs, online, when it has none of its own), no more than
// its CPU quota allows, rounded up (quota and period as cpu.max has them;
// quota <= 0 is none), and at least one. lxcfs --enable-cfs counts the
// same way for /proc/cpuinfo and /sys/devices/system/cpu/online.
func CPUCount(cpuset []int, online int, quota, period int64) int {
	n := len(cpuset)
	if n == 0 {
		n = online
	}
	if quota > 0 && period > 0 {
		n = min(n, int((quota+period-1)/period))
	}
	return max(n, 1)
}

// FoldCPUs gives each of a guest's n CPUs the time it spent on a host
// CPU, from its time per host CPU (cgroup1's cpuacct.usage_all): guest
// CPU i is host CPU cpuset[i], and the time on every other host CPU (one
// the guest ran on before its cpuset changed, or beyond its quota's count)
// goes to the guest CPUs in turn, so that the sum stays the guest's whole
// time and never goes down.
func FoldCPUs(perHost map[int]CPUTime, cpuset []int, n int) []CPUTime {
	out := make([]CPUTime, n)
	slot := make(map[int]int, n)
	for i, c := range cpuset {
		if i >= n {
			break
		}
		slot[c] = i
	}
	next := 0
	for _, c := range slices.Sorted(maps.Keys(perHost)) {
		i, ok := slot[c]
		if !ok {
			i, next = next%n, next+1
		}
		out[i] = out[i].add(perHost[c])
	}
	return out
}

// SplitCPUs shares a guest's whole time (cgroup2's cpu.stat, which has no
// time per CPU) evenly among its n CPUs; the first CPUs take the
// remainder.
func SplitCPUs(total CPUTime, n int) []CPUTime {
	out := make([]CPUTime, n)
	share := func(d time.Duration, i int) time.Duration {
		q, r := d/time.Duration(n), d%time.Duration(n)
		if time.Duration(i) < r {
			q++
		}
		return q
	}
	for i := range out {
		out[i] = CPUTime{User: share(total.User, i), System: share(total.System, i)}
	}
	return out
}
