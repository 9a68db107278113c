package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/procfs"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat start
// times: 100 on every Linux architecture Go runs on.
const clockTicks = 100

// StartTime turns a process start time, in clock ticks since boot (field
// 22 of /proc/PID/stat), into a time; the zero time when the boot time
// cannot be read or ticks is zero.
func StartTime(ticks uint64) time.Time {
	boot, err := bootTime()
	if err != nil || ticks == 0 {
		return time.Time{}
	}
	return boot.Add(time.Duration(ticks) * time.Second / clockTicks)
}

// bootTime reads the boot time (btime of /proc/stat) once.
var bootTime = sync.OnceValues(func() (time.Time, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return time.Time{}, err
	}
	st, err := fs.Stat()
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(int64(st.BootTime), 0), nil
})
