package guestinit

import (
	"testing"
	"time"
)

func TestTimeOffsets(t *testing.T) {
	tests := []struct {
		mono, boot time.Duration
		want       string
	}{
		{0, 0, "monotonic 0 0\nboottime 0 0\n"},
		{2 * time.Second, 5 * time.Second, "monotonic -2 0\nboottime -5 0\n"},
		{1300 * time.Millisecond, 18189*time.Second + 10*time.Millisecond,
			"monotonic -2 700000000\nboottime -18190 990000000\n"},
	}
	for _, tt := range tests {
		if got := timeOffsets(tt.mono, tt.boot); got != tt.want {
			t.Errorf("timeOffsets(%v, %v) = %q, want %q", tt.mono, tt.boot, got, tt.want)
		}
	}
}

func TestStatStartTime(t *testing.T) {
	tests := []struct {
		stat    string
		want    time.Duration
		wantErr bool
	}{
		{"1 (vmhost-init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 5 0 1819000 1 2 3", 18190 * time.Second, false},
		{"7 (a) b) c) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 9", 420 * time.Millisecond, false},
		{"7 (short) R 1 7", 0, true},
		{"no parenthesis", 0, true},
		{"1 (x) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 5 0 -3 1", 0, true},
	}
	for _, tt := range tests {
		got, err := statStartTime([]byte(tt.stat))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("statStartTime(%q) = %v, %v; want %v, error %v", tt.stat, got, err, tt.want, tt.wantErr)
		}
	}
}
