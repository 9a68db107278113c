// Package crashpoint holds the test-only crash points of vmhostd: named
// places in multi-step changes of state where a daemon started with
// VMHOST_TEST_CRASH set to that name kills itself with SIGKILL, as a power
// cut or kill -9 would, so that tests can check that the next start
// repairs what it left. Never set it outside tests.
package crashpoint

import (
	"os"

	"golang.org/x/sys/unix"
)

// Env names the environment variable that selects the crash point of a
// process. It is read once, at start.
const Env = "VMHOST_TEST_CRASH"

// chosen is the crash point of this process, from Env.
var chosen = os.Getenv(Env)

// At kills this process with SIGKILL when point is its crash point, and
// does nothing otherwise.
// Equivalent to: kill -9 $$ (when VMHOST_TEST_CRASH=point)
func At(point string) {
	if chosen != "" && chosen == point {
		unix.Kill(os.Getpid(), unix.SIGKILL)
		select {} // the signal is on its way
	}
}
