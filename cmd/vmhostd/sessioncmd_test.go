package main

import (
	"io"
	"strings"
	"testing"
)

func TestParseSessionID(t *testing.T) {
	for _, tt := range []struct {
		in    string
		guest string
		n     int
		ok    bool
	}{
		{"alice/3", "alice", 3, true}, {"alice+web/1", "alice+web", 1, true},
		{"alice", "", 0, false}, {"alice/0", "", 0, false}, {"/3", "", 0, false}, {"alice/x", "", 0, false},
	} {
		g, n, err := parseSessionID(tt.in)
		if (err == nil) != tt.ok || g != tt.guest || n != tt.n {
			t.Errorf("parseSessionID(%q) = %q, %d, %v", tt.in, g, n, err)
		}
	}
}

func TestLeaveReader(t *testing.T) {
	left := false
	l := &leaveReader{r: strings.NewReader("ls\r\x1dmore"), leave: func() { left = true }}
	b, _ := io.ReadAll(l)
	if string(b) != "ls\r" || !left {
		t.Errorf("read %q, left %v; want the keys before Ctrl-], and leave called", b, left)
	}
}
