package guestinit

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestUTMPLayoutOffsets checks where encode puts each field against the
// offsets of glibc's bits/utmp.h: 32-bit ut_session and ut_tv on x86-64
// (__WORDSIZE_TIME64_COMPAT32), 64-bit on AArch64.
func TestUTMPLayoutOffsets(t *testing.T) {
	r := loginRecord{
		Type: utUserProcess, PID: 0x01020304, Line: "pts/12", ID: "s/12", User: "root", Host: "192.0.2.7",
		Addr: netip.MustParseAddr("192.0.2.7"), Time: time.Unix(0x11223344, 567_000),
	}
	tests := []struct {
		arch                    string
		size, sec, usec, addr   int
		wide                    bool
		lastlog, llLine, llHost int
	}{
		{"amd64", 384, 340, 344, 348, false, 292, 4, 36},
		{"arm64", 400, 344, 352, 360, true, 296, 8, 40},
	}
	le := binary.LittleEndian
	for _, tt := range tests {
		l := utmpLayouts[tt.arch]
		b := l.encode(r)
		if len(b) != tt.size {
			t.Fatalf("%s: len(encode) = %d, want %d", tt.arch, len(b), tt.size)
		}
		texts := []struct {
			off, size int
			want      string
		}{{8, 32, "pts/12"}, {40, 4, "s/12"}, {44, 32, "root"}, {76, 256, "192.0.2.7"}}
		for _, f := range texts {
			if got := string(b[f.off : f.off+f.size]); got != f.want+strings.Repeat("\x00", f.size-len(f.want)) {
				t.Errorf("%s: field at %d = %q, want %q padded with NULs to %d bytes", tt.arch, f.off, got, f.want, f.size)
			}
		}
		if got := le.Uint16(b[0:]); got != utUserProcess {
			t.Errorf("%s: ut_type = %d, want %d", tt.arch, got, utUserProcess)
		}
		if got := le.Uint32(b[4:]); got != 0x01020304 {
			t.Errorf("%s: ut_pid = %#x", tt.arch, got)
		}
		sec, usec := uint64(le.Uint32(b[tt.sec:])), uint64(le.Uint32(b[tt.usec:]))
		if tt.wide {
			sec, usec = le.Uint64(b[tt.sec:]), le.Uint64(b[tt.usec:])
		}
		if sec != 0x11223344 || usec != 567 {
			t.Errorf("%s: ut_tv = %#x.%d, want 0x11223344.567", tt.arch, sec, usec)
		}
		if got := b[tt.addr : tt.addr+16]; netip.AddrFrom4([4]byte(got[:4])) != r.Addr || binary.LittleEndian.Uint64(got[8:]) != 0 {
			t.Errorf("%s: ut_addr_v6 = %x, want c0000207 then zeros", tt.arch, got)
		}
		ll := l.encodeLastlog(r.Time, r.Line, r.Host)
		if len(ll) != tt.lastlog || cString(ll[tt.llLine:tt.llLine+32]) != "pts/12" || cString(ll[tt.llHost:]) != "192.0.2.7" {
			t.Errorf("%s: lastlog = %q, want %d bytes, pts/12 at %d, 192.0.2.7 at %d", tt.arch, ll, tt.lastlog, tt.llLine, tt.llHost)
		}
		if got := l.decode(b); got.Line != r.Line || got.ID != r.ID || got.User != r.User || got.Host != r.Host || got.PID != r.PID || got.Type != r.Type {
			t.Errorf("%s: decode(encode(r)) = %+v, want %+v", tt.arch, got, r)
		}
	}
}

// TestUTMPAddr checks ut_addr_v6 for IPv4, IPv4-mapped and IPv6 clients.
func TestUTMPAddr(t *testing.T) {
	tests := []struct {
		addr string
		want [16]byte
	}{
		{"198.51.100.9", [16]byte{198, 51, 100, 9}},
		{"::ffff:198.51.100.9", [16]byte{198, 51, 100, 9}},
		{"2001:db8::5", [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 5}},
	}
	for _, tt := range tests {
		var got [16]byte
		putAddr(got[:], netip.MustParseAddr(tt.addr))
		if got != tt.want {
			t.Errorf("putAddr(%s) = %x, want %x", tt.addr, got, tt.want)
		}
	}
}

// TestUTMPSlot checks which record pututline replaces.
func TestUTMPSlot(t *testing.T) {
	l := utmpLayouts["amd64"]
	file := func(rs ...loginRecord) []byte {
		var b []byte
		for _, r := range rs {
			b = append(b, l.encode(r)...)
		}
		return b
	}
	boot := loginRecord{Type: 2, Line: "~", ID: "~~", User: "reboot"}
	pts0 := loginRecord{Type: utUserProcess, Line: "pts/0", ID: "ts/0", User: "root"}
	dead1 := loginRecord{Type: utDeadProcess, Line: "pts/1", ID: "ts/1"}
	noID := loginRecord{Type: utLoginProcess, Line: "pts/2"}
	tests := []struct {
		name     string
		data     []byte
		id, line string
		want     int
	}{
		{"empty", nil, "ts/0", "pts/0", -1},
		{"same id", file(boot, pts0, dead1), "ts/0", "pts/0", 1},
		{"dead slot of the same id", file(boot, pts0, dead1), "ts/1", "pts/1", 2},
		{"no match", file(boot, pts0, dead1), "ts/3", "pts/3", -1},
		{"line where the record has no id", file(noID), "ts/2", "pts/2", 0},
		{"boot records never match", file(boot), "~~", "~", -1},
		{"partial last record ignored", file(boot, pts0)[:2*l.size-1], "ts/0", "pts/0", -1},
	}
	for _, tt := range tests {
		if got := l.utmpSlot(tt.data, tt.id, tt.line); got != tt.want {
			t.Errorf("%s: utmpSlot(%q, %q) = %d, want %d", tt.name, tt.id, tt.line, got, tt.want)
		}
	}
}

// TestTerminalNames checks ut_line and ut_id as sshd makes them.
func TestTerminalNames(t *testing.T) {
	tests := []struct{ path, line, id string }{
		{"/dev/pts/0", "pts/0", "ts/0"},
		{"/dev/pts/123", "pts/123", "/123"},
		{"/dev/tty1", "tty1", "tty1"},
		{"/dev/x", "x", "x"},
	}
	for _, tt := range tests {
		line := terminalLine(tt.path)
		if line != tt.line || terminalID(line) != tt.id {
			t.Errorf("terminalLine(%q) = %q, id %q; want %q, %q", tt.path, line, terminalID(line), tt.line, tt.id)
		}
	}
}

// TestClientHost checks the client's address taken from sshd's variables.
func TestClientHost(t *testing.T) {
	tests := []struct {
		env  []string
		want string
	}{
		{[]string{"SSH_CONNECTION=198.51.100.9 5000 10.0.0.2 22"}, "198.51.100.9"},
		{[]string{"SSH_CONNECTION=2001:db8::9 5000 2001:db8::1 22"}, "2001:db8::9"},
		{[]string{"SSH_CONNECTION=::ffff:192.0.2.1 5000 ::1 22"}, "192.0.2.1"},
		{[]string{"SSH_CLIENT=192.0.2.3 5000 22"}, "192.0.2.3"},
		{[]string{"SSH_CONNECTION=not-an-address 1 2 3", "SSH_CLIENT=192.0.2.4 1 2"}, "192.0.2.4"},
		{[]string{"PATH=/bin"}, ""},
	}
	for _, tt := range tests {
		if got, _ := clientHost(tt.env); got != tt.want {
			t.Errorf("clientHost(%q) = %q, want %q", tt.env, got, tt.want)
		}
	}
}
