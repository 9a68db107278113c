package guest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"golang.org/x/sys/unix"
)

// Info is what the manager tells of a guest.
type Info struct {
	State
	Running bool
}

// List returns every guest, sorted by ID.
func (m *Manager) List() []Info {
	m.mu.Lock()
	entries := make([]*entry, 0, len(m.guests))
	for _, e := range m.guests {
		entries = append(entries, e)
	}
	m.mu.Unlock()
	infos := make([]Info, 0, len(entries))
	for _, e := range entries {
		e.mu.Lock()
		st := e.state
		e.mu.Unlock()
		infos = append(infos, Info{State: st, Running: initAlive(st.InitPid, st.InitStart)})
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].ID() < infos[j].ID() })
	return infos
}

// Stop ends a guest: SIGTERM to its init, which asks every process to end,
// then SIGKILL after the grace period. Its files are kept; it starts again on
// its next use.
func (m *Manager) Stop(id string) error {
	m.mu.Lock()
	e, ok := m.guests[id]
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("guest %s: %w", id, ErrUnknownGuest)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	st := &e.state
	if initAlive(st.InitPid, st.InitStart) {
		if err := killInit(st.InitPid, st.InitStart, m.opts.StopGrace); err != nil {
			return fmt.Errorf("stopping guest %s: %w", id, err)
		}
	}
	st.InitPid, st.InitStart = 0, 0
	os.Remove(filepath.Join(m.runDir(id), controlSock))
	m.log.Info("stopped guest", "guest", id)
	return writeState(m.guestDir(id), st)
}

// killInit sends SIGTERM to an init, SIGKILL after grace, and waits until it
// is gone (the init's exit kills every process of its guest).
func killInit(pid int, start uint64, grace time.Duration) error {
	unix.Kill(pid, unix.SIGTERM)
	if waitGone(pid, start, grace) {
		return nil
	}
	unix.Kill(pid, unix.SIGKILL)
	if waitGone(pid, start, 5*time.Second) {
		return nil
	}
	return fmt.Errorf("init %d did not end", pid)
}

// waitGone polls until the process is gone or timeout passes.
func waitGone(pid int, start uint64, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for initAlive(pid, start) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
