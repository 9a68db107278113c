package guest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// procStart returns the start time of pid, in clock ticks since boot (field 22
// of /proc/PID/stat), and whether it is a zombie.
func procStart(pid int) (start uint64, zombie bool, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false, err
	}
	return parseStat(string(data))
}

// parseStat reads the state and start time out of a /proc/PID/stat line. The
// command name, in parentheses, may itself hold spaces and parentheses.
func parseStat(line string) (start uint64, zombie bool, err error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return 0, false, fmt.Errorf("parsing /proc stat %q: no command name", line)
	}
	fields := strings.Fields(line[i+1:])
	// fields[0] is field 3 (state); field 22 (starttime) is fields[19].
	if len(fields) < 20 {
		return 0, false, fmt.Errorf("parsing /proc stat %q: too few fields", line)
	}
	start, err = strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("parsing /proc stat start time: %w", err)
	}
	return start, fields[0] == "Z" || fields[0] == "X", nil
}
