package guestinit

import (
	"testing"
	"vmhost/protocol"
)

func TestTouchesGuestFiles(t *testing.T) {
	tests := []struct {
		network, address string
		want             bool
	}{
		{"unix", "/tmp/x.sock", true},
		{"unix", "", true},
		{"tcp", "127.0.0.1:80", false},
		{"tcp", "[::1]:22", false},
		{"tcp", "[fe80::1%eth0]:22", false},
		{"tcp", ":8080", false},
		{"tcp", "localhost:80", true},
		{"tcp4", "example.org:443", true},
		{"tcp", "no port", false},
	}
	for _, tt := range tests {
		req := &protocol.Request{Op: protocol.OpDial, Network: tt.network, Address: tt.address}
		if got := touchesGuestFiles(req); got != tt.want {
			t.Errorf("touchesGuestFiles(%s %q) = %v, want %v", tt.network, tt.address, got, tt.want)
		}
	}
}
