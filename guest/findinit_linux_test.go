package guest

import "testing"

func TestIsNamespaceInit(t *testing.T) {
	tests := []struct {
		status string
		want   bool
	}{
		{"Name:\tvmhost-init\nNSpid:\t4242\t1\n", true},
		{"NSpid:\t4242\n", false},        // a host process
		{"NSpid:\t4242\t17\n", false},    // a guest process
		{"NSpid:\t4242\t17\t1\n", false}, // init of a nested pid namespace
		{"Name:\tx\nPid:\t1\n", false},   // no NSpid line
		// The kernel writes one NSpid line, and escapes a name's newlines.
		{"Name:\tx\\nNSpid:\t4242\t1\nNSpid:\t4242\t17\n", false},
	}
	for _, tt := range tests {
		fs := fakeProc(t, "status", map[int]string{4242: tt.status})
		if got := isNamespaceInitIn(fs, 4242); got != tt.want {
			t.Errorf("isNamespaceInit of status %q = %v, want %v", tt.status, got, tt.want)
		}
	}
	if isNamespaceInitIn(fakeProc(t, "status", nil), 4242) {
		t.Errorf("isNamespaceInit of a process that is gone = true, want false")
	}
}

func TestMapsRootTo(t *testing.T) {
	tests := []struct {
		uidMap string
		want   bool
	}{
		{"         0 1073741824      65536\n", true},
		{"         0 1073807360      65536\n", false}, // another guest's range
		{"         0          0 4294967295\n", false}, // the host's
		{"         0 1073741824      65536\n     65536 0 1\n", false},
		{"         1 1073741824      65536\n", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := mapsRootTo([]byte(tt.uidMap), 1<<30, 65536); got != tt.want {
			t.Errorf("mapsRootTo(%q) = %v, want %v", tt.uidMap, got, tt.want)
		}
	}
}
