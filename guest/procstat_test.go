package guest

import (
	"os"
	"testing"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		line   string
		start  uint64
		zombie bool
		ok     bool
	}{
		{"1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 42 1 2 3", 42, false, true},
		{"7 (a b) c)) Z 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 99 1", 99, true, true},
		{"7 (x) S 1 2", 0, false, false},
		{"garbage", 0, false, false},
	}
	for _, tt := range tests {
		start, zombie, err := parseStat(tt.line)
		if (err == nil) != tt.ok || start != tt.start || zombie != tt.zombie {
			t.Errorf("parseStat(%q) = %d, %v, %v; want %d, %v, ok=%v", tt.line, start, zombie, err, tt.start, tt.zombie, tt.ok)
		}
	}
}

func TestReattachInit(t *testing.T) {
	start, _, err := procStart(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pid   int
		start uint64
		want  bool
	}{
		{os.Getpid(), start, true},
		{os.Getpid(), start + 1, false}, // the pid was reused, as after a host reboot
		{0, 0, false},
		{1, 0, false},
	}
	for _, tt := range tests {
		p, err := reattachInit(tt.pid, tt.start)
		if got := err == nil && p.alive(); got != tt.want {
			t.Errorf("reattachInit(%d, %d) alive = %v (%v), want %v", tt.pid, tt.start, got, err, tt.want)
		}
	}
}
