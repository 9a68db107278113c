package main

import (
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

func TestMakeRawAndRestore(t *testing.T) {
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer master.Close()
	defer slave.Close()
	fd := int(slave.Fd())
	echo := func() bool {
		tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		return tio.Lflag&unix.ECHO != 0
	}
	if !echo() {
		t.Fatal("a new terminal does not echo")
	}
	restore, err := makeRaw(fd)
	if err != nil {
		t.Fatalf("makeRaw: %v", err)
	}
	if echo() {
		t.Errorf("the terminal echoes in raw mode")
	}
	restore()
	if !echo() {
		t.Errorf("the terminal does not echo once restored")
	}
	if _, err := makeRaw(int(master.Fd()) + 1000); err == nil {
		t.Errorf("makeRaw of a closed descriptor = nil error")
	}
}
