package guest

import (
	"math"
	"slices"
	"sync"

	"vmhost/config"
)

// CPUPinner is what a Cgroup may also do: keep its processes on some of
// the host's CPUs (a cpuset), so that nproc inside counts them.
type CPUPinner interface {
	// Pin keeps the processes on cpus; none lets them run on every CPU.
	Pin(cpus []int) error
	// Pinned returns the CPUs the processes are kept on; none for all.
	Pinned() ([]int, error)
}

// CPULister is what Cgroups may also do: list the host CPUs guests may be
// pinned to.
type CPULister interface {
	CPUs() ([]int, error)
}

// cpuPlacer spreads guests over the host's CPUs: it remembers which CPUs
// each running guest is pinned to. Safe for concurrent use; the zero value
// is ready.
type cpuPlacer struct {
	mu   sync.Mutex
	pins map[string][]int // by guest id; absent: not pinned
}

// place chooses the n CPUs of all that the fewest other running guests
// are pinned to, records them for guest id and returns them; none when n
// covers every CPU. With keep, a guest already pinned to n CPUs keeps
// them.
func (p *cpuPlacer) place(id string, all []int, n int, keep bool) []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.pins[id]; keep && ok && len(old) == n {
		return old
	}
	load := map[int]int{}
	for other, cpus := range p.pins {
		if other == id {
			continue
		}
		for _, c := range cpus {
			load[c]++
		}
	}
	chosen := chooseCPUs(all, load, n)
	p.setLocked(id, chosen)
	return chosen
}

// record remembers that guest id is pinned to cpus (none: not pinned).
func (p *cpuPlacer) record(id string, cpus []int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setLocked(id, cpus)
}

// setLocked records cpus for id; called with p.mu held.
func (p *cpuPlacer) setLocked(id string, cpus []int) {
	if p.pins == nil {
		p.pins = map[string][]int{}
	}
	if len(cpus) == 0 {
		delete(p.pins, id)
		return
	}
	p.pins[id] = cpus
}

// forget drops guest id, whose init has ended.
func (p *cpuPlacer) forget(id string) {
	p.record(id, nil)
}

// chooseCPUs returns the n CPUs of all with the least load (guests pinned
// there), the lowest numbers first among equals, sorted; none when n is
// not below len(all).
func chooseCPUs(all []int, load map[int]int, n int) []int {
	if n <= 0 || n >= len(all) {
		return nil
	}
	order := slices.Clone(all)
	slices.SortStableFunc(order, func(a, b int) int {
		if load[a] != load[b] {
			return load[a] - load[b]
		}
		return a - b
	})
	chosen := order[:n]
	slices.Sort(chosen)
	return chosen
}

// cpusWanted is how many CPUs a guest with a CPU limit of cpus sees: the
// limit rounded up, every CPU of the host (host) without one.
func cpusWanted(cpus float64, host int) int {
	if !(cpus > 0) {
		return host
	}
	return min(int(math.Ceil(cpus-1e-9)), host)
}

// pinCPUs pins the guest id's cgroup cg to CPUs for the limits l, spread
// over the host's (cpuPlacer), when the cgroups can: at a start
// (rebalance) it chooses again, on a limits change only if the count of
// CPUs changed. A failure is a log line: the guest runs on every CPU.
func (m *Manager) pinCPUs(id string, cg Cgroup, l config.Limits, rebalance bool) {
	pinner, ok := cg.(CPUPinner)
	lister, ok2 := m.opts.Cgroups.(CPULister)
	if !ok || !ok2 {
		return
	}
	all, err := lister.CPUs()
	if err != nil {
		m.log.Warn("guests see every CPU of the host", "guest", id, "err", err)
		return
	}
	cpus := m.cpus.place(id, all, cpusWanted(l.CPUs, len(all)), !rebalance)
	if err := pinner.Pin(cpus); err != nil {
		m.cpus.forget(id)
		m.log.Warn("guest sees every CPU of the host", "guest", id, "err", err)
	}
}

// loadPin remembers the CPUs the running guest id is pinned to, as its
// cgroup says: after a daemon restart, placement goes on from there.
func (m *Manager) loadPin(id string) {
	if m.opts.Cgroups == nil {
		return
	}
	cg, err := m.opts.Cgroups.Open(id)
	if err != nil {
		return
	}
	if pinner, ok := cg.(CPUPinner); ok {
		if cpus, err := pinner.Pinned(); err == nil {
			m.cpus.record(id, cpus)
		}
	}
}
