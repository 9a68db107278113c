package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// target is one SSH server under measure: vmhostd or the baseline sshd.
type target struct {
	name  string // "vmhost" or "sshd"
	port  int
	login string // the login of a warm session: a running guest, or root
	cpu   serverCPU
}

// client runs the OpenSSH client with one key and the same algorithms for
// every target, so that only the server differs.
type client struct {
	key string
}

// args are ssh's arguments up to the destination.
func (c client) args(t target, login string, extra ...string) []string {
	args := []string{
		"-F", "none", "-T",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR",
		"-o", "KexAlgorithms=curve25519-sha256", "-o", "HostKeyAlgorithms=ssh-ed25519",
		"-o", "Ciphers=aes128-gcm@openssh.com",
		"-i", c.key, "-p", strconv.Itoa(t.port),
	}
	return append(append(args, extra...), login+"@127.0.0.1")
}

// run runs cmd as login on t and returns its stdout.
func (c client) run(t target, login, cmd string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ssh := exec.CommandContext(ctx, "ssh", append(c.args(t, login), cmd)...)
	ssh.Env = withoutAgent()
	var out, errOut bytes.Buffer
	ssh.Stdout, ssh.Stderr = &out, &errOut
	if err := ssh.Run(); err != nil {
		return out.String(), fmt.Errorf("ssh %s@%s %q: %w: %s", login, t.name, cmd, err, errOut.Bytes())
	}
	return out.String(), nil
}

// withoutAgent is the environment without SSH_AUTH_SOCK.
func withoutAgent() []string {
	var env []string
	for _, kv := range os.Environ() {
		if len(kv) < 14 || kv[:14] != "SSH_AUTH_SOCK=" {
			env = append(env, kv)
		}
	}
	return env
}

// keygen makes an ed25519 key pair at path and returns the public key line.
func keygen(path string) (string, error) {
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f", path).CombinedOutput(); err != nil {
		return "", fmt.Errorf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(path + ".pub")
	return string(pub), err
}
