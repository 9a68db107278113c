package procstat

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// ParseUsageAll reads cgroup1's cpuacct.usage_all: a header, then a line
// "CPU USER SYSTEM" per host CPU, in nanoseconds.
func ParseUsageAll(b []byte) (map[int]CPUTime, error) {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if head := strings.Fields(lines[0]); len(head) == 0 || head[0] != "cpu" {
		return nil, fmt.Errorf("reading cpuacct.usage_all: no header line")
	}
	out := make(map[int]CPUTime, len(lines)-1)
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("reading cpuacct.usage_all: line %q", line)
		}
		cpu, err1 := strconv.Atoi(f[0])
		user, err2 := strconv.ParseUint(f[1], 10, 64)
		sys, err3 := strconv.ParseUint(f[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || cpu < 0 {
			return nil, fmt.Errorf("reading cpuacct.usage_all: line %q", line)
		}
		out[cpu] = CPUTime{User: nanos(user), System: nanos(sys)}
	}
	return out, nil
}

// ParseCPUStat reads the user and system time of cgroup2's cpu.stat
// (user_usec and system_usec).
func ParseCPUStat(b []byte) (CPUTime, error) {
	var t CPUTime
	found := 0
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, " ")
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "user_usec":
			t.User, found = nanos(min(n, 1<<53)*1000), found+1
		case "system_usec":
			t.System, found = nanos(min(n, 1<<53)*1000), found+1
		}
	}
	if found != 2 {
		return CPUTime{}, fmt.Errorf("reading cpu.stat: no user_usec and system_usec")
	}
	return t, nil
}

// ParseCPUMax reads cgroup2's cpu.max, "QUOTA PERIOD" or "max PERIOD":
// a quota of 0 is none.
func ParseCPUMax(b []byte) (quota, period int64) {
	f := strings.Fields(string(b))
	if len(f) != 2 || f[0] == "max" {
		return 0, 0
	}
	q, err1 := strconv.ParseInt(f[0], 10, 64)
	p, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || q <= 0 || p <= 0 {
		return 0, 0
	}
	return q, p
}

// ParseInt reads a cgroup file of one number (cgroup1's cpu.cfs_quota_us,
// -1 for none); 0 when it holds none.
func ParseInt(b []byte) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// CgroupPath returns the reader's cgroup in /proc/PID/cgroup text: on
// cgroup1 (v1 set) that of the hierarchy with the controller, else the
// cgroup2 one ("0::PATH").
func CgroupPath(b []byte, v1 bool, controller string) (string, bool) {
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if !v1 && parts[0] == "0" && parts[1] == "" {
			return parts[2], true
		}
		if v1 && hasController(parts[1], controller) {
			return parts[2], true
		}
	}
	return "", false
}

// hasController reports whether a comma-separated list has controller.
func hasController(list, controller string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == controller {
			return true
		}
	}
	return false
}

// GuestGroup returns the guest's group that the cgroup p is in: the group
// right below parent (such as /vmhost-br0/alice for /vmhost-br0/alice or
// any group below it), or false when p is not below parent.
func GuestGroup(p, parent string) (string, bool) {
	p, parent = path.Clean("/"+p), path.Clean("/"+parent)
	if parent == "/" {
		return "", false
	}
	rest, ok := strings.CutPrefix(p, parent+"/")
	if !ok || rest == "" {
		return "", false
	}
	id, _, _ := strings.Cut(rest, "/")
	if id == "." || id == ".." {
		return "", false
	}
	return parent + "/" + id, true
}

// ParseBootOffset reads the boot-time offset of /proc/PID/timens_offsets
// ("boottime SECONDS NANOSECONDS"): how far the reader's boot-time clock
// is ahead of the host's (negative in a guest, which started later).
func ParseBootOffset(b []byte) (time.Duration, error) {
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "boottime" {
			continue
		}
		sec, err1 := strconv.ParseInt(f[1], 10, 64)
		nsec, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || sec < -(1<<33) || sec > 1<<33 {
			return 0, fmt.Errorf("reading timens_offsets: line %q", line)
		}
		return time.Duration(sec)*time.Second + time.Duration(nsec), nil
	}
	return 0, fmt.Errorf("reading timens_offsets: no boottime line")
}

// ParseHostStat reads the lines of the host's /proc/stat a guest's shows.
func ParseHostStat(b []byte) HostCounters {
	var h HostCounters
	for _, line := range bytes.Split(b, []byte("\n")) {
		name, rest, _ := bytes.Cut(line, []byte(" "))
		first, _, _ := bytes.Cut(bytes.TrimSpace(rest), []byte(" "))
		n, _ := strconv.ParseUint(string(first), 10, 64)
		switch string(name) {
		case "intr":
			h.Intr = n
		case "ctxt":
			h.Ctxt = n
		case "processes":
			h.Processes = n
		case "softirq":
			h.Softirq = string(line)
		}
	}
	return h
}

// TaskState returns the state letter of a /proc/PID/stat line: after the
// command name, which may hold spaces and parentheses.
func TaskState(stat []byte) byte {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return 0
	}
	return stat[i+2]
}

// CountTasks counts the states of tasks, letters as TaskState returns.
func CountTasks(states []byte) Tasks {
	var t Tasks
	for _, s := range states {
		switch s {
		case 'R':
			t.Running++
		case 'D':
			t.Blocked++
		}
	}
	return t
}

// nanos is n nanoseconds, bounded.
func nanos(n uint64) time.Duration {
	return time.Duration(min(n, 1<<62))
}
