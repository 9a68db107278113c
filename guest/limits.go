package guest

import (
	"fmt"
	"os/exec"

	"vmhost/config"
)

// Cgroups puts each guest in a cgroup with its resource limits. The daemon
// adapts *limits.Controller to it.
type Cgroups interface {
	// Create makes the cgroup of guest id with limits l; a cgroup left over
	// from before with no process in it is made again.
	Create(id string, l config.Limits) (Cgroup, error)
	// Open returns the cgroup of guest id, which may not exist.
	Open(id string) (Cgroup, error)
}

// Cgroup is the cgroup of one guest.
type Cgroup interface {
	// Start starts cmd inside the cgroup, before it runs any code.
	Start(cmd *exec.Cmd) error
	// Update changes the limits while the guest runs.
	Update(l config.Limits) error
	// Stats fills what the cgroup counts: memory, CPU and processes.
	Stats() (Stats, error)
	// Procs lists the host pids of the processes in the cgroup.
	Procs() ([]int, error)
	// Delete removes the cgroup once its processes have ended.
	Delete() error
}

// limitsOf returns the limits of guest st: its owner's for a guest of its
// name, each field overridden by the guest's own.
func (m *Manager) limitsOf(st *State) config.Limits {
	m.mu.Lock()
	l := m.opts.Policy.GuestLimits(st.Owner, st.Name)
	m.mu.Unlock()
	if st.Limits != nil {
		l = l.Override(*st.Limits)
	}
	return l
}

// createCgroup makes the cgroup the init of st starts in, with every limit
// but the CPU quota; nil without Cgroups. The init's setup is the daemon's
// own work, and under a guest's quota it is slowed as much as the quota is
// small (5 s for cpus 0.01, not 60 ms): start gives the group its quota
// once the init is ready, before any program of the guest runs.
func (m *Manager) createCgroup(st *State) (Cgroup, error) {
	if m.opts.Cgroups == nil {
		return nil, nil
	}
	l := m.limitsOf(st)
	setup := l
	setup.CPUs = 0
	cg, err := m.opts.Cgroups.Create(st.ID(), setup)
	if err == nil {
		m.pinCPUs(st.ID(), cg, l, true)
	}
	return cg, err
}

// deleteCgroup removes the cgroup of a guest whose init has ended.
func (m *Manager) deleteCgroup(st *State) {
	m.cpus.forget(st.ID())
	if m.opts.Cgroups == nil {
		return
	}
	cg, err := m.opts.Cgroups.Open(st.ID())
	if err == nil {
		err = cg.Delete()
	}
	if err != nil {
		m.log.Error("removing the cgroup of guest", "guest", st.ID(), "err", err)
	}
}

// Stats returns what the guest id uses now: memory, CPU time and processes
// from its cgroup, network bytes from its interfaces. A guest that is not
// running uses nothing.
func (m *Manager) Stats(id string) (Stats, error) {
	e, err := m.lock(id)
	if err != nil {
		return Stats{}, err
	}
	st, proc := e.state, e.proc
	e.mu.Unlock()
	if !isRunning(proc) {
		return Stats{}, nil
	}
	var s Stats
	if m.opts.Cgroups != nil {
		cg, err := m.opts.Cgroups.Open(id)
		if err == nil {
			s, err = cg.Stats()
		}
		if err != nil {
			return Stats{}, fmt.Errorf("reading the use of guest %s: %w", id, err)
		}
	}
	s.NetRxBytes, s.NetTxBytes, err = m.netBytes(id, st.InitPid)
	if err != nil {
		return Stats{}, fmt.Errorf("reading the network use of guest %s: %w", id, err)
	}
	s.Disk = m.diskUsage(id)
	return s, nil
}
