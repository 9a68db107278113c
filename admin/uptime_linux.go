package admin

import (
	"sync"
	"time"

	"github.com/prometheus/procfs"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat start times:
// 100 on every Linux architecture Go runs on.
const clockTicks = 100

// startTime turns a process start time, in clock ticks since boot, into a
// time; false when the boot time cannot be read.
func startTime(ticks uint64) (time.Time, bool) {
	boot, err := bootTime()
	if err != nil || ticks == 0 {
		return time.Time{}, false
	}
	return boot.Add(time.Duration(ticks) * time.Second / clockTicks), true
}

// bootTime reads the boot time (btime of /proc/stat) once: it does not
// change while the daemon runs.
var bootTime = sync.OnceValues(func() (time.Time, error) {
	st, err := procfs.NewDefaultFS()
	if err != nil {
		return time.Time{}, err
	}
	stat, err := st.Stat()
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(int64(stat.BootTime), 0), nil
})
