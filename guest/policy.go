package guest

import "time"

// Lifecycle says when each owner's guests start and stop on their own.
// *config.Config implements it.
type Lifecycle interface {
	// AutostartFor reports whether the owner's guests start when the daemon
	// starts, unless a guest has its own autostart.
	AutostartFor(owner string) bool
	// IdleStopFor is how long the owner's guests may be idle before they
	// are stopped; 0 never stops them.
	IdleStopFor(owner string) time.Duration
	// IdleStops lists every idle_stop in use: the defaults' and each
	// owner's.
	IdleStops() []time.Duration
}

// policy returns the policy in use.
func (m *Manager) policy() Policy {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.opts.Policy
}

// SetPolicy replaces the policy, as after a configuration reload: guests
// made from now on get its images, every running guest gets its limits at
// once (its owner's, with its own over them), and autostart and idle stops
// follow it.
func (m *Manager) SetPolicy(p Policy) {
	m.mu.Lock()
	m.opts.Policy = p
	m.mu.Unlock()
	for _, in := range m.List() {
		if !in.Running {
			continue
		}
		if err := m.reapplyLimits(in.ID()); err != nil {
			m.log.Error("applying reloaded limits", "guest", in.ID(), "err", err)
		}
	}
}
