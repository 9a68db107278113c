package guestinit

import (
	"strings"
	"testing"
)

func TestViewMountsRefusesBadRequests(t *testing.T) {
	for _, tt := range []struct {
		name  string
		paths []string
		fds   []int
		want  string
	}{
		{"more files than paths", []string{"/proc/meminfo"}, []int{-1, -1}, "1 paths and 2 files"},
		{"more paths than files", []string{"/proc/meminfo", "/proc/stat"}, []int{-1}, "2 paths and 1 files"},
		{"not a view file", []string{"/etc/passwd"}, []int{-1}, `"/etc/passwd"`},
		{"uptime", []string{"/proc/uptime"}, []int{-1}, `"/proc/uptime"`},
		{"dot dot", []string{"/proc/../proc/meminfo"}, []int{-1}, "not a view file"},
		{"twice", []string{"/proc/meminfo", "/proc/meminfo"}, []int{-1, -1}, "twice"},
	} {
		_, err := viewMounts(tt.paths, tt.fds)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("viewMounts(%s: %q, %d files) = %v, want an error with %q", tt.name, tt.paths, len(tt.fds), err, tt.want)
		}
	}
}
