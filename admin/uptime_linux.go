package admin

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat start times:
// 100 on every Linux architecture Go runs on.
const clockTicks = 100

// startTime turns a process start time, in clock ticks since boot, into a
// time; false when the boot time cannot be read.
func startTime(ticks uint64) (time.Time, bool) {
	boot, ok := bootTime()
	if !ok || ticks == 0 {
		return time.Time{}, false
	}
	return boot.Add(time.Duration(ticks) * time.Second / clockTicks), true
}

// bootTime reads the boot time, btime of /proc/stat.
func bootTime() (time.Time, bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return time.Time{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "btime "); ok {
			sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return time.Unix(sec, 0), err == nil
		}
	}
	return time.Time{}, false
}
