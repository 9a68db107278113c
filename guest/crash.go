package guest

import (
	"os"

	"vmhost/crashpoint"
)

// CrashEnv names the environment variable of the test-only crash points;
// see package crashpoint. It is meant for tests only.
const CrashEnv = crashpoint.Env

// Crash points.
const (
	// CrashCreateAfterState is in a guest's creation: its state is written
	// in its temporary directory, not yet renamed into place.
	CrashCreateAfterState = "create-after-state"
	// CrashRemoveAfterRename is in a guest's removal: its directory is
	// renamed away, not yet deleted.
	CrashRemoveAfterRename = "remove-after-rename"
	// CrashStartAfterInit is in a guest's start: its init runs, with its
	// address and link, and guest.json does not say so yet.
	CrashStartAfterInit = "start-after-init"
	// CrashResetAfterRename is in a guest's reset: its upper/ is renamed
	// away, its work/ not yet, its state not yet written.
	CrashResetAfterRename = "reset-after-rename"
	// CrashStopAfterSignal is in a guest's stop: guest.json says it is
	// stopping and its init got SIGTERM, which it may not have acted on.
	CrashStopAfterSignal = "stop-after-signal"
	// CrashStopAfterExit is in a guest's stop: its init has ended, and its
	// link, cgroup, disk, control socket and guest.json are as they were.
	CrashStopAfterExit = "stop-after-exit"
)

// crashPoint kills this process with SIGKILL when point is its crash point.
func crashPoint(point string) { crashpoint.At(point) }

// removeStaleRunDirs removes the run directories of guests that do not
// exist, as a crash in the middle of a remove leaves: an empty mount point
// rootfs/ and no control socket. A directory that holds anything else is
// left alone.
func (m *Manager) removeStaleRunDirs() {
	dirs, err := os.ReadDir(m.runDir(""))
	if err != nil {
		return
	}
	for _, d := range dirs {
		if _, ok := m.guests[d.Name()]; ok || !d.IsDir() {
			continue
		}
		dir := m.runDir(d.Name())
		os.Remove(dir + "/rootfs")
		if err := os.Remove(dir); err == nil {
			m.log.Info("removed the run directory of a guest that is gone", "dir", dir)
		}
	}
}
