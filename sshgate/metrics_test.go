package sshgate

import (
	"io"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"
)

// countingMetrics records what a Server tells its Metrics.
type countingMetrics struct {
	mu                    sync.Mutex
	logins                map[string]int
	errors                map[string]int
	handshakes, loggedIn  int
	sessions, forwards    int // open now
	sessionsSeen          map[string]int
	forwardIn, forwardOut int64
	sftpRead, sftpWritten int64
}

func newCountingMetrics() *countingMetrics {
	return &countingMetrics{logins: map[string]int{}, errors: map[string]int{}, sessionsSeen: map[string]int{}}
}

func (m *countingMetrics) do(f func()) { m.mu.Lock(); defer m.mu.Unlock(); f() }

func (m *countingMetrics) Login(o string)          { m.do(func() { m.logins[o]++ }) }
func (m *countingMetrics) Handshake(time.Duration) { m.do(func() { m.handshakes++ }) }
func (m *countingMetrics) LoggedIn(time.Duration)  { m.do(func() { m.loggedIn++ }) }
func (m *countingMetrics) SessionOpened(id string) {
	m.do(func() { m.sessions++; m.sessionsSeen[id]++ })
}
func (m *countingMetrics) SessionClosed(string) { m.do(func() { m.sessions-- }) }
func (m *countingMetrics) ForwardOpened()       { m.do(func() { m.forwards++ }) }
func (m *countingMetrics) Error(kind string)    { m.do(func() { m.errors[kind]++ }) }
func (m *countingMetrics) SFTP(r, w int64)      { m.do(func() { m.sftpRead += r; m.sftpWritten += w }) }
func (m *countingMetrics) ForwardClosed(in, out int64) {
	m.do(func() { m.forwards--; m.forwardIn += in; m.forwardOut += out })
}

// snapshot is what the test compares.
type metricsSnapshot struct {
	Logins, Errors        map[string]int
	Handshakes, LoggedIn  int
	Sessions, Forwards    int
	SessionsSeen          map[string]int
	ForwardIn, ForwardOut int64
}

func (m *countingMetrics) snapshot() (s metricsSnapshot) {
	m.do(func() {
		s = metricsSnapshot{Logins: clone(m.logins), Errors: clone(m.errors), Handshakes: m.handshakes,
			LoggedIn: m.loggedIn, Sessions: m.sessions, Forwards: m.forwards, SessionsSeen: clone(m.sessionsSeen),
			ForwardIn: m.forwardIn, ForwardOut: m.forwardOut}
	})
	return s
}

func clone(m map[string]int) map[string]int {
	c := map[string]int{}
	for k, v := range m {
		c[k] = v
	}
	return c
}

// TestMetricsHooks logs in, is refused, runs a command and forwards five
// bytes, and checks what the server told its Metrics.
func TestMetricsHooks(t *testing.T) {
	m := newCountingMetrics()
	ts, key := optServer(t, func(o *Options) { o.Metrics = m })
	stranger := newUserKey(t, "mallory")
	for _, login := range []string{"alice", "nobody"} {
		cfg := &ssh.ClientConfig{User: login, Auth: []ssh.AuthMethod{ssh.PublicKeys(stranger.signer(t))},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second}
		if c, err := ssh.Dial("tcp", ts.addr, cfg); err == nil {
			c.Close()
			t.Fatalf("%s with a stranger's key logged in", login)
		}
	}
	c := ts.dial(t, "alice", key)
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run("true"); err != nil {
		t.Fatal(err)
	}
	forwardFive(t, c)
	c.Close()
	want := metricsSnapshot{
		Logins: map[string]int{LoginAccepted: 1, LoginRefusedKey: 1, LoginUnknownUser: 1},
		Errors: map[string]int{ErrorHandshake: 2}, Handshakes: 1, LoggedIn: 1,
		SessionsSeen: map[string]int{"alice": 1}, ForwardIn: 5, ForwardOut: 5,
	}
	var got metricsSnapshot
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got = m.snapshot(); cmp.Equal(got, want) {
			return
		}
	}
	t.Errorf("metrics told (-want +got):\n%s", cmp.Diff(want, got))
}

// forwardFive sends five bytes through a direct-tcpip forward to an echo
// server and reads them back.
func forwardFive(t *testing.T, c *ssh.Client) {
	t.Helper()
	nc, err := c.Dial("tcp", echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(nc, buf); err != nil {
		t.Fatal(err)
	}
	nc.(interface{ CloseWrite() error }).CloseWrite()
	io.Copy(io.Discard, nc)
}

// TestMetricsPenalty checks a penalized failure is counted, and the
// penalized address is told until its allowance comes back.
func TestMetricsPenalty(t *testing.T) {
	m := newCountingMetrics()
	ts, _ := optServer(t, func(o *Options) {
		o.Metrics = m
		o.Penalty = PenaltyOptions{Burst: 1, Refill: time.Hour, Delay: 10 * time.Millisecond}
	})
	bad := newUserKey(t, "mallory")
	for i := range 3 {
		cfg := &ssh.ClientConfig{User: "alice", Auth: []ssh.AuthMethod{ssh.PublicKeys(bad.signer(t))},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: sshTimeout}
		if c, err := ssh.Dial("tcp", ts.addr, cfg); err == nil {
			c.Close()
			t.Fatalf("login %d with an unknown key succeeded", i)
		}
	}
	if got := m.snapshot().Logins; got[LoginPenalty] != 2 || got[LoginRefusedKey] != 3 {
		t.Errorf("logins told %v, want 3 refused keys and 2 penalties", got)
	}
}

func TestPenalizedSources(t *testing.T) {
	clock := newFakeClock()
	p := newPenalties(PenaltyOptions{Burst: 2, Refill: 10 * time.Second}, clock.now)
	failN(p, "192.0.2.1", 2)
	failN(p, "192.0.2.2", 1)
	if n := p.penalized(); n != 1 {
		t.Errorf("penalized() = %d with one address past its allowance, want 1", n)
	}
	clock.add(10 * time.Second)
	if n := p.penalized(); n != 0 {
		t.Errorf("penalized() = %d once a failure is allowed again, want 0", n)
	}
	if n := newPenalties(PenaltyOptions{Disabled: true}, clock.now).penalized(); n != 0 {
		t.Errorf("penalized() of a disabled penalty = %d", n)
	}
}
