package sshgate

import (
	"bufio"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// These tests drive the Go SSH client through a relaying server, for what
// OpenSSH's client cannot send or show.

func TestRelaySignalAndExitSignal(t *testing.T) {
	r := startRelayed(t, "")
	c := r.front.dial(t, "alice", r.key)
	var exitErr *ssh.ExitError
	if err := newSession(t, c).Run("kill -KILL $$"); !errors.As(err, &exitErr) || exitErr.Signal() != "KILL" {
		t.Errorf("relayed kill -KILL $$ = %v, want exit-signal KILL", err)
	}
	s := newSession(t, c)
	out, _ := s.StdoutPipe()
	if err := s.Start("echo started; exec sleep 30"); err != nil {
		t.Fatal(err)
	}
	readUntil(t, bufio.NewReader(out), "started")
	if err := s.Signal(ssh.SIGTERM); err != nil {
		t.Fatalf("sending signal TERM: %v", err)
	}
	if err := s.Wait(); !errors.As(err, &exitErr) || exitErr.Signal() != "TERM" {
		t.Errorf("relayed sleep after signal TERM = %v, want exit-signal TERM", err)
	}
}

func TestRelayWindowChange(t *testing.T) {
	r := startRelayed(t, "")
	s := newSession(t, r.front.dial(t, "alice", r.key))
	if err := s.RequestPty("xterm", 24, 80, ssh.TerminalModes{}); err != nil {
		t.Fatalf("pty-req: %v", err)
	}
	in, _ := s.StdinPipe()
	out, _ := s.StdoutPipe()
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(out)
	io.WriteString(in, "stty size\n")
	readUntil(t, br, "24 80")
	if err := s.WindowChange(50, 132); err != nil {
		t.Fatalf("window-change: %v", err)
	}
	io.WriteString(in, "stty size\n")
	readUntil(t, br, "50 132")
}

func TestRelayRemoteForwards(t *testing.T) {
	var logs logBuffer
	r := startRelayed(t, "", captureLog(t, &logs))
	c := r.front.dial(t, "alice", r.key)
	ln, err := c.Listen("tcp", "127.0.0.1:0") // the port the backend chose comes back through the relay
	if err != nil {
		t.Fatalf("tcpip-forward through the relay: %v", err)
	}
	if strings.HasSuffix(ln.Addr().String(), ":0") {
		t.Fatalf("tcpip-forward to port 0 got %s, want the port the backend chose", ln.Addr())
	}
	go echoAll(ln)
	echoed(t, dialUntil(t, "the remote forward", ln.Addr().String()), 256<<10)
	ln.Close() // cancel-tcpip-forward
	waitFor(t, "the backend to stop listening", func() bool {
		nc, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			nc.Close()
		}
		return err != nil
	})

	path := filepath.Join(t.TempDir(), "fwd.sock")
	uln, err := c.ListenUnix(path) // streamlocal-forward, then forwarded-streamlocal back
	if err != nil {
		t.Fatalf("streamlocal-forward through the relay: %v", err)
	}
	go echoAll(uln)
	nc, err := c.Dial("unix", path) // direct-streamlocal to the backend
	if err != nil {
		t.Fatalf("direct-streamlocal through the relay: %v", err)
	}
	roundTrip(t, nc, "over unix sockets both ways, through the relay")
	waitFor(t, "the relayed forwards' audit lines", func() bool {
		l := logs.String()
		return strings.Contains(l, "kind=tcpip-forward outcome=accepted relayed=true") &&
			strings.Contains(l, "kind=forwarded-tcpip outcome=closed relayed=true bytes_in=262144 bytes_out=262144") &&
			strings.Contains(l, "kind=direct-streamlocal@openssh.com outcome=closed relayed=true")
	})
}

// echoAll echoes every connection ln accepts.
func echoAll(ln net.Listener) {
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
}

func TestRelayClientGoneClosesBackend(t *testing.T) {
	r := startRelayed(t, "")
	c := r.front.dial(t, "alice", r.key)
	if out, err := newSession(t, c).Output("echo hi"); err != nil || string(out) != "hi\n" {
		t.Fatalf("relayed echo hi = %q, %v", out, err)
	}
	_, conns := r.relay.dialed()
	if len(conns) != 1 {
		t.Fatalf("backend connections = %d, want 1", len(conns))
	}
	c.Close()
	waitClosed(t, "the backend connection after the client left", conns[0])
}

func TestRelayProgressOnTerminal(t *testing.T) {
	r := startRelayed(t, "")
	hold := make(chan struct{})
	r.relay.set(func(r *testRelay) { r.progress, r.hold = "starting guest alice on node-2...\n", hold })
	c := r.front.dial(t, "alice", r.key)
	s := newSession(t, c)
	stderr, _ := s.StderrPipe()
	out, _ := s.StdoutPipe()
	// pty-req is answered once the backend is up: the progress comes first.
	go func() {
		time.Sleep(100 * time.Millisecond)
		close(hold)
	}()
	if err := s.RequestPty("xterm", 24, 80, ssh.TerminalModes{}); err != nil {
		t.Fatalf("pty-req while the backend is dialed: %v", err)
	}
	if err := s.Start("echo ready"); err != nil {
		t.Fatal(err)
	}
	readUntil(t, bufio.NewReader(stderr), "starting guest alice on node-2...\r\n")
	readUntil(t, bufio.NewReader(out), "ready")
}

func TestRelayProgressNotOnPipes(t *testing.T) {
	r := startRelayed(t, "")
	r.relay.set(func(r *testRelay) { r.progress = "starting guest alice...\n" })
	res := r.front.run(t, sshCmd{key: r.key, login: "alice", args: []string{"echo out"}})
	wantResult(t, "relayed ssh alice echo out with progress", res, sshResult{stdout: "out\n"})
}

func TestRelayRefusalOnForwardAndClose(t *testing.T) {
	old := relayFailGrace
	relayFailGrace = 300 * time.Millisecond
	t.Cleanup(func() { relayFailGrace = old })
	r := startRelayed(t, "")
	r.relay.set(func(r *testRelay) { r.err = errors.New("guest alice is Lost: its files were on node-1, which is gone") })
	c := r.front.dial(t, "alice", r.key)
	var openErr *ssh.OpenChannelError
	_, err := c.Dial("tcp", echoServer(t))
	if !errors.As(err, &openErr) || openErr.Reason != ssh.ConnectionFailed ||
		openErr.Message != "guest alice is Lost: its files were on node-1, which is gone" {
		t.Errorf("direct-tcpip with the backend refusing = %v, want connect failed with the relay's reason", err)
	}
	waitClosed(t, "the connection whose backend could not be dialed", c)
}

func TestRelayBounds(t *testing.T) {
	r := startRelayed(t, "", func(o *Options) { o.MaxSessions, o.MaxForwardChannels = 1, 1 })
	c := r.front.dial(t, "alice", r.key)
	newSession(t, c)
	_, err := c.NewSession()
	wantShortage(t, "a second session with max_sessions 1", err, "too many sessions on this connection (ssh.max_sessions)")
	echo := echoServer(t)
	first, err := c.Dial("tcp", echo)
	if err != nil {
		t.Fatalf("first direct-tcpip: %v", err)
	}
	defer first.Close()
	_, err = c.Dial("tcp", echo)
	wantShortage(t, "a second direct-tcpip with max_forward_channels 1", err, errTooManyChannels.Error())
}

func TestRelayKeyRestrictions(t *testing.T) {
	r := startRelayed(t, `no-pty,no-agent-forwarding,permitopen="127.0.0.1:1",permitlisten="127.0.0.1:2"`)
	c := r.front.dial(t, "alice", r.key)
	s := newSession(t, c)
	if err := s.RequestPty("xterm", 24, 80, ssh.TerminalModes{}); err == nil {
		t.Errorf("pty-req under no-pty = nil error, want a refusal")
	}
	if ok, err := s.SendRequest("auth-agent-req@openssh.com", true, nil); ok || err != nil {
		t.Errorf("auth-agent-req under no-agent-forwarding = %v, %v, want false", ok, err)
	}
	var openErr *ssh.OpenChannelError
	if _, err := c.Dial("tcp", echoServer(t)); !errors.As(err, &openErr) || openErr.Reason != ssh.Prohibited {
		t.Errorf("direct-tcpip outside permitopen = %v, want prohibited", err)
	}
	if _, err := c.Listen("tcp", "127.0.0.1:0"); err == nil {
		t.Errorf("tcpip-forward outside permitlisten = nil error, want a refusal")
	}
	if out, err := s.Output("echo still works"); err != nil || string(out) != "still works\n" {
		t.Errorf("exec after the refusals = %q, %v", out, err)
	}
}

func TestRelayIdleTimeout(t *testing.T) {
	r := startRelayed(t, "", func(o *Options) { o.IdleTimeout = 500 * time.Millisecond })
	c := r.front.dial(t, "alice", r.key)
	if err := newSession(t, c).Start("sleep 60"); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, "the idle relayed connection", c)
	_, conns := r.relay.dialed()
	waitClosed(t, "the idle connection's backend", conns[0])
}

func TestRelayBackendKeepalive(t *testing.T) {
	r := startRelayed(t, "", func(o *Options) {
		o.KeepaliveInterval = 50 * time.Millisecond
		o.KeepaliveCountMax = 2
	})
	f := newFreezer(t, r.back.addr)
	r.relay.set(func(r *testRelay) { r.addr = f.addr })
	c := r.front.dial(t, "alice", r.key) // the Go client answers the front's keepalives
	time.Sleep(10 * 50 * time.Millisecond)
	if out, err := newSession(t, c).Output("echo alive"); err != nil || string(out) != "alive\n" {
		t.Fatalf("relayed session after 10 answered keepalives = %q, %v", out, err)
	}
	f.frozen.Store(true) // the backend hears nothing more, as behind a vanished node
	waitClosed(t, "the connection whose backend stopped answering", c)
}
