package guest

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// connPair returns two connected SOCK_SEQPACKET connections.
func connPair(t *testing.T) (a, b *net.UnixConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	x, err := fileConn(fds[0])
	if err != nil {
		t.Fatal(err)
	}
	y, err := fileConn(fds[1])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close(); y.Close() })
	return x, y
}

func TestMessageRoundTrip(t *testing.T) {
	a, b := connPair(t)
	want := request{Op: opSpawn, Spawn: &SpawnRequest{Argv: []string{"/bin/sh", "-c", "true"}, Env: []string{"A=b"}, TTY: &TTY{Term: "xterm", Rows: 24, Cols: 80, Modes: map[uint8]uint32{53: 0}}}}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := sendMessage(a, want, int(r.Fd())); err != nil {
		t.Fatal(err)
	}
	var got request
	fds, err := recvMessage(b, &got)
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll(fds)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recvMessage() mismatch (-want +got):\n%s", diff)
	}
	if len(fds) != 1 {
		t.Fatalf("recvMessage() files = %v, want one", fds)
	}
	if flags, _ := unix.FcntlInt(uintptr(fds[0]), unix.F_GETFD, 0); flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("received file is not close-on-exec")
	}
}

func TestMessageTooLarge(t *testing.T) {
	a, b := connPair(t)
	big := request{Op: opSpawn, Spawn: &SpawnRequest{Argv: []string{strings.Repeat("x", maxMessage)}}}
	if err := sendMessage(a, big); !errors.Is(err, errMessageTooLarge) {
		t.Errorf("sendMessage(big) = %v, want errMessageTooLarge", err)
	}
	// A peer that ignores the bound is cut off too.
	if _, _, err := a.WriteMsgUnix([]byte(`{"op":"`+strings.Repeat("x", maxMessage)+`"}`), nil, nil); err != nil {
		t.Fatal(err)
	}
	var got request
	if _, err := recvMessage(b, &got); !errors.Is(err, errMessageTooLarge) {
		t.Errorf("recvMessage(oversized) = %v, want errMessageTooLarge", err)
	}
}

func TestMessageTooManyFiles(t *testing.T) {
	a, b := connPair(t)
	var fds []int
	for i := 0; i < maxFDs+1; i++ {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		fds = append(fds, fd)
	}
	if err := sendMessage(a, reply{Pid: 1}, fds...); err != nil {
		t.Fatal(err)
	}
	var got reply
	if _, err := recvMessage(b, &got); err == nil {
		t.Errorf("recvMessage(%d files) succeeded, want an error", len(fds))
	}
}

func TestMessageGarbageAndClose(t *testing.T) {
	a, b := connPair(t)
	if _, _, err := a.WriteMsgUnix([]byte("not json"), nil, nil); err != nil {
		t.Fatal(err)
	}
	var got reply
	if _, err := recvMessage(b, &got); err == nil {
		t.Errorf("recvMessage(garbage) succeeded, want an error")
	}
	a.Close()
	if _, err := recvMessage(b, &got); !errors.Is(err, errClosed) {
		t.Errorf("recvMessage(after close) = %v, want errClosed", err)
	}
}
