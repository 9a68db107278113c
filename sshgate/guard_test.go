package sshgate

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"vmhost/guest"
)

// oddGuest is a guest whose init answers as a hostile guest root may make
// it answer: each function set replaces the host guest's.
type oddGuest struct {
	Guest
	listen func(ctx context.Context, network, address string) (net.Listener, error)
	dial   func(ctx context.Context, network, address string) (net.Conn, error)
	spawn  func(ctx context.Context, req guest.SpawnRequest) (guest.Process, error)
}

func (g oddGuest) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	if g.listen != nil {
		return g.listen(ctx, network, address)
	}
	return g.Guest.Listen(ctx, network, address)
}

func (g oddGuest) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	if g.dial != nil {
		return g.dial(ctx, network, address)
	}
	return g.Guest.Dial(ctx, network, address)
}

func (g oddGuest) Spawn(ctx context.Context, req guest.SpawnRequest) (guest.Process, error) {
	if g.spawn != nil {
		return g.spawn(ctx, req)
	}
	return g.Guest.Spawn(ctx, req)
}

// oddProcess is a process whose files are missing.
type oddProcess struct {
	guest.Process
	noStdout, noPTY bool
}

func (p oddProcess) Stdout() io.Reader {
	if p.noStdout {
		return nil
	}
	return p.Process.Stdout()
}

func (p oddProcess) PTY() *os.File {
	if p.noPTY {
		return nil
	}
	return p.Process.PTY()
}

// unixListener listens on a new Unix socket, whatever was asked for.
func unixListener(t *testing.T) func(context.Context, string, string) (net.Listener, error) {
	return func(context.Context, string, string) (net.Listener, error) {
		return net.Listen("unix", filepath.Join(t.TempDir(), "odd.sock"))
	}
}

// tcpListener listens on a new TCP port of 127.0.0.1, whatever was asked for.
func tcpListener(context.Context, string, string) (net.Listener, error) {
	return net.Listen("tcp", "127.0.0.1:0")
}

// odd answers of a guest to what a connection asks for; each must fail that
// request only.
var oddAnswers = []struct {
	name  string
	guest func(t *testing.T, g Guest) Guest
	ask   func(t *testing.T, ts *testServer, c *ssh.Client) bool // reports whether it was served
}{
	{"unix listener for tcp", func(t *testing.T, g Guest) Guest {
		return oddGuest{Guest: g, listen: unixListener(t)}
	}, askTCPForward},
	{"nil listener", func(t *testing.T, g Guest) Guest {
		return oddGuest{Guest: g, listen: func(context.Context, string, string) (net.Listener, error) { return nil, nil }}
	}, askTCPForward},
	{"another port than asked for", func(t *testing.T, g Guest) Guest {
		return oddGuest{Guest: g, listen: tcpListener}
	}, func(t *testing.T, ts *testServer, c *ssh.Client) bool {
		ok, _, err := c.SendRequest("tcpip-forward", true, ssh.Marshal(tcpipForwardMsg{Addr: "127.0.0.1", Port: 1}))
		return ok && err == nil
	}},
	{"tcp listener for unix", func(t *testing.T, g Guest) Guest {
		return oddGuest{Guest: g, listen: tcpListener}
	}, func(t *testing.T, ts *testServer, c *ssh.Client) bool {
		ok, _, err := c.SendRequest("streamlocal-forward@openssh.com", true, ssh.Marshal(streamlocalForwardMsg{Path: ts.dir + "/f.sock"}))
		return ok && err == nil
	}},
	{"tcp listener for the agent", func(t *testing.T, g Guest) Guest {
		return oddGuest{Guest: g, listen: tcpListener}
	}, func(t *testing.T, ts *testServer, c *ssh.Client) bool {
		s := newSession(t, c)
		ok, err := s.SendRequest("auth-agent-req@openssh.com", true, nil)
		return ok && err == nil
	}},
	{"nil connection", func(t *testing.T, g Guest) Guest {
		return oddGuest{Guest: g, dial: func(context.Context, string, string) (net.Conn, error) { return nil, nil }}
	}, func(t *testing.T, ts *testServer, c *ssh.Client) bool {
		nc, err := c.Dial("tcp", "127.0.0.1:9")
		if err == nil {
			nc.Close()
		}
		return err == nil
	}},
	{"nil process", func(t *testing.T, g Guest) Guest {
		return oddGuest{Guest: g, spawn: func(context.Context, guest.SpawnRequest) (guest.Process, error) { return nil, nil }}
	}, askExec},
	{"process without output", func(t *testing.T, g Guest) Guest {
		return oddGuest{Guest: g, spawn: func(ctx context.Context, req guest.SpawnRequest) (guest.Process, error) {
			p, err := g.Spawn(ctx, req)
			return oddProcess{Process: p, noStdout: true}, err
		}}
	}, askExec},
	{"process without its terminal", func(t *testing.T, g Guest) Guest {
		return oddGuest{Guest: g, spawn: func(ctx context.Context, req guest.SpawnRequest) (guest.Process, error) {
			p, err := g.Spawn(ctx, req)
			return oddProcess{Process: p, noPTY: true}, err
		}}
	}, askPTYExec},
	{"a file for a terminal", func(t *testing.T, g Guest) Guest {
		return oddGuest{Guest: g, spawn: func(ctx context.Context, req guest.SpawnRequest) (guest.Process, error) {
			p, err := g.Spawn(ctx, req)
			f, ferr := os.Open("/etc/hostname")
			if ferr != nil {
				t.Fatal(ferr)
			}
			t.Cleanup(func() { f.Close() })
			return filePTYProcess{p, f}, err
		}}
	}, askPTYExec},
	{"no guest", func(t *testing.T, g Guest) Guest { return nil }, askExec},
}

// askTCPForward asks for a remote forward on 127.0.0.1:0.
func askTCPForward(t *testing.T, ts *testServer, c *ssh.Client) bool {
	ok, _, err := c.SendRequest("tcpip-forward", true, ssh.Marshal(tcpipForwardMsg{Addr: "127.0.0.1"}))
	return ok && err == nil
}

// askPTYExec runs a command in a session with a terminal.
func askPTYExec(t *testing.T, ts *testServer, c *ssh.Client) bool {
	s := newSession(t, c)
	if err := s.RequestPty("xterm", 24, 80, nil); err != nil {
		t.Fatalf("RequestPty: %v", err)
	}
	// The output is the terminal's, whatever that is: the exit status says
	// whether the command was run.
	_, err := s.CombinedOutput("echo served")
	return err == nil
}

// filePTYProcess is a process whose terminal is a regular file.
type filePTYProcess struct {
	guest.Process
	f *os.File
}

func (p filePTYProcess) PTY() *os.File { return p.f }

// askExec runs a command in a session.
func askExec(t *testing.T, ts *testServer, c *ssh.Client) bool {
	out, err := newSession(t, c).Output("echo served")
	return err == nil && string(out) == "served\n"
}

func TestOddGuestAnswers(t *testing.T) {
	for _, tt := range oddAnswers {
		t.Run(tt.name, func(t *testing.T) {
			ts, key := optServer(t)
			c := ts.dial(t, "alice", key)
			ts.guests.setWrap(func(g Guest) Guest { return tt.guest(t, g) })
			if tt.ask(t, ts, c) {
				t.Errorf("a request answered with %s was served, want it refused", tt.name)
			}
			ts.guests.setWrap(nil)
			if !askExec(t, ts, c) {
				t.Errorf("the connection no longer serves sessions after %s", tt.name)
			}
			if !askTCPForward(t, ts, c) {
				t.Errorf("the connection no longer serves forwards after %s", tt.name)
			}
		})
	}
}

// panicGuest panics in the function named where.
type panicGuest struct {
	Guest
	where string
}

func (g panicGuest) Listen(ctx context.Context, network, address string) (net.Listener, error) {
	if g.where == "listen" {
		panic("hostile listen answer")
	}
	ln, err := g.Guest.Listen(ctx, network, address)
	if g.where == "accept" && err == nil {
		return panicListener{ln}, nil
	}
	return ln, err
}

func (g panicGuest) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	if g.where == "dial" {
		panic("hostile dial answer")
	}
	return g.Guest.Dial(ctx, network, address)
}

func (g panicGuest) Spawn(ctx context.Context, req guest.SpawnRequest) (guest.Process, error) {
	if g.where == "spawn" {
		panic("hostile spawn answer")
	}
	p, err := g.Guest.Spawn(ctx, req)
	if g.where == "wait" && err == nil {
		return panicProcess{p}, nil
	}
	return p, err
}

// panicListener panics in Accept.
type panicListener struct{ net.Listener }

func (l panicListener) Accept() (net.Conn, error) { panic("hostile accept") }

// panicProcess panics in Wait.
type panicProcess struct{ guest.Process }

func (p panicProcess) Wait() (guest.ExitStatus, error) { panic("hostile wait") }

func TestPanicEndsOnlyItsConnection(t *testing.T) {
	tests := []struct {
		where string
		ask   func(t *testing.T, ts *testServer, c *ssh.Client) bool
	}{
		{"listen", askTCPForward},
		{"accept", askTCPForward},
		{"dial", func(t *testing.T, ts *testServer, c *ssh.Client) bool {
			_, err := c.Dial("tcp", "127.0.0.1:9")
			return err == nil
		}},
		{"spawn", askExec},
		{"wait", askExec},
	}
	for _, tt := range tests {
		t.Run(tt.where, func(t *testing.T) {
			var logs logBuffer
			ts, key := optServer(t, captureLog(t, &logs))
			bystander := ts.dial(t, "alice", key)
			victim := ts.dial(t, "alice", key)
			ts.guests.setWrap(func(g Guest) Guest { return panicGuest{g, tt.where} })
			tt.ask(t, ts, victim)
			done := make(chan error, 1)
			go func() { done <- victim.Wait() }()
			select {
			case <-done:
			case <-time.After(sshTimeout):
				t.Fatalf("the connection was still open after a panic in %s", tt.where)
			}
			ts.guests.setWrap(nil)
			if !askExec(t, ts, bystander) {
				t.Errorf("another connection no longer serves sessions after a panic in %s", tt.where)
			}
			if !askExec(t, ts, ts.dial(t, "alice", key)) {
				t.Errorf("a new connection is not served after a panic in %s", tt.where)
			}
			if !strings.Contains(logs.String(), "panic in a connection") || !strings.Contains(logs.String(), "stack=") {
				t.Errorf("no log line of the panic with its stack")
			}
		})
	}
}
