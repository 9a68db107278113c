package guest

import (
	"context"
	"fmt"
)

// SetAutostart records in the guest's guest.json whether the guest id
// starts when the daemon starts: on, off, or, with a nil on, its owner's
// autostart from the configuration again.
func (m *Manager) SetAutostart(id string, on *bool) error {
	e, err := m.lock(id)
	if err != nil {
		return err
	}
	defer e.mu.Unlock()
	next := e.state
	next.Autostart = nil
	if on != nil {
		v := *on
		next.Autostart = &v
	}
	if err := writeState(m.guestDir(id), &next); err != nil {
		return fmt.Errorf("recording the autostart of guest %s: %w", id, err)
	}
	e.state = next
	e.showMu.Lock()
	e.shown.Autostart = next.Autostart
	e.showMu.Unlock()
	m.log.Info("set the autostart of guest", "guest", id, "autostart", autostartString(on))
	return nil
}

// autostartString renders a guest's own autostart for logs.
func autostartString(on *bool) string {
	if on == nil {
		return "owner's"
	}
	return fmt.Sprint(*on)
}

// Autostarts reports whether the guest in starts when the daemon starts
// under p: by its own setting when it has one (own is then true), else by
// its owner's.
func Autostarts(in Info, p Lifecycle) (on, own bool) {
	if in.Autostart != nil {
		return *in.Autostart, true
	}
	return p.AutostartFor(in.Owner), false
}

// Autostart starts, one after the other, every guest that is not running
// and autostarts under the policy in use, until ctx ends. It logs what
// fails.
func (m *Manager) Autostart(ctx context.Context) {
	for _, in := range m.List() {
		if on, _ := Autostarts(in, m.policy()); in.Running || !on || ctx.Err() != nil {
			continue
		}
		if err := m.Start(ctx, in.ID()); err != nil {
			m.log.Error("autostarting guest", "guest", in.ID(), "err", err)
			continue
		}
		m.log.Info("autostarted guest", "guest", in.ID())
	}
}
