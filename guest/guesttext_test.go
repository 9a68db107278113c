package guest

import (
	"strings"
	"testing"
)

func TestGuestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"no such file", "no such file"},
		{"line\nforged=true", "line?forged=true"},
		{"\x1b[2Jclear", "?[2Jclear"},
		{strings.Repeat("a", maxGuestText+10), strings.Repeat("a", maxGuestText) + "..."},
		{"bad \xff utf8", "bad ? utf8"},
	}
	for _, tt := range tests {
		if got := guestText(tt.in); got != tt.want {
			t.Errorf("guestText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckExitAndPid(t *testing.T) {
	for _, st := range []ExitStatus{{Code: 0}, {Code: 255}, {Code: 137, Signal: 9}} {
		if err := checkExit(st); err != nil {
			t.Errorf("checkExit(%+v) = %v, want nil", st, err)
		}
	}
	for _, st := range []ExitStatus{{Code: -1}, {Code: 256}, {Signal: 65}, {Signal: -3}} {
		if err := checkExit(st); err == nil {
			t.Errorf("checkExit(%+v) = nil, want an error", st)
		}
	}
	for _, pid := range []int{-5, 0, 1, maxPid + 1} {
		if err := checkPid(pid); err == nil {
			t.Errorf("checkPid(%d) = nil, want an error", pid)
		}
	}
	if err := checkPid(2); err != nil {
		t.Errorf("checkPid(2) = %v, want nil", err)
	}
}
