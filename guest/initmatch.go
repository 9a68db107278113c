package guest

import (
	"strconv"
	"strings"
)

// isNamespaceInit reports whether the pids a process has in the pid
// namespaces it is in (NSpid of /proc/PID/status), from the reader's down,
// make it PID 1 of a pid namespace just below the reader's: HOSTPID 1.
func isNamespaceInit(nspids []uint64) bool {
	return len(nspids) == 2 && nspids[1] == 1
}

// mapsRootTo reports whether a uid_map is exactly the one line that maps ids
// 0..size-1 to base..base+size-1.
func mapsRootTo(uidMap []byte, base, size uint32) bool {
	f := strings.Fields(string(uidMap))
	if len(f) != 3 {
		return false
	}
	inside, err1 := strconv.ParseUint(f[0], 10, 32)
	outside, err2 := strconv.ParseUint(f[1], 10, 32)
	n, err3 := strconv.ParseUint(f[2], 10, 32)
	return err1 == nil && err2 == nil && err3 == nil && inside == 0 && outside == uint64(base) && n == uint64(size)
}
