package guest

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
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

// initAlive says whether the process pid is still the one that started at start.
func initAlive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	got, zombie, err := procStart(pid)
	return err == nil && !zombie && got == start
}

// reapWhenDone collects the exit of a child of the daemon when it ends, without
// holding a thread while it runs: it waits on a pidfd through the runtime's
// poller.
func reapWhenDone(pid int) error {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return fmt.Errorf("opening pidfd of %d: %w", pid, err)
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return fmt.Errorf("polling pidfd of %d: %w", pid, err)
	}
	go func() {
		defer f.Close()
		rc.Read(func(fd uintptr) bool {
			var info unix.Siginfo
			err := unix.Waitid(unix.P_PIDFD, int(fd), &info, unix.WEXITED, nil)
			return err != unix.EAGAIN
		})
	}()
	return nil
}
