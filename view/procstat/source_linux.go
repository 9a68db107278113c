package procstat

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"vmhost/limits"
)

// Bounds on what one read of /proc/stat costs the server.
const (
	smallFile = 64 << 10 // /proc/TID/cgroup, timens_offsets, cgroup files
	bigFile   = 4 << 20  // the host's /proc/stat, usage_all, a tasks list
	// maxTasks bounds the threads whose state one count reads: a guest
	// with more shows the counts of the first ones.
	maxTasks = 4096
)

// How long made values are shared: a guest's readers within contentTTL
// get the same /proc/stat, its task counts are made at most once per
// tasksTTL, and the host's counters once per hostTTL.
const (
	contentTTL = 20 * time.Millisecond
	tasksTTL   = time.Second
	hostTTL    = 100 * time.Millisecond
)

// source reads what a guest's /proc/stat is made of, from the cgroup
// hierarchies under root and the host's /proc.
type source struct {
	root   string // where the cgroup hierarchies are mounted
	v1     bool   // cgroup1 controllers (legacy or hybrid host)
	parent string // the daemon's cgroup parent, such as /vmhost-vmhost0
	online int    // the host's online CPUs

	readers *cache[reader]
	content *cache[[]byte]
	tasks   *cache[Tasks]
	host    *cache[HostCounters]
}

// newSource returns the source of the guests below parent.
func newSource(root string, v1 bool, parent string) *source {
	now := time.Now
	s := &source{root: root, v1: v1, parent: path.Clean("/" + parent), online: hostOnline(),
		readers: newCache[reader](contentTTL, now), content: newCache[[]byte](contentTTL, now), tasks: newCache[Tasks](tasksTTL, now), host: newCache[HostCounters](hostTTL, now)}
	return s
}

// hostOnline is the number of the host's online CPUs.
func hostOnline() int {
	b, err := readBounded("/sys/devices/system/cpu/online", smallFile)
	if err != nil {
		return 1
	}
	cpus, err := limits.ParseCPUs(string(b))
	if err != nil || len(cpus) == 0 {
		return 1
	}
	return len(cpus)
}

// errNoGuest is a reader in no guest's cgroup.
var errNoGuest = errors.New("a reader in no guest")

// reader is who reads: the guest's group and the reader's boot-time offset.
type reader struct {
	group  string
	offset time.Duration
}

// readerOf finds the guest of the thread tid, and its time namespace's
// boot-time offset (0 without time namespaces), as found within
// contentTTL: a thread's time namespace never changes, and a guest's
// threads stay in its group.
func (s *source) readerOf(tid int) (reader, error) {
	if tid <= 0 {
		return reader{}, fmt.Errorf("%w: a request of the kernel's own", errNoGuest)
	}
	return s.readers.get(strconv.Itoa(tid), func() (reader, error) { return s.findReader(tid) })
}

// findReader does readerOf's work.
func (s *source) findReader(tid int) (reader, error) {
	b, err := readBounded(taskFile(tid, "cgroup"), smallFile)
	if err != nil {
		return reader{}, fmt.Errorf("finding the reader's cgroup: %w", err)
	}
	p, ok := CgroupPath(b, s.v1, "cpuacct")
	if !ok {
		return reader{}, fmt.Errorf("%w: %d has no CPU cgroup", errNoGuest, tid)
	}
	group, ok := GuestGroup(p, s.parent)
	if !ok {
		return reader{}, fmt.Errorf("%w: %d (cgroup %s)", errNoGuest, tid, p)
	}
	var off time.Duration
	if b, err := readBounded(taskFile(tid, "timens_offsets"), smallFile); err == nil {
		if off, err = ParseBootOffset(b); err != nil {
			return reader{}, err
		}
	}
	return reader{group: group, offset: off}, nil
}

// content returns the /proc/stat of reader r, made within contentTTL.
func (s *source) contentOf(r reader) ([]byte, error) {
	key := r.group + "\x00" + strconv.FormatInt(int64(r.offset), 10)
	return s.content.get(key, func() ([]byte, error) {
		sm, err := s.sample(r)
		if err != nil {
			return nil, err
		}
		return Format(sm), nil
	})
}

// sample reads what r's /proc/stat is made of.
func (s *source) sample(r reader) (Sample, error) {
	cpus, err := s.cpuTimes(r.group)
	if err != nil {
		return Sample{}, err
	}
	real, boot, err := clocks()
	if err != nil {
		return Sample{}, err
	}
	host, _ := s.host.get("", readHostCounters)
	tasks, _ := s.tasks.get(r.group, func() (Tasks, error) { return s.countTasks(r.group), nil })
	return Sample{
		CPUs:     cpus,
		Uptime:   max(boot+r.offset, 0),
		BootTime: floorSeconds(real - boot - r.offset),
		Host:     host,
		Tasks:    tasks,
	}, nil
}

// cpuTimes reads the times of the guest's CPUs.
func (s *source) cpuTimes(group string) ([]CPUTime, error) {
	if s.v1 {
		return s.cpuTimesV1(group)
	}
	return s.cpuTimesV2(group)
}

// cpuTimesV1 reads cgroup1's cpuacct, cpu and cpuset controllers.
func (s *source) cpuTimesV1(group string) ([]CPUTime, error) {
	b, err := readBounded(s.v1File("cpuacct", group, "cpuacct.usage_all"), bigFile)
	if err != nil {
		return nil, fmt.Errorf("reading the guest's CPU time: %w", err)
	}
	perHost, err := ParseUsageAll(b)
	if err != nil {
		return nil, err
	}
	cpuset := s.cpuset(s.v1File("cpuset", group, "cpuset.effective_cpus"))
	quota := s.number(s.v1File("cpu", group, "cpu.cfs_quota_us"))
	period := s.number(s.v1File("cpu", group, "cpu.cfs_period_us"))
	return FoldCPUs(perHost, cpuset, CPUCount(cpuset, s.online, quota, period)), nil
}

// cpuTimesV2 reads cgroup2's cpu.stat, cpu.max and cpuset.cpus.effective.
func (s *source) cpuTimesV2(group string) ([]CPUTime, error) {
	dir := filepath.Join(s.root, group)
	b, err := readBounded(filepath.Join(dir, "cpu.stat"), smallFile)
	if err != nil {
		return nil, fmt.Errorf("reading the guest's CPU time: %w", err)
	}
	total, err := ParseCPUStat(b)
	if err != nil {
		return nil, err
	}
	cpuset := s.cpuset(filepath.Join(dir, "cpuset.cpus.effective"))
	var quota, period int64
	if b, err := readBounded(filepath.Join(dir, "cpu.max"), smallFile); err == nil {
		quota, period = ParseCPUMax(b)
	}
	return SplitCPUs(total, CPUCount(cpuset, s.online, quota, period)), nil
}

// v1File is a file of group in the cgroup1 hierarchy of controller.
func (s *source) v1File(controller, group, name string) string {
	return filepath.Join(s.root, controller, group, name)
}

// cpuset reads a CPU list file; none when it cannot.
func (s *source) cpuset(name string) []int {
	b, err := readBounded(name, smallFile)
	if err != nil {
		return nil
	}
	cpus, _ := limits.ParseCPUs(string(b))
	return cpus
}

// number reads a file of one number; 0 when it cannot.
func (s *source) number(name string) int64 {
	b, err := readBounded(name, smallFile)
	if err != nil {
		return 0
	}
	return ParseInt(b)
}

// countTasks counts the running and blocked threads of the guest, at most
// maxTasks of them.
func (s *source) countTasks(group string) Tasks {
	name := filepath.Join(s.root, group, "cgroup.threads")
	if s.v1 {
		name = s.v1File("cpuacct", group, "tasks")
	}
	b, err := readBounded(name, bigFile)
	if err != nil {
		return Tasks{}
	}
	var states []byte
	for i, f := range strings.Fields(string(b)) {
		if i >= maxTasks {
			break
		}
		if tid, err := strconv.Atoi(f); err == nil {
			states = append(states, taskState(tid))
		}
	}
	return CountTasks(states)
}

// readHostCounters reads the host's /proc/stat.
func readHostCounters() (HostCounters, error) {
	b, err := readBounded("/proc/stat", bigFile)
	if err != nil {
		return HostCounters{}, err
	}
	return ParseHostStat(b), nil
}

// clocks reads the host's wall-clock and boot-time clocks.
func clocks() (real, boot time.Duration, err error) {
	var r, b unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_REALTIME, &r); err != nil {
		return 0, 0, fmt.Errorf("reading the clock: %w", err)
	}
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &b); err != nil {
		return 0, 0, fmt.Errorf("reading the boot-time clock: %w", err)
	}
	return time.Duration(r.Nano()), time.Duration(b.Nano()), nil
}

// floorSeconds is d in whole seconds, rounded down.
func floorSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second < 0 {
		s--
	}
	return s
}
