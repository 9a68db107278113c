package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Helpers of the toolbox tests: scp, sftp, forwarding, agent and multiplexing.

// Paths of the other OpenSSH client tools.
const (
	scpPath      = "/usr/bin/scp"
	sftpPath     = "/usr/bin/sftp"
	sshAgentPath = "/usr/bin/ssh-agent"
	sshAddPath   = "/usr/bin/ssh-add"
)

// guestHelperPath is where uploadHelper puts the helper inside a guest.
const guestHelperPath = "/guesthelper"

// newToolboxDaemon starts a daemon whose config ends with sshSection (an
// ssh: section, or "").
func newToolboxDaemon(t *testing.T, sshSection string) *daemon {
	t.Helper()
	d := prepareDaemon(t, daemonOptions{})
	d.writeConfig(t, d.cfg.yaml()+sshSection)
	d.start(t)
	return d
}

// requireTools skips the test when an OpenSSH tool it drives is missing.
func requireTools(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is needed: %v (install openssh-client)", p, err)
		}
	}
}

// toolArgs are the options scp and sftp take before their operands: those of
// sshArgs, with the port as -P.
func (d *daemon) toolArgs(key string) []string {
	return []string{
		"-F", "none",
		"-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes",
		"-o", "IdentitiesOnly=yes",
		"-o", "LogLevel=ERROR",
		"-i", key,
		"-P", d.port(),
	}
}

// toolResult is how a client tool ended.
type toolResult struct {
	stdout, stderr string
	code           int
}

// runTool runs the tool at path with args and stdin, within sshTimeout.
func runTool(t testing.TB, env []string, stdin string, path string, args ...string) toolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sshTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = env
	if env == nil {
		cmd.Env = sshEnv()
	}
	cmd.Stdin = strings.NewReader(stdin)
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %q: no end within %v; stderr: %q", filepath.Base(path), args, sshTimeout, errOut.String())
	}
	res := toolResult{stdout: out.String(), stderr: errOut.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", path, err)
	}
	return res
}

// mustRun is runTool that fails the test unless the tool exits 0.
func mustRun(t testing.TB, stdin, path string, args ...string) toolResult {
	t.Helper()
	res := runTool(t, nil, stdin, path, args...)
	if res.code != 0 {
		t.Fatalf("%s %q: exit status %d; stdout %q, stderr %q", filepath.Base(path), args, res.code, res.stdout, res.stderr)
	}
	return res
}

// background is a client tool running until the test ends.
type background struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	exited chan struct{}
}

// startBackground starts the tool at path, killed by its pid when the test
// ends.
func startBackground(t testing.TB, env []string, path string, args ...string) *background {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Env = env
	if env == nil {
		cmd.Env = sshEnv()
	}
	b := &background{cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = b.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	go func() {
		cmd.Wait()
		close(b.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-b.exited
	})
	return b
}

// waitFor polls cond every 20ms until it holds, or fails the test after
// timeout, saying what it waited for.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// writeRandomFile writes size random bytes to path and returns their sha256.
func writeRandomFile(t testing.TB, path string, size int64) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, size); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fileSHA256 returns the sha256 of the file at path.
func fileSHA256(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// guestSHA256 returns the sha256 of a file inside login's guest.
func (d *daemon) guestSHA256(t testing.TB, login, path string) string {
	t.Helper()
	out := d.mustSSH(t, login, "sha256sum "+path)
	sum, _, _ := strings.Cut(out, " ")
	return sum
}

// uploadHelper builds guesthelper (static) and puts it at guestHelperPath in
// login's guest with sftp.
func (d *daemon) uploadHelper(t testing.TB, login string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "guesthelper")
	if err := buildStatic(bin, "vmhost/e2e/guesthelper"); err != nil {
		t.Fatal(err)
	}
	batch := fmt.Sprintf("put %s %s\nchmod 755 %s\n", bin, guestHelperPath, guestHelperPath)
	mustRun(t, batch, sftpPath, append(d.toolArgs(d.keyOf(t, login)), "-b", "-", login+"@127.0.0.1")...)
}

// serveHost serves every TCP connection on a free port of the host's
// 127.0.0.1 with handle until the test ends, and returns the address.
func serveHost(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	return serveTCP(t, "127.0.0.1:0", handle)
}

// serveTCP serves every TCP connection on addr with handle until the test
// ends, and returns the address it listens on.
func serveTCP(t testing.TB, addr string, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp4", addr)
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
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}
