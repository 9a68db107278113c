package guest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A guest's directory is made under a temporary name and renamed into place
// once its state is written, and renamed away before it is removed, so a
// daemon killed at any moment leaves either a whole guest or a leftover that
// the next start deletes.
const (
	creatingPrefix = ".creating-"
	removingPrefix = ".removing-"
	// resettingPrefix names what a reset moved away; see resetFiles.
	resettingPrefix = ".resetting-"
)

// create makes a new guest's directory and state. Called with m.mu held.
func (m *Manager) create(owner, name string) (*entry, error) {
	if err := m.checkReserve(); err != nil {
		return nil, err
	}
	used := make(map[uint32]bool)
	for _, e := range m.guests {
		used[e.state.IDBase] = true
	}
	base, err := allocIDBase(used)
	if err != nil {
		return nil, err
	}
	st := State{Owner: owner, Name: name, Image: m.opts.Policy.GuestImage(owner, name), IDBase: base, IDSize: IDSize, Created: time.Now().UTC()}
	// The address is in the first guest.json already: no second write at
	// the first start, and no init ever holds an address not on disk.
	if n := m.opts.Network; n != nil {
		if st.IP, err = n.Allocate(m.leases); err != nil {
			return nil, fmt.Errorf("guest %s: %w", st.ID(), err)
		}
	}
	if err := m.makeGuestDir(&st); err != nil {
		return nil, m.diskFull(st.ID(), err)
	}
	if st.IP.IsValid() {
		m.leases[st.IP] = true
	}
	m.log.Info("created guest", "guest", st.ID(), "image", st.Image, "id_base", base)
	return newEntry(st), nil
}

// forget removes a guest whose first start failed, so no half guest is left.
// Called with e.mu held.
func (m *Manager) forget(e *entry) {
	m.mu.Lock()
	delete(m.guests, e.state.ID())
	m.mu.Unlock()
	e.gone = true
	m.release(&e.state)
	if err := m.removeDisk(e.state.ID()); err != nil {
		m.log.Error("forgetting guest", "guest", e.state.ID(), "err", err)
	}
	if err := m.removeGuestDir(e.state.ID()); err != nil {
		m.log.Error("forgetting guest", "guest", e.state.ID(), "err", err)
	}
}

// makeGuestDir makes the guest's directory with its state, atomically.
func (m *Manager) makeGuestDir(st *State) error {
	tmp, err := os.MkdirTemp(filepath.Join(m.opts.DataDir, "guests"), creatingPrefix+st.ID()+"-")
	if err != nil {
		return fmt.Errorf("making guest directory: %w", err)
	}
	err = writeState(tmp, st)
	if err == nil {
		crashPoint(CrashCreateAfterState)
		err = os.Rename(tmp, m.guestDir(st.ID()))
	}
	if err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("making guest directory: %w", err)
	}
	return nil
}

// removeGuestDir deletes a guest's files: renamed away first, so a crash
// half-way leaves no half guest.
func (m *Manager) removeGuestDir(id string) error {
	away := filepath.Join(m.opts.DataDir, "guests", fmt.Sprintf("%s%s-%d", removingPrefix, id, time.Now().UnixNano()))
	if err := os.Rename(m.guestDir(id), away); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("removing guest %s: %w", id, err)
	}
	crashPoint(CrashRemoveAfterRename)
	os.RemoveAll(m.runDir(id))
	if err := removeTree(away); err != nil {
		return fmt.Errorf("removing guest %s: %w", id, err)
	}
	return nil
}

// removeLeftover deletes what a crash left under guests/: a guest being made
// or being removed. A reset's leftover is finished once every guest is
// loaded (see finishResets).
func (m *Manager) removeLeftover(name string) {
	if !strings.HasPrefix(name, creatingPrefix) && !strings.HasPrefix(name, removingPrefix) {
		return
	}
	m.log.Info("removing leftover of an interrupted create or remove", "dir", name)
	if err := removeTree(filepath.Join(m.opts.DataDir, "guests", name)); err != nil {
		m.log.Error("removing leftover", "dir", name, "err", err)
	}
}
