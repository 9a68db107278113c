package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// sshTimeout bounds every ssh run.
const sshTimeout = 60 * time.Second

// sshArgs are the arguments of an ssh run up to the destination: no config
// file, no known hosts, no agent, only the given key. extra go before the
// destination.
func (d *daemon) sshArgs(key, login string, extra ...string) []string {
	args := []string{
		"-F", "none",
		"-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes",
		"-o", "IdentitiesOnly=yes",
		"-o", "LogLevel=ERROR",
		"-i", key,
		"-p", d.port(),
	}
	args = append(args, extra...)
	return append(args, login+"@127.0.0.1")
}

// sshEnv is the environment of ssh: the test's, without an agent.
func sshEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "SSH_AUTH_SOCK=")
	})
}

// keyOf returns the private key of the user in login ("alice" or "alice+web").
func (d *daemon) keyOf(t testing.TB, login string) string {
	t.Helper()
	user, _, _ := strings.Cut(login, "+")
	key, ok := d.keys[user]
	if !ok {
		t.Fatalf("no key for user %q", user)
	}
	return key
}

// ssh runs `ssh login@127.0.0.1 args...` with the user's key and stdin from
// /dev/null, and returns its output and exit status (255 when ssh itself
// fails or the remote command is killed by a signal).
func (d *daemon) ssh(t testing.TB, login string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return d.sshWithKey(t, d.keyOf(t, login), login, args...)
}

// sshWithKey is ssh with the private key at key.
func (d *daemon) sshWithKey(t testing.TB, key, login string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sshTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, sshPath, append(d.sshArgs(key, login), args...)...)
	cmd.Env = sshEnv()
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("ssh %s %q: no end within %v; stderr: %q", login, args, sshTimeout, errOut.String())
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running ssh: %v", err)
	}
	return out.String(), errOut.String(), code
}

// mustSSH runs cmd as login and returns its stdout; it fails the test when
// the command exits non-zero.
func (d *daemon) mustSSH(t testing.TB, login, cmd string) string {
	t.Helper()
	out, errOut, code := d.ssh(t, login, cmd)
	if code != 0 {
		t.Fatalf("ssh %s %q: exit status %d; stdout %q, stderr %q", login, cmd, code, out, errOut)
	}
	return out
}

// terminal is an interactive `ssh -tt` session on a pty of its own, as a user
// at a terminal would run it.
type terminal struct {
	t      testing.TB
	cmd    *exec.Cmd
	pty    *os.File
	exited chan struct{} // closed when ssh has exited
	more   chan struct{} // receives a value after each read
	eof    chan struct{} // closed when the pty gives no more output

	mu  sync.Mutex
	buf []byte // all output so far
	off int    // start of the output expect has not consumed
}

// sshPTY starts `ssh -tt login@127.0.0.1 args...` on a new pty of rows x cols.
func (d *daemon) sshPTY(t testing.TB, login string, rows, cols uint16, args ...string) *terminal {
	t.Helper()
	cmd := exec.Command(sshPath, append(d.sshArgs(d.keyOf(t, login), login, "-tt"), args...)...)
	cmd.Env = append(sshEnv(), "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: rows, Cols: cols})
	if err != nil {
		t.Fatalf("starting ssh on a pty: %v", err)
	}
	s := &terminal{
		t: t, cmd: cmd, pty: f,
		exited: make(chan struct{}),
		more:   make(chan struct{}, 1),
		eof:    make(chan struct{}),
	}
	go s.read()
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			cmd.Process.Kill()
			<-s.exited
		}
		f.Close()
	})
	return s
}

// read copies the pty's output into the buffer until the pty ends.
func (s *terminal) read() {
	defer close(s.eof)
	b := make([]byte, 4096)
	for {
		n, err := s.pty.Read(b)
		if n > 0 {
			s.mu.Lock()
			s.buf = append(s.buf, b[:n]...)
			s.mu.Unlock()
			select {
			case s.more <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

// write types text on the terminal.
func (s *terminal) write(text string) {
	s.t.Helper()
	if _, err := s.pty.WriteString(text); err != nil {
		s.t.Fatalf("writing %q to the terminal: %v", text, err)
	}
}

// expect waits until the output not yet consumed matches re, consumes it up
// to the end of the match and returns the match and its groups.
func (s *terminal) expect(re *regexp.Regexp, timeout time.Duration) []string {
	s.t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	ended := false
	for {
		if m := s.match(re); m != nil {
			return m
		}
		if ended {
			s.t.Fatalf("terminal ended without %q; output not consumed: %q", re, s.rest())
		}
		select {
		case <-s.more:
		case <-s.eof:
			ended = true
		case <-timer.C:
			s.t.Fatalf("no %q on the terminal within %v; output not consumed: %q", re, timeout, s.rest())
		}
	}
}

// match consumes and returns the first match of re in the output not yet
// consumed, or returns nil.
func (s *terminal) match(re *regexp.Regexp) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	loc := re.FindSubmatchIndex(s.buf[s.off:])
	if loc == nil {
		return nil
	}
	m := make([]string, len(loc)/2)
	for i := range m {
		if loc[2*i] >= 0 {
			m[i] = string(s.buf[s.off+loc[2*i] : s.off+loc[2*i+1]])
		}
	}
	s.off += loc[1]
	return m
}

// rest returns the output not yet consumed.
func (s *terminal) rest() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.buf[s.off:])
}

// markedRE matches what run prints. The typed command line, echoed back, does
// not match: in it a quote follows "@@B".
var markedRE = regexp.MustCompile(`@@B([^"]*?)@@E`)

// run types cmd at the shell prompt and returns its output, which the shell
// prints between markers (its words joined by single spaces).
func (s *terminal) run(cmd string) string {
	s.t.Helper()
	s.write(`echo "@@B"$(` + cmd + `)"@@E"` + "\r")
	return s.expect(markedRE, 20*time.Second)[1]
}

// resize changes the terminal's size, as a terminal window does.
func (s *terminal) resize(rows, cols uint16) {
	s.t.Helper()
	if err := pty.Setsize(s.pty, &pty.Winsize{Rows: rows, Cols: cols}); err != nil {
		s.t.Fatalf("resizing the terminal: %v", err)
	}
}

// wait waits up to timeout for ssh to exit and returns its exit status.
func (s *terminal) wait(timeout time.Duration) int {
	s.t.Helper()
	select {
	case <-s.exited:
		return s.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		s.t.Fatalf("ssh still running %v later; output not consumed: %q", timeout, s.rest())
		return -1
	}
}
