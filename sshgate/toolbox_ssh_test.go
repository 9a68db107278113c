package sshgate

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// These tests drive OpenSSH's sftp, scp and ssh -A against the fake guest,
// whose sftp subsystem is pkg/sftp on the host's files.

// runTool runs an OpenSSH tool with the options of ts.run, the port given
// as -P, and returns its result.
func (ts *testServer) runTool(t *testing.T, key userKey, env []string, stdin, tool string, args ...string) sshResult {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s is needed: %v", tool, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), sshTimeout)
	defer cancel()
	all := append([]string{"-F", "none", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR", "-i", key.path, "-P", ts.port}, args...)
	cmd := exec.CommandContext(ctx, tool, all...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := sshResult{stdout: stdout.String(), stderr: stderr.String()}
	if err != nil {
		res.code = -1
		if cmd.ProcessState != nil {
			res.code = cmd.ProcessState.ExitCode()
		}
	}
	return res
}

func TestSFTPSubsystem(t *testing.T) {
	var logs logBuffer
	ts, key := optServer(t, captureLog(t, &logs))
	dir := t.TempDir()
	data := make([]byte, 3<<20+5)
	rand.Read(data)
	src, remote, back := filepath.Join(dir, "src"), filepath.Join(dir, "remote"), filepath.Join(dir, "back")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	batch := "put " + src + " " + remote + "\nget " + remote + " " + back + "\n"
	res := ts.runTool(t, key, nil, batch, "sftp", "-b", "-", "alice@127.0.0.1")
	if res.code != 0 {
		t.Fatalf("sftp put and get: exit %d, stderr %q", res.code, res.stderr)
	}
	for _, p := range []string{remote, back} {
		if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s after sftp: %d bytes, %v; want the %d bytes put", p, len(got), err, len(data))
		}
	}
	if calls := ts.guests.spawnCalls(); len(calls) != 1 || calls[0].Subsystem != "sftp" || calls[0].TTY != nil {
		t.Errorf("spawn requests for sftp = %+v, want one for the sftp subsystem without a terminal", calls)
	}
	res = ts.runTool(t, key, nil, "", "scp", src, "alice@127.0.0.1:"+remote+".scp")
	if got, err := os.ReadFile(remote + ".scp"); res.code != 0 || err != nil || !bytes.Equal(got, data) {
		t.Errorf("scp (SFTP mode): exit %d, stderr %q; copy %d bytes, %v", res.code, res.stderr, len(got), err)
	}
	size := fmt.Sprint(len(data))
	waitFor(t, "the sftp session's audit lines", func() bool {
		l := logs.String()
		return strings.Contains(l, `msg="session ended" audit=true user=alice owner=alice guest=alice`) &&
			strings.Contains(l, "kind=sftp path="+remote+" mode=write outcome=closed bytes_read=0 bytes_written="+size) &&
			strings.Contains(l, "kind=sftp path="+remote+" mode=read outcome=closed bytes_read="+size+" bytes_written=0")
	})
}

func TestAgentForwarding(t *testing.T) {
	ts, key := optServer(t)
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
	env := []string{"SSH_AUTH_SOCK=" + sock}
	if out, err := exec.Command("env", "SSH_AUTH_SOCK="+sock, "ssh-add", key.path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}
	// The fake guest is the host: its ssh-add talks to the socket the server made.
	res := ts.run(t, sshCmd{key: key, login: "alice", opts: []string{"-A"}, env: env,
		args: []string{`echo "$SSH_AUTH_SOCK"; stat -c %a "$(dirname "$SSH_AUTH_SOCK")" "$SSH_AUTH_SOCK"; ssh-add -L`}})
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if res.code != 0 || len(lines) != 4 || !strings.HasPrefix(lines[0], "/tmp/ssh-") || lines[1] != "700" || lines[2] != "600" ||
		!strings.HasPrefix(lines[3], strings.Join(strings.Fields(key.pub)[:2], " ")) {
		t.Fatalf("ssh -A alice: exit %d, stdout %q, stderr %q; want the socket, modes 700 and 600, and alice's key", res.code, res.stdout, res.stderr)
	}
	waitFor(t, "the agent socket's directory to be removed", func() bool {
		_, err := os.Stat(filepath.Dir(lines[0]))
		return os.IsNotExist(err)
	})
}
