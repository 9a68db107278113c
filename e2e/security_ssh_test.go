package e2e

import (
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Attacks on the daemon from an SSH client (issue 14): requests that make
// the daemon hold descriptors, and client strings that reach its log.

// goDial connects the Go SSH client to the daemon as login with the private
// key at keyPath.
func (d *daemon) goDial(t testing.TB, login, keyPath string) (*ssh.Client, error) {
	t.Helper()
	data, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		t.Fatal(err)
	}
	return ssh.Dial("tcp", d.cfg.listen, &ssh.ClientConfig{
		User:            login,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         sshTimeout,
	})
}

// timedLogin logs in as login with the OpenSSH client, runs echo, and
// returns how long it took.
func (d *daemon) timedLogin(t testing.TB, login string) time.Duration {
	t.Helper()
	start := time.Now()
	if out := d.mustSSH(t, login, "echo in"); out != "in\n" {
		t.Errorf("ssh %s echo in = %q", login, out)
	}
	return time.Since(start)
}

// TestSecuritySSHForwardFlood: one client sends 20,000 tcpip-forward
// requests on one connection (19,979 were all accepted on main and the
// daemon ran out of descriptors). Past ssh.max_forwards (default 32) each is
// refused, the daemon's descriptors stay bounded, its log gets a bounded
// number of lines, and bob logs in as usual while the client stays
// connected.
func TestSecuritySSHForwardFlood(t *testing.T) {
	t.Parallel()
	const requests, maxForwards = 20000, 32
	d := newToolboxDaemon(t, "")
	d.mustSSH(t, "alice", "true") // the guests exist: the test measures logins
	before := d.timedLogin(t, "bob")
	baseFDs := d.openFDs(t)
	c, err := d.goDial(t, "alice", d.keyOf(t, "alice"))
	if err != nil {
		t.Fatalf("dialing as alice: %v", err)
	}
	defer c.Close()
	accepted := 0
	payload := ssh.Marshal(struct {
		Addr string
		Port uint32
	}{"127.0.0.1", 0})
	for i := range requests {
		ok, _, err := c.SendRequest("tcpip-forward", true, payload)
		if err != nil {
			t.Fatalf("tcpip-forward %d: %v", i, err)
		}
		if ok {
			accepted++
		}
	}
	if accepted != maxForwards {
		t.Errorf("%d of %d tcpip-forward requests accepted, want %d (ssh.max_forwards)", accepted, requests, maxForwards)
	}
	fds := d.openFDs(t)
	t.Logf("the daemon's descriptors: %d before the flood, %d after", baseFDs, fds)
	if fds > baseFDs+maxForwards+64 {
		t.Errorf("the daemon holds %d descriptors after the flood, %d before: want at most %d more", fds, baseFDs, maxForwards+64)
	}
	during := d.timedLogin(t, "bob")
	t.Logf("bob's login: %v before the flood, %v with the flooding client connected", before, during)
	if during > 10*time.Second {
		t.Errorf("bob's login took %v with the flooding client connected (%v before)", during, before)
	}
	if _, _, err := c.SendRequest("keepalive@openssh.com", true, nil); err != nil {
		t.Errorf("the flooding client's connection is gone: %v", err)
	}
	if !strings.Contains(d.log(), `msg="open files" limit=`) {
		t.Errorf("the daemon did not log its open files limit and budget")
	}
	if n := strings.Count(d.log(), "too many remote forwards on this connection"); n < 1 || n > 50 {
		t.Errorf("%d log lines of refused forwards for %d refusals, want 1 to 50", n, requests-maxForwards)
	}
}

// TestSecuritySSHLongLoginName: login attempts with a 100 KB user name
// (with line breaks that would forge log lines) leave only short log lines,
// and bob still logs in.
func TestSecuritySSHLongLoginName(t *testing.T) {
	t.Parallel()
	d := newToolboxDaemon(t, "")
	login := "alice" + strings.Repeat("\n"+`level=ERROR msg="forged"`, 4200)
	if len(login) < 100<<10 {
		t.Fatalf("the login name is %d bytes, want 100 KB", len(login))
	}
	logBefore := len(d.log())
	for range 12 { // 10 fail at once, 2 past ssh.auth_penalty.burst wait 2s each
		if c, err := d.goDial(t, login, d.keyOf(t, "alice")); err == nil {
			c.Close()
			t.Fatalf("a login as a 100 KB user name succeeded")
		}
	}
	d.timedLogin(t, "bob")
	logged := d.log()[logBefore:]
	for line := range strings.Lines(logged) {
		if len(line) > 4096 {
			t.Errorf("a log line of %d bytes: %.300q...", len(line), line)
		}
		if strings.HasPrefix(line, `level=ERROR msg="forged"`) {
			t.Errorf("a forged log line: %q", line)
		}
	}
	if len(logged) > 64<<10 {
		t.Errorf("12 refused logins wrote %d bytes of log, want under 64 KB", len(logged))
	}
}

// TestSecuritySSHStartupsFlood: 110 idle TCP connections from one address
// (127.0.0.1) locked every user out on main. The address gets its share
// (ssh.per_source_max_startups, a third of max_startups by default) and no
// more, and bob logs in from another address (127.0.0.2) in normal time
// while they stay open.
func TestSecuritySSHStartupsFlood(t *testing.T) {
	t.Parallel()
	d := newToolboxDaemon(t, "")
	d.mustSSH(t, "bob", "true") // bob's guest exists: the test measures logins
	open := 0
	for range 110 {
		nc, err := net.DialTimeout("tcp", d.cfg.listen, 5*time.Second)
		if err != nil {
			t.Fatalf("dialing the daemon: %v", err)
		}
		defer nc.Close()
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := nc.Read(make([]byte, 64)); err == nil {
			open++ // it got the banner: a slot is held
		}
	}
	if open != 33 {
		t.Errorf("%d of 110 idle connections from one address hold a slot, want 33 (a third of max_startups 100)", open)
	}
	start := time.Now()
	args := append(d.sshArgs(d.keyOf(t, "bob"), "bob", "-b", "127.0.0.2"), "echo in")
	res := runTool(t, nil, "", sshPath, args...)
	took := time.Since(start)
	if res.code != 0 || res.stdout != "in\n" {
		t.Fatalf("bob's login from 127.0.0.2 while 127.0.0.1 holds its share: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	t.Logf("bob's login took %v", took)
	if took > 10*time.Second {
		t.Errorf("bob's login took %v while one address holds its share", took)
	}
}

// TestSecuritySSHConnectionsPerUser: with ssh.max_connections_per_user 1, a
// second connection of alice is refused with the name of the setting, as
// the OpenSSH client shows it, while bob logs in.
func TestSecuritySSHConnectionsPerUser(t *testing.T) {
	t.Parallel()
	d := newToolboxDaemon(t, "ssh:\n  max_connections_per_user: 1\n")
	d.mustSSH(t, "alice", "true")
	held, err := d.goDial(t, "alice", d.keyOf(t, "alice"))
	if err != nil {
		t.Fatalf("dialing as alice: %v", err)
	}
	if _, _, err := held.SendRequest("keepalive@openssh.com", true, nil); err != nil {
		t.Fatalf("alice's held connection: %v", err)
	}
	// The OpenSSH client tells of a refused channel at LogLevel INFO, its
	// default.
	args := d.sshArgs(d.keyOf(t, "alice"), "alice")
	args[slices.Index(args, "LogLevel=ERROR")] = "LogLevel=INFO"
	res := runTool(t, nil, "", sshPath, append(args, "echo in")...)
	if res.code != 255 || !strings.Contains(res.stderr, "resource shortage") || !strings.Contains(res.stderr, "max_connections_per_user") {
		t.Errorf("alice's second connection: exit %d, stderr %q, want 255 and the setting's name", res.code, res.stderr)
	}
	d.timedLogin(t, "bob")
	held.Close()
	deadline := time.Now().Add(sshTimeout)
	for {
		out, _, _ := d.ssh(t, "alice", "echo in")
		if out == "in\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alice cannot log in again after closing her other connection")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
