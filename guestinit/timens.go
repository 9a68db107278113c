package guestinit

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// clockTick is the unit of /proc/PID/stat's times: USER_HZ, 100 on every
// architecture Linux exports it for.
const clockTick = 10 * time.Millisecond

// timeOffsets is the text of /proc/PID/timens_offsets that moves the
// monotonic and boot-time clocks of a time namespace back by mono and boot:
// seconds and non-negative nanoseconds, as the kernel takes them.
func timeOffsets(mono, boot time.Duration) string {
	return "monotonic " + secondsNanos(-mono) + "\nboottime " + secondsNanos(-boot) + "\n"
}

// secondsNanos writes d as "SECONDS NANOSECONDS", nanoseconds in 0..1e9-1
// (-1.3s is "-2 700000000").
func secondsNanos(d time.Duration) string {
	sec, nsec := int64(d/time.Second), int64(d%time.Second)
	if nsec < 0 {
		sec, nsec = sec-1, nsec+int64(time.Second)
	}
	return fmt.Sprintf("%d %d", sec, nsec)
}

// statStartTime returns the start time field of a /proc/PID/stat line (the
// 22nd), since boot, in the reader's time namespace. The command name, in
// parentheses, may hold spaces and parentheses: the fields are counted from
// the last ')'.
func statStartTime(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("reading a stat line: no ')' in %q", stat)
	}
	fields := bytes.Fields(stat[i+1:])
	const startField = 22 - 3 // fields 1 and 2 are before the ')'; 0-based
	if len(fields) <= startField {
		return 0, fmt.Errorf("reading a stat line: %d fields after the name, want more than %d", len(fields), startField)
	}
	ticks, err := strconv.ParseUint(string(fields[startField]), 10, 63)
	if err != nil {
		return 0, fmt.Errorf("reading a stat line's start time: %w", err)
	}
	return time.Duration(ticks) * clockTick, nil
}
