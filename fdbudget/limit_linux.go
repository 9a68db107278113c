package fdbudget

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// RaiseLimit raises the soft RLIMIT_NOFILE of the process to its hard limit
// and returns the new soft limit.
// Equivalent to: ulimit -n "$(ulimit -Hn)"
func RaiseLimit() (uint64, error) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("reading the open files limit: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
			return 0, fmt.Errorf("raising the open files limit to %d: %w", lim.Max, err)
		}
	}
	return lim.Cur, nil
}

// ForProcess returns the budget for untrusted uses under the process's
// current RLIMIT_NOFILE: the limit less a reserve (see MinReserve).
func ForProcess() (*Budget, error) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return nil, fmt.Errorf("reading the open files limit: %w", err)
	}
	return New(untrusted(lim.Cur)), nil
}
