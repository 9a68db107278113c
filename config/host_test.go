package config

import (
	"strings"
	"testing"
)

func TestParseMemTotal(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"MemTotal:       16318196 kB\nMemFree:         1000 kB\n", 16318196 * 1024, false},
		{"MemFree: 1 kB\nMemTotal: 2048 kB\n", 2048 * 1024, false},
		{"MemFree: 1 kB\n", 0, true},
		{"MemTotal: lots kB\n", 0, true},
	}
	for _, tt := range tests {
		got, err := parseMemTotal(strings.NewReader(tt.in))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parseMemTotal(%q) = %v, %v, want %v (error: %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestLocalHost(t *testing.T) {
	if h := LocalHost(); h.CPUs < 1 {
		t.Errorf("LocalHost() = %+v, want at least 1 CPU", h)
	}
}

func TestMeminfoSwapTotal(t *testing.T) {
	in := "MemTotal: 2048 kB\nSwapTotal:       1024 kB\n"
	if got, err := meminfoField(strings.NewReader(in), "SwapTotal"); got != 1024*1024 || err != nil {
		t.Errorf("meminfoField(%q, SwapTotal) = %v, %v, want %v", in, got, err, 1024*1024)
	}
}
