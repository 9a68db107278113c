package guestinit

import (
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"vmhost/protocol"

	"golang.org/x/sys/unix"
)

// fileSocketName is the address of the socket fd.
func fileSocketName(t *testing.T, fd int) string {
	t.Helper()
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	switch a := sa.(type) {
	case *unix.SockaddrUnix:
		return a.Name
	case *unix.SockaddrInet4:
		return net.JoinHostPort(net.IP(a.Addr[:]).String(), strconv.Itoa(a.Port))
	}
	return "?"
}

func TestServeSockets(t *testing.T) {
	sp := requireSpawner(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	port := strconv.Itoa(tcp.Addr().(*net.TCPAddr).Port)
	dir := t.TempDir()
	os.Symlink("loop", filepath.Join(dir, "loop"))
	tests := []struct {
		op, network, address string
		want                 string // the socket's own address, or an error
	}{
		{protocol.OpListen, "unix", dir + "/new/dirs/s.sock", dir + "/new/dirs/s.sock"}, // net helper
		{protocol.OpListen, "unix", dir + "/loop/s.sock", "/loop: file exists"},         // net helper
		{protocol.OpDial, "tcp", "127.0.0.1:" + port, "127.0.0.1:"},                     // PID 1
		{protocol.OpDial, "tcp4", "localhost:" + port, "127.0.0.1:"},                    // net helper
		{protocol.OpDial, "udp", "127.0.0.1:53", `network "udp" is not supported`},
	}
	for _, tt := range tests {
		a, b := connPair(t)
		go serveConn(b, sp, log)
		rep, fds := ask(t, a, protocol.Request{Op: tt.op, Network: tt.network, Address: tt.address})
		if rep.Error != "" || len(fds) != 1 {
			if !strings.Contains(rep.Error, tt.want) {
				t.Errorf("%s %s %s = %+v, %d files, want %q", tt.op, tt.network, tt.address, rep, len(fds), tt.want)
			}
			continue
		}
		if got := fileSocketName(t, fds[0]); !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s %s %s: socket at %q, want %q", tt.op, tt.network, tt.address, got, tt.want)
		}
		protocol.CloseAll(fds)
	}
	if fi, err := os.Stat(dir + "/new/dirs"); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("a unix socket's new directory: %v, %v; want mode 0700", fi, err)
	}
}
