package guest

import (
	"fmt"
	"os"
)

// ProcessesBeyondInit counts, for each pid of inits (host pids of guest
// inits), the processes in that init's pid namespace other than the init
// itself. A process counts in the pid namespace it lives in
// (/proc/PID/ns/pid); zombies, whose namespaces are gone, do not count. An
// init that is gone is left out of the answer.
func ProcessesBeyondInit(inits []int) (map[int]int, error) {
	fs, err := hostProc()
	if err != nil {
		return nil, fmt.Errorf("reading /proc: %w", err)
	}
	nsOf := map[string]int{} // namespace -> init pid
	for _, pid := range inits {
		if ns, err := pidNamespace(pid); err == nil {
			nsOf[ns] = pid
		}
	}
	procs, err := fs.AllProcs()
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	out := make(map[int]int, len(nsOf))
	for _, pid := range nsOf {
		out[pid] = 0
	}
	for _, p := range procs {
		ns, err := pidNamespace(p.PID)
		if init, ok := nsOf[ns]; err == nil && ok && p.PID != init {
			out[init]++
		}
	}
	return out, nil
}

// pidNamespace names the pid namespace of pid, as "pid:[INODE]". procfs
// reads every namespace of a process; this is the one link needed, read
// for every process of the host at each idle check. Equivalent to:
// `readlink /proc/PID/ns/pid`.
func pidNamespace(pid int) (string, error) {
	return os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
}
