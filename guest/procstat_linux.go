package guest

import (
	"fmt"
	"sync"

	"github.com/prometheus/procfs"
)

// hostProc is the host's /proc, as procfs reads it.
var hostProc = sync.OnceValues(procfs.NewDefaultFS)

// procStart returns the start time of pid, in clock ticks since boot (field 22
// of /proc/PID/stat), and whether it is a zombie.
func procStart(pid int) (start uint64, zombie bool, err error) {
	fs, err := hostProc()
	if err != nil {
		return 0, false, fmt.Errorf("reading /proc: %w", err)
	}
	return procStartIn(fs, pid)
}

// procStartIn is procStart in the proc file system fs. procfs reads the
// fields after the command name, which may itself hold spaces and
// parentheses.
func procStartIn(fs procfs.FS, pid int) (start uint64, zombie bool, err error) {
	p, err := fs.Proc(pid)
	if err != nil {
		return 0, false, err
	}
	st, err := p.Stat()
	if err != nil {
		return 0, false, fmt.Errorf("reading the start time of process %d: %w", pid, err)
	}
	return st.Starttime, st.State == "Z" || st.State == "X", nil
}
