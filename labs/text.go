package labs

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of what is kept of a check's output.
const (
	// MaxOutput bounds the output of a check script kept per guest.
	MaxOutput = 64 << 10
	// maxFailLines bounds the FAIL lines kept per guest, maxFailLine the
	// runes of each.
	maxFailLines = 50
	maxFailLine  = 300
)

// failPrefix starts a check's feedback lines.
const failPrefix = "FAIL:"

// FailLines returns the lines of a check's output that start with
// "FAIL:", made printable, each at most maxFailLine runes, at most
// maxFailLines of them (then a line that says how many more).
func FailLines(out []byte) []string {
	lines := []string{}
	more := 0
	for line := range strings.SplitSeq(string(out), "\n") {
		line = strings.TrimRight(line, "\r")
		if !strings.HasPrefix(line, failPrefix) {
			continue
		}
		if len(lines) == maxFailLines {
			more++
			continue
		}
		lines = append(lines, printable(line, maxFailLine))
	}
	if more > 0 {
		lines = append(lines, "FAIL: ("+strconv.Itoa(more)+" more FAIL lines)")
	}
	return lines
}

// printable cuts s to at most n runes and replaces what is not printable
// (control characters, escapes, format characters such as bidi
// overrides, invalid UTF-8) with '?': text from a guest
// is shown on teachers' terminals.
func printable(s string, n int) string {
	var b strings.Builder
	count := 0
	for i, r := range s {
		if count == n {
			b.WriteString("…")
			break
		}
		if r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") || r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Cf, r) {
			r = '?'
		}
		b.WriteRune(r)
		count++
	}
	return b.String()
}
