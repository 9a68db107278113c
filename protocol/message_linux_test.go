package protocol

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
	x, err := FileConn(fds[0])
	if err != nil {
		t.Fatal(err)
	}
	y, err := FileConn(fds[1])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close(); y.Close() })
	return x, y
}

func TestMessageRoundTrip(t *testing.T) {
	a, b := connPair(t)
	want := Request{Op: OpSpawn, Spawn: &SpawnRequest{Argv: []string{"/bin/sh", "-c", "true"}, Env: []string{"A=b"}, TTY: &TTY{Term: "xterm", Rows: 24, Cols: 80, Modes: map[uint8]uint32{53: 0}}}}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := SendMessage(a, want, int(r.Fd())); err != nil {
		t.Fatal(err)
	}
	var got Request
	fds, err := RecvMessage(b, &got)
	if err != nil {
		t.Fatal(err)
	}
	defer CloseAll(fds)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RecvMessage() mismatch (-want +got):\n%s", diff)
	}
	if len(fds) != 1 {
		t.Fatalf("RecvMessage() files = %v, want one", fds)
	}
	if flags, _ := unix.FcntlInt(uintptr(fds[0]), unix.F_GETFD, 0); flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("received file is not close-on-exec")
	}
}

func TestMessageTooLarge(t *testing.T) {
	a, b := connPair(t)
	big := Request{Op: OpSpawn, Spawn: &SpawnRequest{Argv: []string{strings.Repeat("x", MaxMessage)}}}
	if err := SendMessage(a, big); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("SendMessage(big) = %v, want ErrMessageTooLarge", err)
	}
	// A peer that ignores the bound is cut off too.
	if _, _, err := a.WriteMsgUnix([]byte(`{"op":"`+strings.Repeat("x", MaxMessage)+`"}`), nil, nil); err != nil {
		t.Fatal(err)
	}
	var got Request
	if _, err := RecvMessage(b, &got); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("RecvMessage(oversized) = %v, want ErrMessageTooLarge", err)
	}
}

func TestMessageTooManyFiles(t *testing.T) {
	a, b := connPair(t)
	var fds []int
	for i := 0; i < MaxFDs+1; i++ {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		fds = append(fds, fd)
	}
	if err := SendMessage(a, Reply{Pid: 1}, fds...); err != nil {
		t.Fatal(err)
	}
	var got Reply
	if _, err := RecvMessage(b, &got); err == nil {
		t.Errorf("RecvMessage(%d files) succeeded, want an error", len(fds))
	}
}

func TestMessageGarbageAndClose(t *testing.T) {
	a, b := connPair(t)
	if _, _, err := a.WriteMsgUnix([]byte("not json"), nil, nil); err != nil {
		t.Fatal(err)
	}
	var got Reply
	if _, err := RecvMessage(b, &got); err == nil {
		t.Errorf("RecvMessage(garbage) succeeded, want an error")
	}
	a.Close()
	if _, err := RecvMessage(b, &got); !errors.Is(err, ErrClosed) {
		t.Errorf("RecvMessage(after close) = %v, want ErrClosed", err)
	}
}

func TestRecvMessageFDsBound(t *testing.T) {
	for _, tt := range []struct {
		send, max int
		wantErr   bool
	}{
		{MaxViewFiles, MaxViewFiles, false},
		{MaxFDs + 1, MaxViewFiles, false},
		{MaxFDs + 1, MaxFDs, true},
		{MaxViewFiles + 1, MaxViewFiles, true},
	} {
		a, b := connPair(t)
		var fds []int
		for i := 0; i < tt.send; i++ {
			f, err := os.Open(os.DevNull)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fds = append(fds, int(f.Fd()))
		}
		if err := SendMessage(a, Request{Op: OpView, View: ViewFiles[:1]}, fds...); err != nil {
			t.Fatal(err)
		}
		var got Request
		files, err := RecvMessageFDs(b, &got, tt.max)
		CloseAll(files)
		if (err != nil) != tt.wantErr || (err == nil && len(files) != tt.send) {
			t.Errorf("RecvMessageFDs(%d files, max %d) = %d files, %v; want error %v", tt.send, tt.max, len(files), err, tt.wantErr)
		}
	}
}
