package guest

import (
	"fmt"
	"strings"
	"unicode"
)

// maxGuestText bounds a text from a guest's init (an error message) that the
// daemon passes on to logs and to users.
const maxGuestText = 512

// guestText makes a text from a guest's init fit for a log line or a user's
// terminal: printable, on one line, and at most maxGuestText bytes.
func guestText(s string) string {
	cut := len(s) > maxGuestText
	if cut {
		s = s[:maxGuestText]
	}
	s = strings.Map(func(r rune) rune {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, s)
	if cut {
		s += "..."
	}
	return s
}

// maxSignal is the highest signal number Linux has (SIGRTMAX).
const maxSignal = 64

// checkExit refuses an exit status no process can have.
func checkExit(st ExitStatus) error {
	if st.Code < 0 || st.Code > 255 || st.Signal < 0 || st.Signal > maxSignal {
		return fmt.Errorf("guest init reported an impossible exit status %+v", st)
	}
	return nil
}

// maxPid is the largest pid Linux gives (PID_MAX_LIMIT on 64-bit).
const maxPid = 1 << 22

// checkPid refuses a pid no process of a guest can have.
func checkPid(pid int) error {
	if pid <= 1 || pid > maxPid {
		return fmt.Errorf("guest init reported an impossible pid %d", pid)
	}
	return nil
}
