package guest

// A stop is written down before the init is signalled, so that a daemon
// killed at any point of it leaves either a running guest or a stopping one,
// which the next start stops (finishStops) or finds stopped and cleans up
// (cleanStopped): no init, link, cgroup, mounted disk or control socket is
// left of a guest that guest ls shows stopped.

// markStopping records in guest.json that the guest st is stopping. A
// failure, such as a full disk, is logged and the stop goes on: an init
// that ends while no daemon watches is cleaned up at the next start anyway.
func (m *Manager) markStopping(st *State) {
	next := *st
	next.Stopping = true
	if err := writeState(m.guestDir(st.ID()), &next); err != nil {
		m.log.Warn("recording that guest is stopping", "guest", st.ID(), "err", err)
		return
	}
	*st = next
}

// finishStops stops, in the background, the guests whose stop a crash of
// the daemon interrupted while their init still runs. Each is locked before
// this returns, so no login reaches it before its stop is done.
func (m *Manager) finishStops() {
	for _, e := range m.guests {
		if !e.state.Stopping || !isRunning(e.proc) {
			continue
		}
		m.log.Info("finishing the stop of guest that a crash interrupted", "guest", e.state.ID())
		e.mu.Lock()
		go func() {
			defer e.mu.Unlock()
			if err := m.stop(e); err != nil {
				m.log.Error("finishing the stop of guest", "guest", e.state.ID(), "err", err)
			}
		}()
	}
}

// cleanStopped removes the link, cgroup and mounted disk of the guest st,
// found at start with no init where guest.json named one. When its cgroup
// still holds processes, an init the daemon lost track of is there, and
// everything is left for its next start to find.
func (m *Manager) cleanStopped(st *State) {
	if m.opts.Cgroups != nil {
		if cg, err := m.opts.Cgroups.Open(st.ID()); err == nil {
			if pids, err := cg.Procs(); err != nil || len(pids) > 0 {
				m.log.Warn("the cgroup of a stopped guest holds processes; left for its next start", "guest", st.ID(), "pids", pids)
				return
			}
		}
	}
	m.detach(st)
	m.deleteCgroup(st)
	m.detachDisk(st)
}
