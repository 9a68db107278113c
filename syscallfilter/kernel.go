package syscallfilter

import (
	"strconv"
	"strings"
)

// continueSince is the first Linux release whose listeners can let a
// call run in the kernel (SECCOMP_USER_NOTIF_FLAG_CONTINUE, 5.5).
var continueSince = [2]int{5, 5}

// releaseAtLeast reports whether a kernel release string such as
// "6.1.0-18-amd64" is at least version want (major, minor).
func releaseAtLeast(release string, want [2]int) bool {
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return false
	}
	major, err1 := strconv.Atoi(parts[0])
	minorText := parts[1]
	if i := strings.IndexFunc(minorText, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		minorText = minorText[:i]
	}
	minor, err2 := strconv.Atoi(minorText)
	if err1 != nil || err2 != nil {
		return false
	}
	return major > want[0] || major == want[0] && minor >= want[1]
}
