package sshgate

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/google/go-cmp/cmp"
)

// These tests drive OpenSSH's tools through a relaying server to a backend
// server, whose fake guest is the host.

func TestRelayExec(t *testing.T) {
	r := startRelayed(t, "")
	for _, tc := range []struct {
		args  []string
		stdin string
		want  sshResult
	}{
		{args: []string{"exit 3"}, want: sshResult{code: 3}},
		{args: []string{"echo out; echo err >&2; echo out2"}, want: sshResult{stdout: "out\nout2\n", stderr: "err\n"}},
		{args: []string{"cat"}, stdin: "piped\n", want: sshResult{stdout: "piped\n"}},
		{args: []string{"wc -c"}, stdin: strings.Repeat("0123456789abcdef", 1<<16), want: sshResult{stdout: "1048576\n"}},
	} {
		got := r.front.run(t, sshCmd{key: r.key, login: "alice", args: tc.args, stdin: tc.stdin})
		wantResult(t, "relayed ssh alice "+strings.Join(tc.args, " "), got, tc.want)
	}
	targets, _ := r.relay.dialed()
	fp := fingerprint(t, r.key)
	for _, got := range targets {
		if got.Login != "alice" || got.Owner != "alice" || got.Guest != "alice" || got.KeyFingerprint != fp ||
			got.Source.String() != "127.0.0.1" || got.Grant.Via == "" {
			t.Errorf("relay target = %+v, want login, owner and guest alice, key %s, from 127.0.0.1, with the grant's origin", got, fp)
		}
	}
	if calls := r.front.guests.openCalls(); len(calls) != 0 {
		t.Errorf("the relaying server opened guests itself: %v", calls)
	}
	if calls := r.back.guests.openCalls(); len(calls) != 4 {
		t.Errorf("backend guest opens = %v, want 4", calls)
	}
}

// fingerprint returns the SHA256 fingerprint of key.
func fingerprint(t *testing.T, key userKey) string {
	t.Helper()
	out, err := exec.Command("ssh-keygen", "-l", "-E", "sha256", "-f", key.path+".pub").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))[1]
}

func TestRelayNamedGuest(t *testing.T) {
	r := startRelayed(t, "")
	res := r.front.run(t, sshCmd{key: r.key, login: "alice+web", args: []string{"true"}})
	wantResult(t, "relayed ssh alice+web true", res, sshResult{})
	targets, _ := r.relay.dialed()
	if len(targets) != 1 || targets[0].Login != "alice+web" || targets[0].Owner != "alice" || targets[0].Guest != "web" {
		t.Errorf("relay targets = %+v, want login alice+web, owner alice, guest web", targets)
	}
	if diff := cmp.Diff([]openCall{{"alice", "web"}}, r.back.guests.openCalls()); diff != "" {
		t.Errorf("backend opens mismatch (-want +got):\n%s", diff)
	}
}

func TestRelayInteractivePTY(t *testing.T) {
	r := startRelayed(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), sshTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", r.front.sshArgs(r.key, "alice", []string{"-tt"})...)
	ptm, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatalf("starting ssh on a pty: %v", err)
	}
	defer ptm.Close()
	var out lockedBuffer
	go func() { readInto(&out, ptm) }()
	ptm.WriteString("stty size; tty\r")
	waitFor(t, "the remote terminal's size 24 80", func() bool { return strings.Contains(out.String(), "24 80") })
	if err := pty.Setsize(ptm, &pty.Winsize{Rows: 41, Cols: 101}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // ssh sends window-change on SIGWINCH
	ptm.WriteString("stty size\r")
	waitFor(t, "the remote terminal's size 41 101 after a window change", func() bool {
		return strings.Contains(out.String(), "41 101")
	})
	ptm.WriteString("exit 7\r")
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 7 {
		t.Errorf("interactive ssh ended with %v, want exit status 7; output %q", err, out.String())
	}
	if !strings.Contains(out.String(), "/dev/pts/") {
		t.Errorf("tty in the relayed session printed %q, want a /dev/pts/ terminal", out.String())
	}
}

func TestRelaySFTPAndSCP(t *testing.T) {
	r := startRelayed(t, "")
	dir := t.TempDir()
	data := make([]byte, 10<<20+3)
	rand.Read(data)
	src, remote, back := filepath.Join(dir, "src"), filepath.Join(dir, "remote"), filepath.Join(dir, "back")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	batch := "put " + src + " " + remote + "\nget " + remote + " " + back + "\n"
	res := r.front.runTool(t, r.key, nil, batch, "sftp", "-b", "-", "alice@127.0.0.1")
	if res.code != 0 {
		t.Fatalf("relayed sftp put and get: exit %d, stderr %q", res.code, res.stderr)
	}
	for _, p := range []string{remote, back} {
		if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s after relayed sftp: %d bytes, %v; want the %d bytes put", p, len(got), err, len(data))
		}
	}
	res = r.front.runTool(t, r.key, nil, "", "scp", "alice@127.0.0.1:"+remote, back+".scp")
	if got, err := os.ReadFile(back + ".scp"); res.code != 0 || err != nil || !bytes.Equal(got, data) {
		t.Errorf("relayed scp get: exit %d, stderr %q; copy %d bytes, %v", res.code, res.stderr, len(got), err)
	}
}

// startSSH starts the OpenSSH client in the background until the test ends.
func startSSH(t *testing.T, args []string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("ssh", args...)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("ssh %s: stderr %q", strings.Join(args, " "), stderr.String())
		}
	})
	return cmd
}

// dialUntil dials addr until it answers.
func dialUntil(t *testing.T, what, addr string) net.Conn {
	t.Helper()
	var nc net.Conn
	waitFor(t, what, func() bool {
		var err error
		nc, err = net.Dial("tcp", addr)
		return err == nil
	})
	return nc
}

func TestRelayLocalForwardOpenSSH(t *testing.T) {
	r := startRelayed(t, "")
	echo := echoServer(t)
	local := "127.0.0.1:" + freePort(t)
	startSSH(t, r.front.sshArgs(r.key, "alice", []string{"-N", "-o", "ExitOnForwardFailure=yes", "-L", local + ":" + echo}))
	echoed(t, dialUntil(t, "ssh -L's listener", local), 1<<20)
}

func TestRelayRemoteForwardOpenSSH(t *testing.T) {
	r := startRelayed(t, "")
	echo := echoServer(t)
	remote := "127.0.0.1:" + freePort(t) // in the backend's fake guest: the host
	startSSH(t, r.front.sshArgs(r.key, "alice", []string{"-N", "-o", "ExitOnForwardFailure=yes", "-R", remote + ":" + echo}))
	echoed(t, dialUntil(t, "the remote forward's listener", remote), 1<<20)
}

func TestRelayAgentForwardingOpenSSH(t *testing.T) {
	r := startRelayed(t, "")
	for _, tool := range []string{"ssh-agent", "ssh-add"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is needed: %v", tool, err)
		}
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		agent.Process.Kill()
		agent.Wait()
	})
	waitFor(t, "ssh-agent", func() bool { _, err := os.Stat(sock); return err == nil })
	if out, err := exec.Command("env", "SSH_AUTH_SOCK="+sock, "ssh-add", r.key.path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}
	res := r.front.run(t, sshCmd{key: r.key, login: "alice", opts: []string{"-A"}, env: []string{"SSH_AUTH_SOCK=" + sock},
		args: []string{"ssh-add -L"}})
	if res.code != 0 || !strings.HasPrefix(res.stdout, strings.Join(strings.Fields(r.key.pub)[:2], " ")) {
		t.Errorf("relayed ssh -A alice ssh-add -L: exit %d, stdout %q, stderr %q; want alice's key", res.code, res.stdout, res.stderr)
	}
}

func TestRelayBackendRefusalShown(t *testing.T) {
	r := startRelayed(t, "")
	r.relay.set(func(r *testRelay) {
		r.err = errors.New("guest alice is Pending: 0/3 nodes are available: 3 Insufficient memory")
	})
	res := r.front.run(t, sshCmd{key: r.key, login: "alice", args: []string{"true"}})
	wantResult(t, "relayed ssh alice true with the backend refusing", res, sshResult{code: 1,
		stderr: "vmhost: guest alice is Pending: 0/3 nodes are available: 3 Insufficient memory\r\n"})
}

func TestRelayBackendDeathClosesClient(t *testing.T) {
	r := startRelayed(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), sshTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", r.front.sshArgs(r.key, "alice", nil, "echo up; sleep 60")...)
	var stdout lockedBuffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the relayed session to start", func() bool { return stdout.String() == "up\n" })
	start := time.Now()
	if err := r.back.stop(); err != nil {
		t.Fatalf("stopping the backend: %v", err)
	}
	err := cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("ssh was still running %v after its backend stopped", sshTimeout)
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 255 {
		t.Errorf("ssh after the backend stopped: %v, want exit 255 (connection closed)", err)
	}
	t.Logf("the client's connection closed %v after the backend's", time.Since(start).Round(time.Millisecond))
}

// io_copy copies src to dst until src ends; a pty's EIO at the end is its
// EOF.
func readInto(dst *lockedBuffer, src *os.File) {
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		dst.Write(buf[:n])
		if err != nil {
			return
		}
	}
}

// echoed writes n random bytes on c, an echo through the relay, half-closes
// it and wants them all back.
func echoed(t *testing.T, c net.Conn, n int) {
	t.Helper()
	defer c.Close()
	c.SetDeadline(time.Now().Add(sshTimeout))
	data := make([]byte, n)
	rand.Read(data)
	go func() {
		c.Write(data)
		c.(*net.TCPConn).CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("echo of %d bytes through the relay: got %d bytes (equal: %v), %v", n, len(got), bytes.Equal(got, data), err)
	}
}
