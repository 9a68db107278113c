package guest

import (
	"errors"
	"fmt"

	"vmhost/config"
)

// LimitsChange is a change of a guest's own limits.
type LimitsChange struct {
	// Reset drops the guest's own limits first: it gets its owner's again.
	Reset bool
	// Set are the limits of its own to set; a zero field keeps the guest's
	// own, or its owner's when it has none.
	Set config.Limits
}

// Apply returns the own limits that c makes of own; nil for none.
func (c LimitsChange) Apply(own *config.Limits) *config.Limits {
	next := config.Limits{}
	if own != nil && !c.Reset {
		next = *own
	}
	next = next.Override(c.Set)
	if next == (config.Limits{}) {
		return nil
	}
	return &next
}

// ErrBadLimits is wrapped by errors about limits that make no sense on this
// host: the caller asked for them, and may ask again with others.
var ErrBadLimits = errors.New("bad limits")

// badLimits is a validation error that is ErrBadLimits, with the message
// of the problems alone.
type badLimits struct{ error }

func (badLimits) Is(target error) bool { return target == ErrBadLimits }

// validLimits checks own, a guest's own limits, over its owner's which
// make eff: the one check of limits (config.ValidateLimits), on this host.
func validLimits(own *config.Limits, eff config.Limits) error {
	if own == nil {
		return nil
	}
	if err := config.ValidateLimits(*own, eff, config.LocalHost()); err != nil {
		return badLimits{err}
	}
	return nil
}

// ChangeLimits changes the own limits of the guest id by c and returns
// them (zero for none), atomically under the guest's lock: it checks them
// over its owner's, grows its disk, gives a running guest its new limits
// and records them in its guest.json. A change that cannot be recorded
// gives the running guest its old limits back; a disk, once grown, stays.
// Limits that make no sense are refused with ErrBadLimits.
func (m *Manager) ChangeLimits(id string, c LimitsChange) (config.Limits, error) {
	e, err := m.lock(id)
	if err != nil {
		return config.Limits{}, err
	}
	defer e.mu.Unlock()
	next := e.state
	next.Limits = c.Apply(e.state.Limits)
	if err := m.changeLimits(e, &next); err != nil {
		return config.Limits{}, err
	}
	if next.Limits == nil {
		return config.Limits{}, nil
	}
	return *next.Limits, nil
}

// SetLimits gives the guest id limits of its own, as ChangeLimits: a field
// of l left zero takes the owner's limits from the configuration, and a
// zero l goes back to the owner's limits.
func (m *Manager) SetLimits(id string, l config.Limits) error {
	_, err := m.ChangeLimits(id, LimitsChange{Reset: true, Set: l})
	return err
}

// changeLimits makes next, the state of e with other limits of its own,
// the guest's: checked, applied and recorded. Called with e.mu held.
func (m *Manager) changeLimits(e *entry, next *State) error {
	id := next.ID()
	eff := m.limitsOf(next)
	if err := validLimits(next.Limits, eff); err != nil {
		return fmt.Errorf("limits of guest %s: %w", id, err)
	}
	ownDisk := next.Limits != nil && next.Limits.Disk != 0
	if err := m.resizeDisk(next, eff, ownDisk); err != nil {
		return err
	}
	running := isRunning(e.proc)
	if err := m.updateCgroup(next, eff, running); err != nil {
		m.restoreCgroup(e, running)
		return err
	}
	if err := recordLimits(m.guestDir(id), next); err != nil {
		m.restoreCgroup(e, running)
		return fmt.Errorf("recording the limits of guest %s: %w", id, err)
	}
	e.state = *next
	e.showMu.Lock()
	e.shown = *next
	e.showMu.Unlock()
	m.log.Info("set the limits of guest", "guest", id, "limits", fmt.Sprintf("%+v", eff))
	return nil
}

// restoreCgroup gives the guest e, if it runs, the limits it had before a
// change that failed half-way. Called with e.mu held.
func (m *Manager) restoreCgroup(e *entry, running bool) {
	if err := m.updateCgroup(&e.state, m.limitsOf(&e.state), running); err != nil {
		m.log.Error("giving guest its limits back", "guest", e.state.ID(), "err", err)
	}
}

// recordLimits writes the state of a guest whose limits changed; tests
// replace it to fail there.
var recordLimits = writeState

// reapplyLimits gives the running guest id its limits under the policy in
// use, as after a reload: its owner's, with its own over them.
func (m *Manager) reapplyLimits(id string) error {
	e, err := m.lock(id)
	if err != nil {
		return err
	}
	defer e.mu.Unlock()
	st := &e.state
	eff := m.limitsOf(st)
	if err := validLimits(st.Limits, eff); err != nil {
		return fmt.Errorf("limits of guest %s: %w", id, err)
	}
	if err := m.resizeDisk(st, eff, st.Limits != nil && st.Limits.Disk != 0); err != nil {
		return err
	}
	return m.updateCgroup(st, eff, isRunning(e.proc))
}

// updateCgroup gives the guest st its limits l, if it runs.
func (m *Manager) updateCgroup(st *State, l config.Limits, running bool) error {
	if m.opts.Cgroups == nil || !running {
		return nil
	}
	cg, err := m.opts.Cgroups.Open(st.ID())
	if err == nil {
		err = cg.Update(l)
	}
	if err != nil {
		return fmt.Errorf("changing the limits of guest %s: %w", st.ID(), err)
	}
	m.pinCPUs(st.ID(), cg, l, false)
	return nil
}
