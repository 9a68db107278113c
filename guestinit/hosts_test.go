package guestinit

import "testing"

func TestHostsWithName(t *testing.T) {
	tests := []struct{ old, want string }{
		{"", "127.0.1.1\tweb\n"},
		{"127.0.0.1\tlocalhost\n", "127.0.0.1\tlocalhost\n127.0.1.1\tweb\n"},
		{"127.0.0.1 localhost\n127.0.1.1 old\n::1 localhost\n", "127.0.0.1 localhost\n127.0.1.1\tweb\n::1 localhost\n"},
		{"127.0.1.1\tweb\n", "127.0.1.1\tweb\n"},
		{"127.0.1.1 a\n127.0.1.1 b\n", "127.0.1.1\tweb\n"},
	}
	for _, tt := range tests {
		if got := string(hostsWithName([]byte(tt.old), "web")); got != tt.want {
			t.Errorf("hostsWithName(%q, web) = %q, want %q", tt.old, got, tt.want)
		}
	}
}
