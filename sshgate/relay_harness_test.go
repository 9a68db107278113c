package sshgate

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"vmhost/config"
)

// testRelay is a Relay to a backend sshgate test server, where it logs in
// as the login typed, with a key of its own.
type testRelay struct {
	addr   string
	signer ssh.Signer

	mu       sync.Mutex
	err      error         // returned by Dial when set
	progress string        // written to the progress writer first
	hold     chan struct{} // when set, Dial waits for it to close
	targets  []RelayTarget
	conns    []ssh.Conn
}

func (r *testRelay) Dial(ctx context.Context, t RelayTarget, progress io.Writer) (*Backend, error) {
	r.mu.Lock()
	r.targets = append(r.targets, t)
	text, hold, err := r.progress, r.hold, r.err
	r.mu.Unlock()
	io.WriteString(progress, text)
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", r.addr)
	if err != nil {
		return nil, err
	}
	conn, chans, reqs, err := ssh.NewClientConn(nc, r.addr, &ssh.ClientConfig{
		User:            t.Login,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(r.signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         sshTimeout,
	})
	if err != nil {
		nc.Close()
		return nil, err
	}
	r.mu.Lock()
	r.conns = append(r.conns, conn)
	r.mu.Unlock()
	return &Backend{Conn: conn, Channels: chans, Requests: reqs}, nil
}

// set changes what the relay does.
func (r *testRelay) set(f func(r *testRelay)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r)
}

// dialed returns the targets dialed so far and the backend connections.
func (r *testRelay) dialed() ([]RelayTarget, []ssh.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]RelayTarget(nil), r.targets...), append([]ssh.Conn(nil), r.conns...)
}

// relayed is a relaying server in front of a backend server.
type relayed struct {
	front, back *testServer
	relay       *testRelay
	key         userKey // alice's key, known to the front
}

// startRelayed starts a backend server where the relay's key logs in as
// alice, and a front server that relays alice's logins (with her key, its
// authorized_keys options opts) to it, with the front's options tweaked.
func startRelayed(t *testing.T, opts string, tweak ...func(*Options)) *relayed {
	t.Helper()
	requireSSH(t)
	key, relayKey := newUserKey(t, "alice"), newUserKey(t, "relay")
	back := startServer(t, map[string]config.User{"alice": {Keys: []string{relayKey.pub}}})
	relay := &testRelay{addr: back.addr, signer: relayKey.signer(t)}
	line := key.pub
	if opts != "" {
		line = opts + " " + key.pub
	}
	tweak = append([]func(*Options){func(o *Options) { o.Relay, o.Guests = relay, nil }}, tweak...)
	front := startServer(t, map[string]config.User{"alice": {Keys: []string{line}}}, tweak...)
	return &relayed{front: front, back: back, relay: relay, key: key}
}

// waitClosed waits for conn to end, or fails the test.
func waitClosed(t *testing.T, what string, conn interface{ Wait() error }) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		conn.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(sshTimeout):
		t.Fatalf("%s did not close within %v", what, sshTimeout)
	}
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// sshArgs returns the OpenSSH client's arguments to log in to ts as login
// with key, the options before the destination and args after it.
func (ts *testServer) sshArgs(key userKey, login string, opts []string, args ...string) []string {
	all := []string{"-F", "none", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR", "-i", key.path, "-p", ts.port}
	all = append(all, opts...)
	all = append(all, login+"@127.0.0.1")
	return append(all, args...)
}

// lockedBuffer is a strings.Builder safe for a writer and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
