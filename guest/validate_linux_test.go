package guest

import (
	"net"
	"os"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// pipeFDs returns the daemon's ends of three pipes as a spawn hands them
// over: the write end of stdin, the read ends of stdout and stderr; and the
// child's ends. All are closed when the test ends.
func pipeFDs(t *testing.T) (ours, theirs []int) {
	t.Helper()
	for i := 0; i < 3; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close(); w.Close() })
		if i == 0 {
			ours, theirs = append(ours, int(w.Fd())), append(theirs, int(r.Fd()))
		} else {
			ours, theirs = append(ours, int(r.Fd())), append(theirs, int(w.Fd()))
		}
	}
	return ours, theirs
}

func TestCheckProcessFiles(t *testing.T) {
	ours, theirs := pipeFDs(t)
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer slave.Close()
	ln, err := net.Listen("unix", t.TempDir()+"/s")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	lf, _ := ln.(*net.UnixListener).File()
	defer lf.Close()
	tests := []struct {
		name string
		fds  []int
		tty  bool
		ok   bool
	}{
		{"pipes", ours, false, true},
		{"the child's ends", theirs, false, false},
		{"two pipes", ours[:2], false, false},
		{"a terminal master", []int{int(master.Fd())}, true, true},
		{"a terminal slave", []int{int(slave.Fd())}, true, false},
		{"a pipe for a terminal", ours[:1], true, false},
		{"a socket for pipes", []int{int(lf.Fd()), ours[1], ours[2]}, false, false},
		{"a terminal for pipes", []int{int(master.Fd()), ours[1], ours[2]}, false, false},
	}
	for _, tt := range tests {
		if err := checkProcessFiles(tt.fds, tt.tty); (err == nil) != tt.ok {
			t.Errorf("%s: checkProcessFiles = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestCheckSocket(t *testing.T) {
	tl, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	tlf, _ := tl.(*net.TCPListener).File()
	defer tlf.Close()
	tc, err := net.Dial("tcp4", tl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tcf, _ := tc.(*net.TCPConn).File()
	defer tcf.Close()
	ul, err := net.Listen("unix", t.TempDir()+"/s")
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	ulf, _ := ul.(*net.UnixListener).File()
	defer ulf.Close()
	udp, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(udp)
	tests := []struct {
		name      string
		fd        int
		network   string
		listening bool
		ok        bool
	}{
		{"tcp listener", int(tlf.Fd()), "tcp", true, true},
		{"tcp listener for tcp6", int(tlf.Fd()), "tcp6", true, false},
		{"tcp listener for a dial", int(tlf.Fd()), "tcp", false, false},
		{"tcp connection", int(tcf.Fd()), "tcp", false, true},
		{"unix listener for tcp", int(ulf.Fd()), "tcp", true, false},
		{"unix listener", int(ulf.Fd()), "unix", true, true},
		{"udp for tcp", udp, "tcp", false, false},
	}
	for _, tt := range tests {
		if err := checkSocket(tt.fd, tt.network, tt.listening); (err == nil) != tt.ok {
			t.Errorf("%s: checkSocket(%s, listening=%v) = %v, want ok=%v", tt.name, tt.network, tt.listening, err, tt.ok)
		}
	}
}
