package sshgate

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestMaxSessions(t *testing.T) {
	ts, key := optServer(t, func(o *Options) { o.MaxSessions = 2 })
	c := ts.dial(t, "alice", key)
	for i := range 2 {
		if err := newSession(t, c).Start("sleep 30"); err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
	}
	waitFor(t, "2 processes", func() bool { return len(ts.guests.spawnCalls()) == 2 })
	for _, p := range ts.guests.allProcesses() {
		defer p.cmd.Process.Kill()
	}
	var openErr *ssh.OpenChannelError
	if _, err := c.NewSession(); !errors.As(err, &openErr) || openErr.Reason != ssh.ResourceShortage {
		t.Errorf("third session with MaxSessions 2 = %v, want a resource shortage", err)
	}
}

func TestMaxStartups(t *testing.T) {
	ts, key := optServer(t, func(o *Options) { o.MaxStartups = 1 })
	idle, err := net.Dial("tcp", ts.addr) // takes the one slot, never logs in
	if err != nil {
		t.Fatal(err)
	}
	banner := make([]byte, 8)
	if _, err := io.ReadFull(idle, banner); err != nil {
		t.Fatalf("reading the banner: %v", err)
	}
	second, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	second.SetDeadline(time.Now().Add(sshTimeout))
	if got, err := io.ReadAll(second); err != nil || len(got) != 0 {
		t.Errorf("a connection beyond MaxStartups read %q, %v; want it closed at once", got, err)
	}
	idle.Close()
	waitFor(t, "a login once the slot is free", func() bool {
		c, err := ssh.Dial("tcp", ts.addr, &ssh.ClientConfig{User: "alice", Auth: []ssh.AuthMethod{ssh.PublicKeys(key.signer(t))},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: sshTimeout})
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// freezer is a TCP proxy to the server whose client-to-server direction can
// be frozen, as for a client that vanished without closing.
type freezer struct {
	addr         string
	frozen       atomic.Bool
	serverClosed chan struct{}
}

// newFreezer proxies one connection to target.
func newFreezer(t *testing.T, target string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f := &freezer{addr: ln.Addr().String(), serverClosed: make(chan struct{})}
	go func() {
		client, err := ln.Accept()
		if err != nil {
			return
		}
		defer client.Close()
		server, err := net.Dial("tcp", target)
		if err != nil {
			return
		}
		defer server.Close()
		go f.up(server, client)
		io.Copy(client, server)
		close(f.serverClosed)
	}()
	return f
}

// up copies the client's data to the server until frozen, then drops it.
func (f *freezer) up(server, client net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := client.Read(buf)
		if n > 0 && !f.frozen.Load() {
			server.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

func TestKeepaliveUnanswered(t *testing.T) {
	ts, key := optServer(t, func(o *Options) {
		o.KeepaliveInterval = 20 * time.Millisecond
		o.KeepaliveCountMax = 2
	})
	f := newFreezer(t, ts.addr)
	c, err := ssh.Dial("tcp", f.addr, &ssh.ClientConfig{User: "alice", Auth: []ssh.AuthMethod{ssh.PublicKeys(key.signer(t))},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: sshTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Answered keepalives keep the connection: the Go client answers them.
	time.Sleep(10 * 20 * time.Millisecond)
	if out, err := newSession(t, c).Output("echo alive"); err != nil || string(out) != "alive\n" {
		t.Fatalf("session after 10 answered keepalives = %q, %v", out, err)
	}
	f.frozen.Store(true)
	select {
	case <-f.serverClosed:
	case <-time.After(sshTimeout):
		t.Fatalf("the server kept a client that answered no keepalive for %v", sshTimeout)
	}
}

func TestIdleTimeout(t *testing.T) {
	var logs logBuffer
	ts, key := optServer(t, captureLog(t, &logs), func(o *Options) { o.IdleTimeout = 100 * time.Millisecond })
	c := ts.dial(t, "alice", key)
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(sshTimeout):
		t.Fatalf("an idle connection was still open after %v with IdleTimeout 100ms", sshTimeout)
	}
	waitFor(t, "the idle timeout's log line", func() bool {
		return strings.Contains(logs.String(), "no data for 100ms (idle_timeout)")
	})
}

func TestAuthPenalty(t *testing.T) {
	var logs logBuffer
	ts, key := optServer(t, captureLog(t, &logs), func(o *Options) {
		o.Penalty = PenaltyOptions{Burst: 1, Refill: time.Hour, Delay: 50 * time.Millisecond}
	})
	bad := newUserKey(t, "mallory")
	for i := range 3 {
		_, err := ssh.Dial("tcp", ts.addr, &ssh.ClientConfig{User: "alice", Auth: []ssh.AuthMethod{ssh.PublicKeys(bad.signer(t))},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: sshTimeout})
		if err == nil {
			t.Fatalf("login %d with an unknown key succeeded", i)
		}
	}
	if n := strings.Count(logs.String(), "outcome=delayed"); n != 2 {
		t.Errorf("%d of 3 failures were delayed with burst 1, want 2:\n%s", n, logs.String())
	}
	// The address is penalized, yet alice's key gets in at once.
	ts.dial(t, "alice", key)
	if !strings.Contains(logs.String(), "msg=login audit=true outcome=accepted user=alice") {
		t.Errorf("no accepted login in the audit log:\n%s", logs.String())
	}
}
