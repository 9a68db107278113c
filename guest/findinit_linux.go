package guest

import (
	"fmt"
	"os"
)

// findInit looks among pids, the processes of the guest's cgroup, for a
// running init of the guest st that the daemon lost
// track of, as when it was killed between starting the init and writing
// guest.json. It asks the kernel, never the guest: the init is the process of
// the guest's cgroup that is PID 1 of a pid namespace one level below the
// host's, in a user namespace that maps root to the guest's id range. A
// guest's own processes cannot pass for it: a nested pid namespace is two
// levels down, a nested user namespace maps root elsewhere.
func findInit(st *State, pids []int) *initProc {
	for _, pid := range pids {
		if !isInitOf(pid, st) {
			continue
		}
		start, zombie, err := procStart(pid)
		if err != nil || zombie {
			continue
		}
		if p, err := reattachInit(pid, start); err == nil && isInitOf(pid, st) {
			return p
		}
	}
	return nil
}

// isInitOf reports whether the host process pid is the init of the guest st.
func isInitOf(pid int, st *State) bool {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil || !isNamespaceInit(status) {
		return false
	}
	uidMap, err := os.ReadFile(fmt.Sprintf("/proc/%d/uid_map", pid))
	return err == nil && mapsRootTo(uidMap, st.IDBase, st.IDSize)
}
