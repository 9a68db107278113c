package sshgate

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"vmhost/config"
)

// These tests use the Go SSH client; the fake guest's network and files are
// the host's.

// logBuffer keeps what a logger wrote, for tests that look at audit lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// captureLog makes the server log to a buffer as well as to the test.
func captureLog(t *testing.T, buf *logBuffer) func(*Options) {
	return func(o *Options) {
		w := io.MultiWriter(buf, &testLog{t: t})
		o.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// optServer starts a server where alice may log in, with options tweaked,
// and returns it with alice's key.
func optServer(t *testing.T, tweak ...func(*Options)) (*testServer, userKey) {
	t.Helper()
	requireSSH(t)
	key := newUserKey(t, "alice")
	ts := startServer(t, map[string]config.User{"alice": {Keys: []string{key.pub}}}, tweak...)
	return ts, key
}

// echoServer echoes every TCP connection on the host's 127.0.0.1 until the
// test ends; it returns the address.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip writes msg on c, half-closes it and wants msg back.
func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	defer c.Close()
	c.SetDeadline(time.Now().Add(sshTimeout))
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatalf("writing: %v", err)
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	got, err := io.ReadAll(c)
	if err != nil || string(got) != msg {
		t.Errorf("echo of %q = %q, %v", msg, got, err)
	}
}

func TestDirectTCPIP(t *testing.T) {
	var logs logBuffer
	ts, key := optServer(t, captureLog(t, &logs))
	c := ts.dial(t, "alice", key)
	target := echoServer(t)
	nc, err := c.Dial("tcp", target)
	if err != nil {
		t.Fatalf("Dial(%s) through the server: %v", target, err)
	}
	roundTrip(t, nc, strings.Repeat("through the guest ", 10000))
	if _, err := c.Dial("tcp", "127.0.0.1:1"); err == nil {
		t.Errorf("Dial to a closed port through the server = nil error, want a refusal")
	}
	waitFor(t, "the forward's audit line", func() bool {
		return strings.Contains(logs.String(), "msg=forward audit=true user=alice owner=alice guest=alice") &&
			strings.Contains(logs.String(), "kind=direct-tcpip target="+target) &&
			strings.Contains(logs.String(), "bytes_in=180000 bytes_out=180000")
	})
}

func TestRemoteForward(t *testing.T) {
	ts, key := optServer(t)
	c := ts.dial(t, "alice", key)
	ln, err := c.Listen("tcp", "127.0.0.1:0") // tcpip-forward with port 0
	if err != nil {
		t.Fatalf("Listen through the server: %v", err)
	}
	addr := ln.Addr().String()
	if strings.HasSuffix(addr, ":0") {
		t.Fatalf("Listen(127.0.0.1:0) got address %s, want the port the server chose", addr)
	}
	go func() {
		for {
			fc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer fc.Close()
				io.Copy(fc, fc)
			}()
		}
	}()
	nc, err := net.Dial("tcp", addr) // in the fake guest's network: the host's
	if err != nil {
		t.Fatalf("dialing the remote forward at %s: %v", addr, err)
	}
	roundTrip(t, nc, "back to the client")
	ln.Close() // cancel-tcpip-forward
	waitFor(t, "the remote forward to stop listening", func() bool {
		nc, err := net.Dial("tcp", addr)
		if err == nil {
			nc.Close()
		}
		return err != nil
	})
}

func TestStreamlocalForward(t *testing.T) {
	ts, key := optServer(t)
	c := ts.dial(t, "alice", key)
	path := filepath.Join(t.TempDir(), "sub", "fwd.sock")
	ln, err := c.ListenUnix(path) // streamlocal-forward@openssh.com
	if err != nil {
		t.Fatalf("ListenUnix(%s) through the server: %v", path, err)
	}
	go func() {
		for {
			fc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer fc.Close()
				io.Copy(fc, fc)
			}()
		}
	}()
	// direct-streamlocal@openssh.com to the socket the server listens on.
	nc, err := c.Dial("unix", path)
	if err != nil {
		t.Fatalf("Dial(unix, %s) through the server: %v", path, err)
	}
	roundTrip(t, nc, "over unix sockets both ways")
	c.Close()
	waitFor(t, "the socket file to be removed after the connection", func() bool {
		_, err := net.Dial("unix", path)
		return err != nil && !strings.Contains(err.Error(), "connection refused")
	})
}

func TestForwardingTurnedOff(t *testing.T) {
	ts, key := optServer(t, func(o *Options) {
		o.Forwarding = Forwarding{NoTCP: true, NoStreamlocal: true, NoAgent: true}
	})
	c := ts.dial(t, "alice", key)
	var openErr *ssh.OpenChannelError
	if _, err := c.Dial("tcp", echoServer(t)); !errors.As(err, &openErr) || openErr.Reason != ssh.Prohibited {
		t.Errorf("direct-tcpip with TCP forwarding off = %v, want prohibited", err)
	}
	if _, err := c.Dial("unix", filepath.Join(t.TempDir(), "x.sock")); !errors.As(err, &openErr) || openErr.Reason != ssh.Prohibited {
		t.Errorf("direct-streamlocal with Unix forwarding off = %v, want prohibited", err)
	}
	if _, err := c.Listen("tcp", "127.0.0.1:0"); err == nil {
		t.Errorf("tcpip-forward with TCP forwarding off = nil error, want a refusal")
	}
	if _, err := c.ListenUnix(filepath.Join(t.TempDir(), "y.sock")); err == nil {
		t.Errorf("streamlocal-forward with Unix forwarding off = nil error, want a refusal")
	}
	if ok, err := newSession(t, c).SendRequest("auth-agent-req@openssh.com", true, nil); ok || err != nil {
		t.Errorf("auth-agent-req with agent forwarding off = %v, %v, want false", ok, err)
	}
}
