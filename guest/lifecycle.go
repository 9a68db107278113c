package guest

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"time"
)

// Info is what the manager tells of a guest.
type Info struct {
	State
	Running bool
	// Status is one of the Status* constants.
	Status string
	// Error is why the guest is broken: the error of its last start.
	Error string
}

// Guest statuses, as an admin sees them.
const (
	StatusStopped  = "stopped"
	StatusStarting = "starting"
	StatusRunning  = "running"
	StatusStopping = "stopping"
	StatusBroken   = "broken"
)

// Stats are what a guest uses now.
type Stats struct {
	MemoryBytes int64         `json:"memory_bytes"`
	CPU         time.Duration `json:"cpu_ns"`
	Processes   int64         `json:"processes"`
	NetRxBytes  uint64        `json:"net_rx_bytes"`
	NetTxBytes  uint64        `json:"net_tx_bytes"`
	// Disk is what the guest's own files take on its own disk.
	Disk DiskUsage `json:"disk"`
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
		infos = append(infos, e.info())
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].ID() < infos[j].ID() })
	return infos
}

// lock finds the guest id and locks it for a lifecycle operation; the caller
// unlocks e.mu.
func (m *Manager) lock(id string) (*entry, error) {
	m.mu.Lock()
	e, ok := m.guests[id]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("guest %s: %w", id, ErrUnknownGuest)
	}
	e.mu.Lock()
	if e.gone {
		e.mu.Unlock()
		return nil, fmt.Errorf("guest %s: %w", id, ErrUnknownGuest)
	}
	return e, nil
}

// Start starts the guest id unless it runs.
func (m *Manager) Start(ctx context.Context, id string) error {
	e, err := m.lock(id)
	if err != nil {
		return err
	}
	defer e.mu.Unlock()
	return m.ensureRunning(ctx, e)
}

// Stop ends a guest: SIGTERM to its init, which asks every process to end,
// then SIGKILL after the grace period. Its files are kept; it starts again on
// its next use.
func (m *Manager) Stop(id string) error {
	e, err := m.lock(id)
	if err != nil {
		return err
	}
	defer e.mu.Unlock()
	return m.stop(e)
}

// stop ends the guest's init. Called with e.mu held.
func (m *Manager) stop(e *entry) error {
	e.publish(StatusStopping, nil)
	err := m.stopInit(e)
	e.publish("", nil)
	return err
}

// stopInit ends the init of the guest e, through its pidfd, and records it.
func (m *Manager) stopInit(e *entry) error {
	st := &e.state
	if isRunning(e.proc) {
		m.markStopping(st)
		if err := e.proc.stop(m.opts.StopGrace); err != nil {
			return fmt.Errorf("stopping guest %s: %w", st.ID(), err)
		}
		crashPoint(CrashStopAfterExit)
		m.log.Info("stopped guest", "guest", st.ID())
	}
	release(e.proc)
	e.proc = nil
	m.detach(st)
	m.deleteCgroup(st)
	m.detachDisk(st)
	if st.InitPid == 0 && !st.Stopping {
		return nil
	}
	st.InitPid, st.InitStart, st.Stopping = 0, 0, false
	m.removeRunDir(st.ID())
	return writeState(m.guestDir(st.ID()), st)
}

// Remove stops the guest id and deletes it with all its files.
func (m *Manager) Remove(id string) error {
	e, err := m.lock(id)
	if err != nil {
		return err
	}
	defer e.mu.Unlock()
	if err := m.stop(e); err != nil {
		return err
	}
	if err := m.removeDisk(id); err != nil {
		return err
	}
	if err := m.removeGuestDir(id); err != nil {
		return err
	}
	m.release(&e.state)
	e.gone = true
	m.mu.Lock()
	delete(m.guests, id)
	m.mu.Unlock()
	m.log.Info("removed guest", "guest", id)
	return nil
}

// Reset stops the guest id and drops its own files, so it starts again from
// the current build of its image as new; its identity (id range, name,
// address) stays.
func (m *Manager) Reset(id string) error {
	e, err := m.lock(id)
	if err != nil {
		return err
	}
	defer e.mu.Unlock()
	if m.volumeOf(&e.state) != "" {
		return fmt.Errorf("guest %s keeps its files on a cluster volume, which this node does not drop: %w", id, ErrVolumeReset)
	}
	if err := m.stop(e); err != nil {
		return err
	}
	if err := m.removeDisk(id); err != nil {
		return fmt.Errorf("resetting guest %s: %w", id, err)
	}
	if err := m.resetFiles(&e.state); err != nil {
		return fmt.Errorf("resetting guest %s: %w", id, err)
	}
	e.publish("", nil)
	m.log.Info("reset guest to its image", "guest", id)
	return nil
}

// Restart stops the guest id and starts it again.
func (m *Manager) Restart(ctx context.Context, id string) error {
	e, err := m.lock(id)
	if err != nil {
		return err
	}
	defer e.mu.Unlock()
	if err := m.stop(e); err != nil {
		return err
	}
	return m.ensureRunning(ctx, e)
}

// Exec starts a process in the guest id, starting the guest first if needed.
func (m *Manager) Exec(ctx context.Context, id string, req SpawnRequest) (Process, error) {
	e, err := m.lock(id)
	if err != nil {
		return nil, err
	}
	err = m.ensureRunning(ctx, e)
	sock, done := filepath.Join(m.runDir(id), controlSock), exitedOf(e.proc)
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return spawnVia(ctx, sock, req, done)
}

// Get returns what List shows of the guest id.
func (m *Manager) Get(id string) (Info, error) {
	m.mu.Lock()
	e, ok := m.guests[id]
	m.mu.Unlock()
	if !ok {
		return Info{}, fmt.Errorf("guest %s: %w", id, ErrUnknownGuest)
	}
	return e.info(), nil
}
