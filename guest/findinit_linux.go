package guest

import (
	"fmt"
	"os"

	"github.com/prometheus/procfs"
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
	fs, err := hostProc()
	if err != nil || !isNamespaceInitIn(fs, pid) {
		return false
	}
	uidMap, err := os.ReadFile(fmt.Sprintf("/proc/%d/uid_map", pid))
	return err == nil && mapsRootTo(uidMap, st.IDBase, st.IDSize)
}

// isNamespaceInitIn reports whether the process pid of the proc file system
// fs is PID 1 of a pid namespace just below the reader's: its status says
// "NSpid: HOSTPID 1".
func isNamespaceInitIn(fs procfs.FS, pid int) bool {
	p, err := fs.Proc(pid)
	if err != nil {
		return false
	}
	status, err := p.NewStatus()
	return err == nil && isNamespaceInit(status.NSpids)
}
