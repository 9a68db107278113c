package limits

import (
	"math"

	"vmhost/config"
)

// Spec is the limits of one guest in the units cgroups take. A zero field
// means no limit, or the default share for a weight.
type Spec struct {
	// MemoryBytes is the most memory the guest's processes may use.
	MemoryBytes int64
	// MemorySwapBytes is the most memory plus swap (Docker's
	// --memory-swap); only with MemoryBytes.
	MemorySwapBytes int64
	// CPUs is the CPU time the guest may use, in host cores (1.5).
	CPUs float64
	// CPUWeight is the guest's share of CPU time, 1 to 10000 (default 100).
	CPUWeight uint64
	// Pids is the most processes (and threads) the guest may have.
	Pids int64
	// IOWeight is the guest's share of block I/O, 1 to 10000 (default 100).
	IOWeight uint64
}

// SpecFrom returns the Spec of config limits. A memory limit without swap
// allows as much swap as memory, as Docker does.
func SpecFrom(l config.Limits) Spec {
	s := Spec{
		MemoryBytes: int64(l.Memory),
		CPUs:        l.CPUs,
		CPUWeight:   uint64(max(l.CPUWeight, 0)),
		Pids:        l.Pids,
		IOWeight:    uint64(max(l.IOWeight, 0)),
	}
	if s.MemoryBytes > 0 {
		s.MemorySwapBytes = int64(l.Swap)
		if s.MemorySwapBytes == 0 {
			s.MemorySwapBytes = 2 * s.MemoryBytes
		}
	}
	return s
}

// cfsPeriod is the CPU bandwidth period, in microseconds: 100ms, the
// kernel's default.
const cfsPeriod = 100_000

// minQuota is the least CPU quota per period the kernel takes (1ms).
const minQuota = 1000

// cpuQuota is the CPU time per cfsPeriod, in microseconds; -1 for no limit.
func (s Spec) cpuQuota() int64 {
	if !(s.CPUs > 0) {
		return -1
	}
	return max(minQuota, int64(math.Round(s.CPUs*cfsPeriod)))
}

// cpuWeight is cgroup2's cpu.weight.
func (s Spec) cpuWeight() uint64 {
	return weightOr(s.CPUWeight, 100, 1, 10000)
}

// cpuShares is cgroup1's cpu.shares: the weight scaled so that the default
// weight 100 is the default 1024 shares, and ratios between guests stay.
func (s Spec) cpuShares() uint64 {
	if s.CPUWeight == 0 {
		return 1024
	}
	return min(max(s.CPUWeight*1024/100, 2), 262144)
}

// ioWeight is cgroup2's io.weight (blk-iocost).
func (s Spec) ioWeight() uint64 {
	return weightOr(s.IOWeight, 100, 1, 10000)
}

// bfqWeight is the weight of the BFQ scheduler (io.bfq.weight,
// blkio.bfq.weight): the same scale, capped at its 1000.
func (s Spec) bfqWeight() uint64 {
	return weightOr(s.IOWeight, 100, 1, 1000)
}

// blkioWeight is cgroup1's blkio.weight (CFQ), 10 to 1000 with 500 the
// default: the weight scaled so that the defaults meet.
func (s Spec) blkioWeight() uint16 {
	if s.IOWeight == 0 {
		return 500
	}
	return uint16(min(max(s.IOWeight*5, 10), 1000))
}

// weightOr returns w within lo..hi, or def when w is zero.
func weightOr(w, def, lo, hi uint64) uint64 {
	if w == 0 {
		return def
	}
	return min(max(w, lo), hi)
}
