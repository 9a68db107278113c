package guest

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// isNamespaceInit reports whether a /proc/PID/status says the process is PID 1
// of a pid namespace just below the reader's: "NSpid: HOSTPID 1".
func isNamespaceInit(status []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "NSpid:"); ok {
			f := strings.Fields(rest)
			return len(f) == 2 && f[1] == "1"
		}
	}
	return false
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
