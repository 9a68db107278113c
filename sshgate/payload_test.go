package sshgate

import (
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"vmhost/guest"
)

func TestParseModes(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    map[uint8]uint32
		wantErr bool
	}{
		{"empty", nil, map[uint8]uint32{}, false},
		{"end only", []byte{0}, map[uint8]uint32{}, false},
		{
			"two modes",
			[]byte{53, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0},
			map[uint8]uint32{53: 0, 1: 3},
			false,
		},
		{
			"speed",
			[]byte{128, 0, 0, 0x96, 0, 0},
			map[uint8]uint32{128: 38400},
			false,
		},
		{"stops at 160", []byte{160, 1, 2, 53, 0, 0, 0, 1}, map[uint8]uint32{}, false},
		{"cut short", []byte{53, 0, 0}, nil, true},
	}
	for _, tt := range tests {
		got, err := parseModes(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: parseModes(%v) error = %v, want error %v", tt.name, tt.in, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" && !tt.wantErr {
			t.Errorf("%s: parseModes(%v) mismatch (-want +got):\n%s", tt.name, tt.in, diff)
		}
	}
}

func TestParsePTYReq(t *testing.T) {
	payload := ssh.Marshal(ptyReqMsg{Term: "xterm", Cols: 80, Rows: 100000, Modes: string([]byte{53, 0, 0, 0, 0, 0})})
	got, err := parsePTYReq(payload)
	if err != nil {
		t.Fatalf("parsePTYReq: %v", err)
	}
	want := &guest.TTY{Term: "xterm", Rows: 65535, Cols: 80, Modes: map[uint8]uint32{53: 0}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parsePTYReq mismatch (-want +got):\n%s", diff)
	}
	if _, err := parsePTYReq([]byte{1, 2}); err == nil {
		t.Errorf("parsePTYReq(truncated) = nil error, want one")
	}
}

func TestAcceptEnv(t *testing.T) {
	tests := []struct {
		name, value string
		want        bool
	}{
		{"TERM", "xterm", true},
		{"LANG", "C.UTF-8", true},
		{"LC_ALL", "C", true},
		{"LC_", "x", false},
		{"LD_PRELOAD", "/x.so", false},
		{"LD_LIBRARY_PATH", "/x", false},
		{"PATH", "/x", false},
		{"HOME", "/x", false},
		{"LANG=X", "y", false},
		{"LANG", "a\x00b", false},
	}
	for _, tt := range tests {
		if got := acceptEnv(tt.name, tt.value); got != tt.want {
			t.Errorf("acceptEnv(%q, %q) = %v, want %v", tt.name, tt.value, got, tt.want)
		}
	}
}

func TestSSHAddrEnv(t *testing.T) {
	remote := &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 50000}
	local := &net.TCPAddr{IP: net.ParseIP("::1"), Port: 2222}
	tests := []struct {
		guest netip.Addr
		want  []string
	}{
		{netip.Addr{}, []string{"SSH_CLIENT=192.0.2.7 50000 2222", "SSH_CONNECTION=192.0.2.7 50000 ::1 2222"}},
		{netip.MustParseAddr("10.213.0.5"), []string{"SSH_CLIENT=192.0.2.7 50000 2222", "SSH_CONNECTION=192.0.2.7 50000 10.213.0.5 2222"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, sshAddrEnv(remote, local, tt.guest)); diff != "" {
			t.Errorf("sshAddrEnv(%v, %v, %v) mismatch (-want +got):\n%s", remote, local, tt.guest, diff)
		}
	}
}
