package procstat

import (
	"strconv"
	"time"
)

// tick is USER_HZ, the unit of /proc/stat's CPU times.
const tick = 10 * time.Millisecond

// CPUTime is the time a guest spent on one CPU.
type CPUTime struct {
	User, System time.Duration
}

// add returns the sum of t and u.
func (t CPUTime) add(u CPUTime) CPUTime {
	return CPUTime{User: t.User + u.User, System: t.System + u.System}
}

// HostCounters are the lines of the host's /proc/stat that a guest's
// shows as they are: interrupts (their total only), context switches,
// forks and softirqs (the whole line, "softirq" included).
type HostCounters struct {
	Intr, Ctxt, Processes uint64
	Softirq               string
}

// Tasks counts a guest's threads by state.
type Tasks struct {
	Running, Blocked int
}

// Sample is what one reader's /proc/stat is made of.
type Sample struct {
	// CPUs are the times of the guest's CPUs, guest CPU i at index i.
	CPUs []CPUTime
	// Uptime is the guest's uptime: the reader's boot-time clock.
	Uptime time.Duration
	// BootTime is btime, the guest's boot in seconds since the epoch.
	BootTime int64
	Host     HostCounters
	Tasks    Tasks
}

// Format writes s as the kernel writes /proc/stat: the "cpu" line (the sum
// of the CPUs), one "cpuN" line per CPU, and the other lines. Each CPU's
// idle time is what its user and system time leave of the uptime; nice,
// iowait, irq, softirq, steal and guest times are 0.
func Format(s Sample) []byte {
	var idle time.Duration
	var sum CPUTime
	for _, c := range s.CPUs {
		sum = sum.add(c)
		idle += idleOf(c, s.Uptime)
	}
	b := make([]byte, 0, 256+96*len(s.CPUs)+len(s.Host.Softirq))
	b = appendCPU(b, "cpu ", sum, idle)
	for i, c := range s.CPUs {
		b = appendCPU(b, "cpu"+strconv.Itoa(i), c, idleOf(c, s.Uptime))
	}
	b = appendLine(b, "intr", uint64(s.Host.Intr))
	b = appendLine(b, "ctxt", s.Host.Ctxt)
	b = appendLine(b, "btime", uint64(max(s.BootTime, 0)))
	b = appendLine(b, "processes", s.Host.Processes)
	b = appendLine(b, "procs_running", uint64(max(s.Tasks.Running, 1))) // the reader runs
	b = appendLine(b, "procs_blocked", uint64(max(s.Tasks.Blocked, 0)))
	if s.Host.Softirq != "" {
		b = append(b, s.Host.Softirq...)
		b = append(b, '\n')
	}
	return b
}

// idleOf is what c leaves of uptime on its CPU, never less than 0.
func idleOf(c CPUTime, uptime time.Duration) time.Duration {
	return max(uptime-c.User-c.System, 0)
}

// appendCPU appends a CPU line: name, then user, nice, system, idle,
// iowait, irq, softirq, steal, guest and guest_nice in ticks.
func appendCPU(b []byte, name string, c CPUTime, idle time.Duration) []byte {
	b = append(b, name...)
	for _, d := range []time.Duration{c.User, 0, c.System, idle, 0, 0, 0, 0, 0, 0} {
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(max(d, 0)/tick), 10)
	}
	return append(b, '\n')
}

// appendLine appends "name value".
func appendLine(b []byte, name string, v uint64) []byte {
	b = append(b, name...)
	b = append(b, ' ')
	b = strconv.AppendUint(b, v, 10)
	return append(b, '\n')
}
