package guestinit

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
	"vmhost/protocol"

	"golang.org/x/sys/unix"
)

// connPair returns two connected SOCK_SEQPACKET connections.
func connPair(t *testing.T) (a, b *net.UnixConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	x, err := protocol.FileConn(fds[0])
	if err != nil {
		t.Fatal(err)
	}
	y, err := protocol.FileConn(fds[1])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close(); y.Close() })
	return x, y
}

// ask sends req on c and returns the reply's error text and files.
func ask(t *testing.T, c *net.UnixConn, req protocol.Request) (protocol.Reply, []int) {
	t.Helper()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if err := protocol.SendMessage(c, req); err != nil {
		t.Fatal(err)
	}
	var rep protocol.Reply
	fds, err := protocol.RecvMessage(c, &rep)
	if err != nil {
		t.Fatalf("reading the reply to %s: %v", req.Op, err)
	}
	return rep, fds
}

func TestServeConnPanicFailsOnlyTheRequest(t *testing.T) {
	handlers["test-panic"] = func(*net.UnixConn, *protocol.Request, *spawner, *slog.Logger) {
		var m map[string]int
		m["boom"]++ // a nil map: a runtime panic, as a bug would cause
	}
	defer delete(handlers, "test-panic")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	for i := 0; i < 2; i++ { // the second request is served as the first was
		a, b := connPair(t)
		done := make(chan struct{})
		go func() { serveConn(b, nil, log); close(done) }()
		rep, fds := ask(t, a, protocol.Request{Op: "test-panic"})
		protocol.CloseAll(fds)
		if !strings.Contains(rep.Error, "the guest's init failed while serving a request") || !strings.Contains(rep.Error, "nil map") {
			t.Errorf("reply to a request whose handler panics = %+v, want an error naming the panic", rep)
		}
		<-done
	}
	if !strings.Contains(logs.String(), "panic while serving a request") || !strings.Contains(logs.String(), "goroutine") {
		t.Errorf("init log = %q, want the panic with its stack", logs.String())
	}
	a, b := connPair(t)
	go serveConn(b, nil, log)
	if rep, _ := ask(t, a, protocol.Request{Op: "nonsense"}); rep.Error != "unknown operation nonsense" {
		t.Errorf("reply to an unknown operation = %+v", rep)
	}
}
