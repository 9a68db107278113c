package guest

import (
	"fmt"
	"os"
)

// netTables are the files of /proc/net that OpenNetTable opens.
var netTables = map[string]bool{"udp": true, "udp6": true}

// OpenNetTable opens the guest's /proc/net/TABLE, TABLE being "udp" or
// "udp6": the kernel's list of the UDP sockets of the guest's network
// namespace. It is opened on the host, as /proc/PID/net/TABLE of the
// guest's init, the process the daemon knows by its pidfd; the init is
// checked to be still running after the open, so the file is that of the
// init's network namespace and never of a process that took its pid. The
// file's text is made by the kernel, not by the guest; a guest that is not
// running fails with ErrGuestStopped.
func (m *Manager) OpenNetTable(id, table string) (*os.File, error) {
	if !netTables[table] {
		return nil, fmt.Errorf("opening /proc/net/%s of guest %s: not a table vmhost reads", table, id)
	}
	m.mu.Lock()
	e, ok := m.guests[id]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("guest %s: %w", id, ErrUnknownGuest)
	}
	e.showMu.Lock()
	proc := e.shownProc
	e.showMu.Unlock()
	if !isRunning(proc) {
		return nil, fmt.Errorf("guest %s: %w", id, ErrGuestStopped)
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", proc.pid(), table))
	if err != nil {
		return nil, fmt.Errorf("opening /proc/net/%s of guest %s: %w", table, id, err)
	}
	if !proc.alive() {
		f.Close()
		return nil, fmt.Errorf("guest %s: %w", id, ErrGuestStopped)
	}
	return f, nil
}
