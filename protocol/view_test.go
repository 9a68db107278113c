package protocol

import "testing"

func TestIsViewFile(t *testing.T) {
	for _, tt := range []struct {
		path string
		want bool
	}{
		{"/proc/meminfo", true},
		{"/sys/devices/system/cpu/online", true},
		{"/proc/stat", true},
		{"/proc/uptime", false},
		{"/proc/meminfo/", false},
		{"/proc/../etc/passwd", false},
		{"proc/meminfo", false},
		{"", false},
	} {
		if got := IsViewFile(tt.path); got != tt.want {
			t.Errorf("IsViewFile(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	if len(ViewFiles) > MaxViewFiles {
		t.Errorf("%d view files, more than MaxViewFiles (%d) a request may carry", len(ViewFiles), MaxViewFiles)
	}
}
