package guest

import (
	"os"

	"golang.org/x/sys/unix"
)

// CrashEnv names the environment variable of the test-only crash points.
// When the daemon starts with it set to the name of a point, such as
// "create-after-state" or "remove-after-rename", the daemon kills itself
// with SIGKILL on reaching that point, as a power cut or kill -9 would, so
// that tests can check that the next start repairs what it left. It is read
// once, at start; it is meant for tests only.
const CrashEnv = "VMHOST_TEST_CRASH"

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
)

// crashAt is the crash point of this process, from CrashEnv.
var crashAt = os.Getenv(CrashEnv)

// crashPoint kills this process with SIGKILL when point is its crash point.
func crashPoint(point string) {
	if crashAt == point {
		unix.Kill(os.Getpid(), unix.SIGKILL)
		select {} // the signal is on its way
	}
}

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
