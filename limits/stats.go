package limits

import "time"

// Stats are what a group uses now.
type Stats struct {
	// MemoryBytes is the memory in use, less the page cache the kernel can
	// drop at once (inactive files), as docker stats counts it.
	MemoryBytes int64
	// CPU is the CPU time used since the group was made.
	CPU time.Duration
	// Processes is the number of processes and threads.
	Processes int64
	// CPUPeriods counts the bandwidth periods in which the group ran;
	// CPUThrottledPeriods those in which it used up its quota, and
	// CPUThrottled the time it waited because of it.
	CPUPeriods          uint64
	CPUThrottledPeriods uint64
	CPUThrottled        time.Duration
	// OOMKills counts the processes killed for going over the memory limit.
	OOMKills uint64
}

// durationNS is n nanoseconds.
func durationNS(n uint64) time.Duration {
	return time.Duration(min(n, uint64(1<<63-1)))
}
