package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestToolboxAgentForwarding checks ssh -A: the guest's shell has
// SSH_AUTH_SOCK on a socket only the guest's root can use, through which the
// client's agent lists its key and signs; the socket is gone once the
// connection ends. The busybox image has no ssh-add, so the test uploads a
// static helper that speaks the agent protocol.
func TestToolboxAgentForwarding(t *testing.T) {
	requireTools(t, sshAgentPath, sshAddPath)
	t.Parallel()
	d := newToolboxDaemon(t, "")
	d.uploadHelper(t, "alice")
	env := startAgent(t, d.keyOf(t, "alice"))
	pub, err := os.ReadFile(d.keyOf(t, "alice") + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	keyBlob := strings.Fields(string(pub))[1]

	script := `echo "sock=$SSH_AUTH_SOCK"; ls -ld "$(dirname "$SSH_AUTH_SOCK")" "$SSH_AUTH_SOCK"; ` +
		guestHelperPath + ` agent-list && ` + guestHelperPath + ` agent-sign`
	res := runTool(t, env, "", sshPath, append(d.sshArgs(d.keyOf(t, "alice"), "alice", "-A"), script)...)
	if res.code != 0 {
		t.Fatalf("ssh -A alice: exit %d; stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"sock=/tmp/ssh-", "drwx------", "srw-------", keyBlob, "signature ok"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("ssh -A alice: output %q lacks %q", res.stdout, want)
		}
	}
	waitFor(t, 10*time.Second, "the agent socket to be removed after the connection", func() bool {
		out, _, _ := d.ssh(t, "alice", "ls -d /tmp/ssh-* 2>/dev/null")
		return out == ""
	})
	t.Run("NotAsked", func(t *testing.T) {
		res := runTool(t, env, "", sshPath, append(d.sshArgs(d.keyOf(t, "alice"), "alice"), `echo "sock=$SSH_AUTH_SOCK"`)...)
		if res.stdout != "sock=\n" {
			t.Errorf("ssh alice without -A: %q, want no SSH_AUTH_SOCK", res.stdout)
		}
	})
}

// startAgent starts an ssh-agent of the test's own on a socket in a
// temporary directory, killed by its pid when the test ends, and adds key to
// it. It returns the environment for ssh with SSH_AUTH_SOCK set.
func startAgent(t *testing.T, key string) []string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "agent.sock")
	startBackground(t, nil, sshAgentPath, "-D", "-a", sock)
	waitFor(t, 10*time.Second, "ssh-agent to listen", func() bool {
		_, err := os.Stat(sock)
		return err == nil
	})
	env := append(sshEnv(), "SSH_AUTH_SOCK="+sock)
	if res := runTool(t, env, "", sshAddPath, key); res.code != 0 {
		t.Fatalf("ssh-add %s: exit %d: %s", key, res.code, res.stderr)
	}
	return env
}
