package config

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestHostMeminfo(t *testing.T) {
	tests := []struct {
		meminfo string // "" for no file
		mem     int64
		swap    int64
	}{
		{"MemTotal:       16318196 kB\nMemFree:         1000 kB\nSwapTotal:       1024 kB\n", 16318196 * 1024, 1024 * 1024},
		{"MemFree: 1 kB\nMemTotal: 2048 kB\n", 2048 * 1024, 0},
		{"MemFree: 1 kB\n", 0, 0},
		{"MemTotal: lots kB\n", 0, 0},
		{"", 0, 0},
	}
	for _, tt := range tests {
		proc := t.TempDir()
		if tt.meminfo != "" {
			if err := os.WriteFile(filepath.Join(proc, "meminfo"), []byte(tt.meminfo), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want := Host{MemTotal: tt.mem, SwapTotal: tt.swap, CPUs: runtime.NumCPU()}
		if got := hostIn(proc); got != want {
			t.Errorf("hostIn with meminfo %q = %+v, want %+v", tt.meminfo, got, want)
		}
	}
}

func TestLocalHost(t *testing.T) {
	if h := LocalHost(); h.CPUs < 1 {
		t.Errorf("LocalHost() = %+v, want at least 1 CPU", h)
	}
}
