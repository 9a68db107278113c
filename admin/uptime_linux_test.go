package admin

import (
	"testing"
	"time"
)

func TestStartTime(t *testing.T) {
	boot, err := bootTime()
	if err != nil {
		t.Fatal(err)
	}
	if now := time.Now(); boot.After(now) || boot.Before(now.AddDate(-10, 0, 0)) {
		t.Errorf("bootTime() = %v, want a time before now (%v)", boot, now)
	}
	tests := []struct {
		ticks  uint64
		want   time.Time
		wantOK bool
	}{
		{150, boot.Add(1500 * time.Millisecond), true},
		{0, time.Time{}, false}, // no start recorded
	}
	for _, tt := range tests {
		if got, ok := startTime(tt.ticks); !got.Equal(tt.want) || ok != tt.wantOK {
			t.Errorf("startTime(%d) = %v, %v; want %v, %v", tt.ticks, got, ok, tt.want, tt.wantOK)
		}
	}
}
