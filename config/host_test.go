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
