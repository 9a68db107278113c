package sshgate

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"vmhost/config"
)

// These tests use the Go SSH client for what OpenSSH's client cannot send:
// signals, window changes, single requests and channel types.

// goServer starts a server where alice may log in, and dials it.
func goServer(t *testing.T) (*testServer, *ssh.Client) {
	t.Helper()
	requireSSH(t) // for ssh-keygen
	key := newUserKey(t, "alice")
	ts := startServer(t, map[string]config.User{"alice": {Keys: []string{key.pub}}})
	return ts, ts.dial(t, "alice", key)
}

// newSession opens a session, closed when the test ends.
func newSession(t *testing.T, c *ssh.Client) *ssh.Session {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// readUntil reads r until the text read contains want, or fails the test.
func readUntil(t *testing.T, r *bufio.Reader, want string) string {
	t.Helper()
	var got strings.Builder
	deadline := time.AfterFunc(sshTimeout, func() { t.Errorf("timed out waiting for %q; read %q", want, got.String()) })
	defer deadline.Stop()
	for !strings.Contains(got.String(), want) {
		b, err := r.ReadByte()
		if err != nil {
			t.Fatalf("reading until %q: %v; read %q", want, err, got.String())
		}
		got.WriteByte(b)
	}
	return got.String()
}

func TestExitSignalName(t *testing.T) {
	_, c := goServer(t)
	err := newSession(t, c).Run("kill -KILL $$")
	var exitErr *ssh.ExitError
	if !errors.As(err, &exitErr) || exitErr.Signal() != "KILL" {
		t.Errorf("Run(kill -KILL $$) = %v, want an exit-signal KILL", err)
	}
}

func TestSignalRequest(t *testing.T) {
	_, c := goServer(t)
	s := newSession(t, c)
	out, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("trap 'echo got-usr1; exit 7' USR1; echo ready; while :; do sleep 0.05; done"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	r := bufio.NewReader(out)
	readUntil(t, r, "ready")
	if err := s.Signal(ssh.SIGUSR1); err != nil {
		t.Fatalf("Signal: %v", err)
	}
	readUntil(t, r, "got-usr1")
	var exitErr *ssh.ExitError
	if err := s.Wait(); !errors.As(err, &exitErr) || exitErr.ExitStatus() != 7 {
		t.Errorf("Wait after SIGUSR1 = %v, want exit status 7", err)
	}
}

func TestWindowChangeAndModes(t *testing.T) {
	ts, c := goServer(t)
	s := newSession(t, c)
	if err := s.Setenv("TERM", "vt100"); err != nil { // the pty's term wins
		t.Fatalf("Setenv(TERM): %v", err)
	}
	modes := ssh.TerminalModes{ssh.ECHO: 0, ssh.VINTR: 7, ssh.TTY_OP_OSPEED: 38400}
	if err := s.RequestPty("xterm-test", 24, 80, modes); err != nil {
		t.Fatalf("RequestPty: %v", err)
	}
	in, _ := s.StdinPipe()
	out, _ := s.StdoutPipe()
	script := `echo TERM=$TERM; stty size; stty -a | grep -o -e '-echo ' -e 'intr = ^G'; echo waiting; read x; stty size`
	if err := s.Start(script); err != nil {
		t.Fatalf("Start: %v", err)
	}
	r := bufio.NewReader(out)
	first := readUntil(t, r, "waiting")
	for _, want := range []string{"TERM=xterm-test\r\n", "24 80\r\n", "-echo", "intr = ^G"} {
		if !strings.Contains(first, want) {
			t.Errorf("terminal output %q lacks %q", first, want)
		}
	}
	if err := s.WindowChange(50, 132); err != nil {
		t.Fatalf("WindowChange: %v", err)
	}
	io.WriteString(in, "go\n")
	readUntil(t, r, "50 132")
	if err := s.Wait(); err != nil {
		t.Errorf("Wait: %v", err)
	}
	if got := ts.guests.spawns[0].TTY; got.Rows != 24 || got.Cols != 80 || got.Modes[53] != 0 {
		t.Errorf("spawn TTY = %+v, want 24x80 with ECHO (53) off", got)
	}
}

func TestSessionRequestReplies(t *testing.T) {
	_, c := goServer(t)
	s := newSession(t, c)
	env := func(name, value string) []byte {
		return ssh.Marshal(struct{ Name, Value string }{name, value})
	}
	pty := ssh.Marshal(ptyReqMsg{Term: "xterm", Cols: 80, Rows: 24})
	tests := []struct {
		name    string
		payload []byte
		want    bool
	}{
		{"env", env("LANG", "C"), true},
		{"env", env("LD_PRELOAD", "/x.so"), false},
		{"env", env("PATH", "/x"), false},
		{"signal", ssh.Marshal(struct{ Name string }{"TERM"}), false}, // nothing runs yet
		{"window-change", ssh.Marshal(windowChangeMsg{Cols: 1, Rows: 1}), false},
		{"pty-req", pty, true},
		{"pty-req", pty, false}, // at most one
		{"window-change", ssh.Marshal(windowChangeMsg{Cols: 100, Rows: 30}), true},
		{"subsystem", ssh.Marshal(struct{ Name string }{"nosuch"}), false},
		{"x11-req", nil, false},
		{"auth-agent-req@openssh.com", nil, true},
		{"keepalive@openssh.com", nil, false},
		{"exec", []byte{1}, false}, // malformed
		{"exec", ssh.Marshal(struct{ Command string }{"sleep 5"}), true},
		{"exec", ssh.Marshal(struct{ Command string }{"true"}), false}, // one per channel
		{"shell", nil, false},
		{"env", env("LANG", "C"), false}, // too late
		{"pty-req", pty, false},
	}
	for _, tt := range tests {
		got, err := s.SendRequest(tt.name, true, tt.payload)
		if err != nil {
			t.Fatalf("SendRequest(%s): %v", tt.name, err)
		}
		if got != tt.want {
			t.Errorf("SendRequest(%s, %q) = %v, want %v", tt.name, tt.payload, got, tt.want)
		}
	}
	if ok, err := s.SendRequest("signal", true, ssh.Marshal(struct{ Name string }{"KILL"})); !ok || err != nil {
		t.Errorf("signal KILL to a running process = %v, %v, want true", ok, err)
	}
}

func TestGlobalRequestsAndChannels(t *testing.T) {
	_, c := goServer(t)
	for _, name := range []string{"keepalive@openssh.com", "nosuch@example.com"} {
		ok, _, err := c.SendRequest(name, true, nil)
		if ok || err != nil {
			t.Errorf("global request %s = %v, %v, want false, nil", name, ok, err)
		}
	}
	tests := []struct {
		typ     string
		payload []byte
		want    ssh.RejectionReason
	}{
		{"x11", nil, ssh.UnknownChannelType},
		{"direct-tcpip", nil, ssh.ConnectionFailed},
		{"direct-tcpip", ssh.Marshal(directTCPIPMsg{Host: "127.0.0.1", Port: 70000}), ssh.ConnectionFailed},
		{"direct-streamlocal@openssh.com", nil, ssh.ConnectionFailed},
	}
	for _, tt := range tests {
		_, _, err := c.OpenChannel(tt.typ, tt.payload)
		var openErr *ssh.OpenChannelError
		if !errors.As(err, &openErr) || openErr.Reason != tt.want {
			t.Errorf("OpenChannel(%s, %q) = %v, want a rejection with %v", tt.typ, tt.payload, err, tt.want)
		}
	}
	// The connection still serves sessions, until the client says no more.
	if out, err := newSession(t, c).Output("echo still"); err != nil || string(out) != "still\n" {
		t.Errorf("session after refusals = %q, %v", out, err)
	}
	if ok, _, err := c.SendRequest("no-more-sessions@openssh.com", true, nil); !ok || err != nil {
		t.Fatalf("no-more-sessions@openssh.com = %v, %v, want true", ok, err)
	}
	var openErr *ssh.OpenChannelError
	if _, err := c.NewSession(); !errors.As(err, &openErr) || openErr.Reason != ssh.Prohibited {
		t.Errorf("NewSession after no-more-sessions = %v, want a rejection", err)
	}
}

// A client closing its channel releases the process's files but does not kill
// the process: it may be nohup'ed.
func TestClientCloseKeepsProcess(t *testing.T) {
	ts, c := goServer(t)
	s := newSession(t, c)
	if err := s.Start("exec sleep 30"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	var p *hostProcess
	waitFor(t, "the process to start", func() bool { p = ts.guests.lastProcess(); return p != nil })
	defer p.cmd.Process.Kill()
	s.Close()
	waitFor(t, "Process.Close", p.isClosed)
	if err := p.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("process after the client closed its channel: %v, want it running", err)
	}
}

// Cancelling Serve's context closes connections in flight.
func TestServeCancelClosesConnections(t *testing.T) {
	ts, c := goServer(t)
	s := newSession(t, c)
	if err := s.Start("sleep 30"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitFor(t, "the process to start", func() bool { return ts.guests.lastProcess() != nil })
	defer ts.guests.lastProcess().cmd.Process.Kill()
	if err := ts.stop(); err != nil {
		t.Fatalf("stopping the server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("the connection was still open 5s after the server stopped")
	}
	if _, err := net.DialTimeout("tcp", ts.addr, time.Second); err == nil {
		t.Errorf("the listener still accepts connections after the server stopped")
	}
}

// A client that does not log in is disconnected after LoginGraceTime.
func TestLoginGraceTime(t *testing.T) {
	requireSSH(t)
	ts := startServer(t, nil, func(o *Options) { o.LoginGraceTime = 200 * time.Millisecond })
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(sshTimeout))
	start := time.Now()
	if _, err := io.ReadAll(nc); err != nil {
		t.Fatalf("reading from the server: %v, want it to close the connection", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the server closed an idle login after %v, want about 200ms", took)
	}
}

func TestNewRequiresUsersAndGuests(t *testing.T) {
	if _, err := New(Options{HostKeyDir: t.TempDir()}); err == nil {
		t.Errorf("New without Users and Guests = nil error, want one")
	}
}

// waitFor polls cond until it holds or the test times out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(sshTimeout); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
