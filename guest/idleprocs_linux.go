package guest

import (
	"fmt"
	"os"
	"strconv"
)

// ProcessesBeyondInit counts, for each pid of inits (host pids of guest
// inits), the processes in that init's pid namespace other than the init
// itself. A process counts in the pid namespace it lives in
// (/proc/PID/ns/pid); zombies, whose namespaces are gone, do not count. An
// init that is gone is left out of the answer.
func ProcessesBeyondInit(inits []int) (map[int]int, error) {
	nsOf := map[string]int{} // namespace -> init pid
	for _, pid := range inits {
		if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err == nil {
			nsOf[ns] = pid
		}
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("reading /proc: %w", err)
	}
	out := make(map[int]int, len(nsOf))
	for _, pid := range nsOf {
		out[pid] = 0
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		ns, err := os.Readlink("/proc/" + e.Name() + "/ns/pid")
		if err != nil {
			continue
		}
		if init, ok := nsOf[ns]; ok && e.Name() != strconv.Itoa(init) {
			out[init]++
		}
	}
	return out, nil
}
