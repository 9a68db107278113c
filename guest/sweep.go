package guest

import (
	"errors"
	"os"
	"path/filepath"

	"vmhost/atomicfile"
)

// sweep repairs at start what a crash of the daemon, or an init that ended
// while no daemon watched, left behind, once every guest is loaded: resets
// it interrupted, temporary state files, and the control sockets, run
// directories and cgroups of guests that do not run or do not exist.
func (m *Manager) sweep() {
	m.finishResets()
	for _, e := range m.guests {
		m.removeStateTemps(&e.state)
		if !isRunning(e.proc) {
			m.sweepStopped(&e.state)
		}
	}
	m.removeStaleRunDirs()
	m.removeStrayCgroups()
}

// removeStateTemps removes the temporary files a crash left beside the
// guest's guest.json.
func (m *Manager) removeStateTemps(st *State) {
	removed, err := atomicfile.RemoveTemps(filepath.Join(m.guestDir(st.ID()), stateFile))
	if len(removed) > 0 {
		m.log.Info("removed temporary state files a crash left", "guest", st.ID(), "files", removed)
	}
	if err != nil {
		m.log.Error("removing temporary state files", "guest", st.ID(), "err", err)
	}
}

// sweepStopped removes the cgroup, control socket and run directory of a
// guest whose init is not running. A cgroup that still holds processes, as
// an init the daemon lost track of, keeps all three: the guest's next start
// finds that init there.
func (m *Manager) sweepStopped(st *State) {
	if m.opts.Cgroups != nil {
		cg, err := m.opts.Cgroups.Open(st.ID())
		if err != nil {
			return
		}
		if pids, err := cg.Procs(); err != nil || len(pids) > 0 {
			return
		}
		if err := cg.Delete(); err != nil {
			m.log.Error("removing the cgroup of a stopped guest", "guest", st.ID(), "err", err)
		}
	}
	if m.removeRunDir(st.ID()) {
		m.log.Info("removed the control socket of a stopped guest", "guest", st.ID())
	}
}

// removeRunDir removes the control socket and run directory of the stopped
// guest id, and reports whether there was a socket.
func (m *Manager) removeRunDir(id string) bool {
	dir := m.runDir(id)
	err := os.Remove(filepath.Join(dir, controlSock))
	os.Remove(filepath.Join(dir, "rootfs")) // an empty mount point; anything else stays
	os.Remove(dir)
	return err == nil
}

// CgroupLister is what Cgroups may also do: list the guests that have a
// cgroup. With it, the manager removes at start the empty cgroups of guests
// that do not exist, as a crash during a first start leaves.
type CgroupLister interface {
	// List returns the guest ids that have a cgroup.
	List() ([]string, error)
}

// removeStrayCgroups removes the empty cgroups of guests that do not exist.
// One that holds processes is left for whoever knows them.
func (m *Manager) removeStrayCgroups() {
	lister, ok := m.opts.Cgroups.(CgroupLister)
	if !ok {
		return
	}
	ids, err := lister.List()
	if err != nil {
		m.log.Error("listing the guests' cgroups", "err", err)
		return
	}
	for _, id := range ids {
		if _, ok := m.guests[id]; ok {
			continue
		}
		cg, err := m.opts.Cgroups.Open(id)
		if err != nil {
			continue
		}
		if pids, err := cg.Procs(); err != nil || len(pids) > 0 {
			m.log.Warn("a cgroup of no known guest holds processes; left as it is", "guest", id, "pids", pids)
			continue
		}
		err = cg.Delete()
		switch {
		case err == nil:
			m.log.Info("removed the cgroup of a guest that does not exist", "guest", id)
		case !errors.Is(err, os.ErrNotExist):
			m.log.Error("removing the cgroup of a guest that does not exist", "guest", id, "err", err)
		}
	}
}
