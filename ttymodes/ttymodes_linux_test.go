package ttymodes

import (
	"os"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/creack/pty"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// openPTY returns the slave side of a new pty, closed when the test ends.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	ptm, pts, err := pty.Open()
	if err != nil {
		t.Skipf("no pty available: %v", err)
	}
	t.Cleanup(func() { ptm.Close(); pts.Close() })
	return pts
}

func getTermios(t *testing.T, f *os.File) *unix.Termios {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatalf("TCGETS: %v", err)
	}
	return tio
}

func TestApplyOnPTY(t *testing.T) {
	pts := openPTY(t)
	modes := map[uint8]uint32{
		ssh.ECHO:          0,
		ssh.ICANON:        1,
		ssh.VINTR:         7,     // ^G instead of ^C
		ssh.VQUIT:         255,   // disabled
		ssh.ONLCR:         0,     // output: no CR before NL
		ssh.IUTF8:         1,     // input is UTF-8
		ssh.TTY_OP_OSPEED: 38400, // a standard speed
		200:               1,     // unknown opcode: ignored
		ssh.VEOF:          1000,  // does not fit a byte: ignored
	}
	before := getTermios(t, pts)
	if err := Apply(int(pts.Fd()), modes); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	got := getTermios(t, pts)

	checks := []struct {
		name      string
		got, want bool
	}{
		{"ECHO off", got.Lflag&unix.ECHO != 0, false},
		{"ICANON on", got.Lflag&unix.ICANON != 0, true},
		{"ONLCR off", got.Oflag&unix.ONLCR != 0, false},
		{"IUTF8 on", got.Iflag&unix.IUTF8 != 0, true},
		{"VINTR is ^G", got.Cc[unix.VINTR] == 7, true},
		{"VQUIT disabled", got.Cc[unix.VQUIT] == 0, true},
		{"VEOF unchanged", got.Cc[unix.VEOF] == before.Cc[unix.VEOF], true},
		{"speed 38400", got.Cflag&unix.CBAUD == unix.B38400, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("after Apply: %s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestApplyEmptyLeavesTerminal(t *testing.T) {
	pts := openPTY(t)
	before := getTermios(t, pts)
	if err := Apply(int(pts.Fd()), nil); err != nil {
		t.Fatalf("Apply(nil): %v", err)
	}
	if diff := cmp.Diff(before, getTermios(t, pts)); diff != "" {
		t.Errorf("Apply(nil) changed the terminal (-before +after):\n%s", diff)
	}
}

func TestApplyNotATerminal(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Apply(int(f.Fd()), map[uint8]uint32{ssh.ECHO: 0}); err == nil {
		t.Errorf("Apply(%s) = nil, want an error", os.DevNull)
	}
}

func TestApplyCharSize(t *testing.T) {
	tests := []struct {
		name  string
		modes map[uint8]uint32
		start uint32
		want  uint32
	}{
		{"OpenSSH sends CS7=0 CS8=1", map[uint8]uint32{ssh.CS7: 0, ssh.CS8: 1}, unix.CS7, unix.CS8},
		{"CS7 only", map[uint8]uint32{ssh.CS7: 1, ssh.CS8: 0}, unix.CS8, unix.CS7},
		{"neither", map[uint8]uint32{ssh.CS7: 0, ssh.CS8: 0}, unix.CS6, unix.CS6},
		{"absent", map[uint8]uint32{}, unix.CS8, unix.CS8},
	}
	for _, tt := range tests {
		tio := &unix.Termios{Cflag: tt.start}
		applyModes(tio, tt.modes)
		if got := tio.Cflag & unix.CSIZE; got != tt.want {
			t.Errorf("%s: CSIZE = %#x, want %#x", tt.name, got, tt.want)
		}
	}
}

func TestApplyModesFlags(t *testing.T) {
	tests := []struct {
		name  string
		modes map[uint8]uint32
		start unix.Termios
		want  unix.Termios
	}{
		{
			name:  "set and clear",
			modes: map[uint8]uint32{ssh.ISIG: 1, ssh.ECHO: 0, ssh.IXON: 1, ssh.OPOST: 0, ssh.PARENB: 1},
			start: unix.Termios{Lflag: unix.ECHO, Oflag: unix.OPOST},
			want:  unix.Termios{Lflag: unix.ISIG, Iflag: unix.IXON, Cflag: unix.PARENB},
		},
		{
			name:  "input speed",
			modes: map[uint8]uint32{ssh.TTY_OP_ISPEED: 9600, ssh.TTY_OP_OSPEED: 12345},
			want:  unix.Termios{Cflag: unix.B9600 << unix.IBSHIFT, Ispeed: 9600},
		},
		{
			name:  "unknown opcodes",
			modes: map[uint8]uint32{11: 1, 15: 1, 17: 1, 99: 1, 159: 1},
		},
	}
	for _, tt := range tests {
		got := tt.start
		applyModes(&got, tt.modes)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: applyModes(%v) mismatch (-want +got):\n%s", tt.name, tt.modes, diff)
		}
	}
}

func TestSetSize(t *testing.T) {
	pts := openPTY(t)
	if err := SetSize(int(pts.Fd()), 42, 132); err != nil {
		t.Fatalf("SetSize: %v", err)
	}
	rows, cols, err := pty.Getsize(pts)
	if err != nil {
		t.Fatalf("Getsize: %v", err)
	}
	if rows != 42 || cols != 132 {
		t.Errorf("size after SetSize(42, 132) = %dx%d rows x cols, want 42x132", rows, cols)
	}
}
