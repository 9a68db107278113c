package sshgate

import (
	"cmp"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"vmhost/config"
	"vmhost/fdbudget"
)

// tcpipForward sends one tcpip-forward request for 127.0.0.1:0 and returns
// the answer and the port given.
func tcpipForward(t *testing.T, c *ssh.Client) (bool, uint32) {
	t.Helper()
	ok, payload, err := c.SendRequest("tcpip-forward", true, ssh.Marshal(tcpipForwardMsg{Addr: "127.0.0.1"}))
	if err != nil {
		t.Fatalf("tcpip-forward: %v", err)
	}
	var m struct{ Port uint32 }
	if ok {
		if err := ssh.Unmarshal(payload, &m); err != nil {
			t.Fatalf("tcpip-forward answer %q: %v", payload, err)
		}
	}
	return ok, m.Port
}

// wantShortage wants err to be a channel refusal for a resource shortage
// whose message contains want.
func wantShortage(t *testing.T, what string, err error, want string) {
	t.Helper()
	var openErr *ssh.OpenChannelError
	if !errors.As(err, &openErr) || openErr.Reason != ssh.ResourceShortage || !strings.Contains(openErr.Message, want) {
		t.Errorf("%s = %v, want a resource shortage saying %q", what, err, want)
	}
}

func TestMaxForwards(t *testing.T) {
	var logs logBuffer
	ts, key := optServer(t, captureLog(t, &logs), func(o *Options) { o.MaxForwards = 3 })
	c := ts.dial(t, "alice", key)
	var first uint32
	for i := range 3 {
		ok, port := tcpipForward(t, c)
		if !ok {
			t.Fatalf("tcpip-forward %d of 3 refused", i+1)
		}
		first = cmp.Or(first, port)
	}
	for range 50 {
		if ok, _ := tcpipForward(t, c); ok {
			t.Fatalf("tcpip-forward past max_forwards 3 accepted")
		}
	}
	if ok, _, err := c.SendRequest("streamlocal-forward@openssh.com", true,
		ssh.Marshal(streamlocalForwardMsg{Path: ts.dir + "/s.sock"})); ok || err != nil {
		t.Errorf("streamlocal-forward past max_forwards = %v, %v, want false", ok, err)
	}
	// Cancelling one makes room for one more.
	ln, err := c.Listen("tcp", "127.0.0.1:0")
	if err == nil {
		t.Fatalf("Listen past max_forwards succeeded")
	}
	ok, _, err := c.SendRequest("cancel-tcpip-forward", true, ssh.Marshal(tcpipForwardMsg{Addr: "127.0.0.1", Port: first}))
	if !ok || err != nil {
		t.Fatalf("cancel-tcpip-forward = %v, %v", ok, err)
	}
	if ln, err = c.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatalf("Listen after a cancel: %v", err)
	}
	ln.Close()
	refused := strings.Count(logs.String(), "err=\"too many remote forwards on this connection (ssh.max_forwards)\"")
	if refused < 1 || refused > failureBurst {
		t.Errorf("%d audit lines of refused forwards for 52 refusals, want 1 to %d", refused, failureBurst)
	}
	// The connection still serves sessions.
	if out, err := newSession(t, c).Output("echo still"); err != nil || string(out) != "still\n" {
		t.Errorf("session after refusals = %q, %v", out, err)
	}
}

func TestMaxForwardChannels(t *testing.T) {
	ts, key := optServer(t, func(o *Options) { o.MaxForwardChannels = 2 })
	c := ts.dial(t, "alice", key)
	target := echoServer(t)
	var open []net.Conn
	for range 2 {
		nc, err := c.Dial("tcp", target)
		if err != nil {
			t.Fatalf("Dial within max_forward_channels: %v", err)
		}
		open = append(open, nc)
	}
	_, err := c.Dial("tcp", target)
	wantShortage(t, "Dial past max_forward_channels", err, "ssh.max_forward_channels")
	_, _, err = c.OpenChannel("direct-streamlocal@openssh.com", ssh.Marshal(directStreamlocalMsg{Path: "/nonexistent"}))
	wantShortage(t, "direct-streamlocal past max_forward_channels", err, "ssh.max_forward_channels")

	// Connections to a remote forward count too: one more is closed at once.
	ln, err := c.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer ln.Close()
	extra, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	extra.SetDeadline(time.Now().Add(sshTimeout))
	if n, err := extra.Read(make([]byte, 1)); err == nil {
		t.Errorf("a connection to a remote forward past max_forward_channels read %d bytes, want it closed", n)
	}

	// A closed channel makes room again.
	roundTrip(t, open[0], "one")
	waitFor(t, "a forwarded connection to be allowed again", func() bool {
		nc, err := c.Dial("tcp", target)
		if err != nil {
			return false
		}
		roundTrip(t, nc, "two")
		return true
	})
	open[1].Close()
}

func TestMaxConnectionsPerUser(t *testing.T) {
	requireSSH(t)
	alice, bob := newUserKey(t, "alice"), newUserKey(t, "bob")
	ts := startServer(t, map[string]config.User{
		"alice": {Keys: []string{alice.pub}},
		"bob":   {Keys: []string{bob.pub}},
	}, func(o *Options) { o.MaxConnectionsPerUser = 1 })
	first := ts.dial(t, "alice", alice)
	if out, err := newSession(t, first).Output("echo first"); err != nil || string(out) != "first\n" {
		t.Fatalf("a session on alice's first connection = %q, %v", out, err)
	}
	second := ts.dial(t, "alice+web", alice) // the same user, another guest
	_, err := second.NewSession()
	wantShortage(t, "a session on alice's second connection", err, "ssh.max_connections_per_user")
	closed := make(chan error, 1)
	go func() { closed <- second.Wait() }()
	select {
	case <-closed:
	case <-time.After(sshTimeout):
		t.Errorf("the server kept a refused connection open")
	}
	if out, err := newSession(t, ts.dial(t, "bob", bob)).Output("echo bob"); err != nil || string(out) != "bob\n" {
		t.Errorf("bob's session while alice is at her bound = %q, %v", out, err)
	}
	if out, err := newSession(t, first).Output("echo again"); err != nil || string(out) != "again\n" {
		t.Errorf("a session on alice's first connection = %q, %v", out, err)
	}
	first.Close()
	waitFor(t, "alice to be allowed a connection again", func() bool {
		c := ts.dial(t, "alice", alice)
		defer c.Close()
		s, err := c.NewSession()
		if err != nil {
			return false
		}
		s.Close()
		return true
	})
}

func TestDescriptorBudget(t *testing.T) {
	budget := fdbudget.New(2)
	ts, key := optServer(t, func(o *Options) { o.Budget = budget })
	c := ts.dial(t, "alice", key)
	for range 2 {
		if ok, _ := tcpipForward(t, c); !ok {
			t.Fatalf("tcpip-forward within the budget refused")
		}
	}
	if ok, _ := tcpipForward(t, c); ok {
		t.Errorf("tcpip-forward past the budget accepted")
	}
	target := echoServer(t)
	_, err := c.Dial("tcp", target)
	wantShortage(t, "Dial past the budget", err, "open files")
	s := newSession(t, c)
	if ok, err := s.SendRequest("auth-agent-req@openssh.com", true, nil); ok || err != nil {
		t.Errorf("auth-agent-req past the budget = %v, %v, want false", ok, err)
	}
	// Logins and sessions take nothing from the budget.
	if out, err := newSession(t, ts.dial(t, "alice", key)).Output("echo in"); err != nil || string(out) != "in\n" {
		t.Errorf("a login while the budget is spent = %q, %v", out, err)
	}
	c.Close()
	waitFor(t, "the connection's descriptors to be given back", func() bool { return budget.Used() == 0 })
}
