package sshgate

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"vmhost/config"
)

// sshTimeout bounds every ssh command, so that a bug cannot hang the tests.
const sshTimeout = 20 * time.Second

// testServer is a Server on 127.0.0.1 with a fake Guests.
type testServer struct {
	addr   string
	port   string
	guests *fakeGuests
	dir    string
	stop   func() error // cancels Serve's context and returns what it returned
}

// testLog is a slog destination that forwards to t.Log until the test ends;
// sessions may log after their client is gone.
type testLog struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (l *testLog) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done = true
}

// newTestLogger returns a debug logger to t that goes quiet when t ends.
func newTestLogger(t *testing.T) *slog.Logger {
	l := &testLog{t: t}
	t.Cleanup(l.stop)
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startServer serves users on a free port until the test ends.
func startServer(t *testing.T, users map[string]config.User, tweak ...func(*Options)) *testServer {
	t.Helper()
	dir := t.TempDir()
	log := newTestLogger(t)
	ts := &testServer{guests: &fakeGuests{}, dir: dir}
	opts := Options{
		HostKeyDir: seedHostKeys(t, dir),
		Users:      NewKeyStore(users, "", log),
		Guests:     ts.guests,
		Logger:     log,
	}
	for _, f := range tweak {
		f(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	_, ts.port, _ = net.SplitHostPort(ts.addr)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	ts.stop = sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-served:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("Serve did not return 10s after its context was cancelled")
		}
	})
	t.Cleanup(func() {
		if err := ts.stop(); err != nil {
			t.Errorf("stopping the server: Serve = %v, want nil", err)
		}
	})
	return ts
}

// requireSSH skips the test when the OpenSSH client is missing.
func requireSSH(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the OpenSSH client is needed: %s not found in PATH", tool)
		}
	}
}

// userKey is a key pair made by ssh-keygen.
type userKey struct {
	path string // private key file
	pub  string // authorized_keys line
}

// newUserKey makes an ed25519 key pair with ssh-keygen.
func newUserKey(t *testing.T, name string) userKey {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return userKey{path: path, pub: strings.TrimSpace(string(pub))}
}

// signer returns the key as a signer for the Go ssh client.
func (k userKey) signer(t *testing.T) ssh.Signer {
	t.Helper()
	data, err := os.ReadFile(k.path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.ParsePrivateKey(data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sshResult is how an ssh command ended.
type sshResult struct {
	stdout, stderr string
	code           int
}

// sshCmd is one run of the OpenSSH client.
type sshCmd struct {
	key   userKey
	login string
	opts  []string // extra ssh arguments before the destination
	args  []string // the remote command
	stdin string
	env   []string // extra environment of the ssh client
}

// run runs the OpenSSH client against ts.
func (ts *testServer) run(t *testing.T, c sshCmd) sshResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sshTimeout)
	defer cancel()
	args := []string{"-F", "none",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR",
		"-i", c.key.path, "-p", ts.port}
	args = append(args, c.opts...)
	args = append(args, c.login+"@127.0.0.1")
	args = append(args, c.args...)
	cmd := exec.CommandContext(ctx, "ssh", args...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdin = strings.NewReader(c.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("ssh %s timed out after %v; stdout %q, stderr %q", strings.Join(args, " "), sshTimeout, stdout.String(), stderr.String())
	}
	res := sshResult{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("running ssh: %v", err)
	}
	return res
}

// dial connects the Go ssh client as login with key.
func (ts *testServer) dial(t *testing.T, login string, key userKey) *ssh.Client {
	t.Helper()
	c, err := ssh.Dial("tcp", ts.addr, &ssh.ClientConfig{
		User:            login,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(key.signer(t))},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         sshTimeout,
	})
	if err != nil {
		t.Fatalf("ssh.Dial as %s: %v", login, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
