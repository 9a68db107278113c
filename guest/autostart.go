package guest

import "fmt"

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
