package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGuestAuthorizedKeys installs a key with the real ssh-copy-id into
// alice's guest, as on a VM, and checks that it logs in to that guest only,
// also once the guest is stopped (its disk unmounted, with a disk limit),
// and that a file the guest's root leaves unsafe admits nothing.
func TestGuestAuthorizedKeys(t *testing.T) {
	t.Parallel()
	t.Run("files in data_dir", func(t *testing.T) {
		t.Parallel()
		testGuestAuthorizedKeys(t, newDaemon(t, daemonOptions{maxGuests: 3}))
	})
	t.Run("own disk", func(t *testing.T) {
		t.Parallel()
		requireDisks(t)
		var d *daemon
		t.Cleanup(func() {
			if d != nil {
				checkNoLoops(t, d.baseDir)
			}
		})
		d = prepareDaemon(t, daemonOptions{maxGuests: 3})
		d.writeConfig(t, withConfigLines(t, d.cfg.yaml(), "users:\n  alice:\n", "    limits: {disk: 50MiB}\n"))
		d.start(t)
		testGuestAuthorizedKeys(t, d)
	})
}

// testGuestAuthorizedKeys is TestGuestAuthorizedKeys on the daemon d.
func testGuestAuthorizedKeys(t *testing.T, d *daemon) {
	keyDir := makeTempDir(t, d.baseDir, "copy-")
	friend, _ := makeKey(t, keyDir, "friend")
	d.mustSSH(t, "alice", "true")
	d.mustSSH(t, "alice+web", "true")

	ctx, cancel := context.WithTimeout(context.Background(), sshTimeout)
	defer cancel()
	args := []string{"-f", "-i", friend + ".pub", "-p", d.port(), "-F", "/dev/null",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
		"-o", "IdentitiesOnly=yes", "-o", "IdentityFile=" + d.keyOf(t, "alice"), "alice@127.0.0.1"}
	cmd := exec.CommandContext(ctx, "ssh-copy-id", args...)
	home := makeTempDir(t, d.baseDir, "home-") // ssh-copy-id works in ~/.ssh
	if err := os.Mkdir(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(sshEnv(), "HOME="+home)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-copy-id: %v\n%s", err, out)
	}

	if out, errOut, code := d.sshWithKey(t, friend, "alice", "hostname"); code != 0 || out != "alice\n" {
		t.Errorf("ssh with the key ssh-copy-id installed: exit %d, %q, %q; want a login to alice", code, out, errOut)
	}
	for _, login := range []string{"alice+web", "bob", "alice+new"} {
		if _, _, code := d.sshWithKey(t, friend, login, "true"); code != 255 {
			t.Errorf("the key in alice's guest logs in as %s: exit %d, want refused", login, code)
		}
	}

	// A key added and not used before the guest stops works too.
	later, _ := makeKey(t, keyDir, "later")
	d.mustSSH(t, "alice", "echo '"+keyLine(t, later)+"' >> /root/.ssh/authorized_keys")
	d.mustAdmin(t, "guest", "stop", "alice")
	for _, k := range []string{later, friend} {
		if out, _, code := d.sshWithKey(t, k, "alice", "hostname"); code != 0 || out != "alice\n" {
			t.Errorf("the guest's key %s after guest stop: exit %d, %q; want a login that starts it", filepath.Base(k), code, out)
		}
	}

	for _, tt := range []struct{ what, cmd string }{
		{"a group-writable file", "chmod 664 /root/.ssh/authorized_keys"},
		{"a world-writable .ssh", "chmod 777 /root/.ssh"},
		{"a file owned by another user", "chown 1000 /root/.ssh/authorized_keys"},
		{"a symlink", "cp /root/.ssh/authorized_keys /etc/k && rm /root/.ssh/authorized_keys && ln -s /etc/k /root/.ssh/authorized_keys"},
		{"a FIFO", "rm /root/.ssh/authorized_keys && mkfifo /root/.ssh/authorized_keys"},
	} {
		d.mustSSH(t, "alice", "mkdir -p /root/.ssh && chmod 700 /root/.ssh && rm -f /root/.ssh/authorized_keys && echo '"+
			keyLine(t, friend)+"' > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys")
		if _, _, code := d.sshWithKey(t, friend, "alice", "true"); code != 0 {
			t.Fatalf("the key rewritten safely does not log in (exit %d)", code)
		}
		d.mustSSH(t, "alice", tt.cmd)
		start := time.Now()
		if _, _, code := d.sshWithKey(t, friend, "alice", "true"); code != 255 {
			t.Errorf("the guest's key in %s: exit %d, want refused", tt.what, code)
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("the refusal with %s took %v", tt.what, took)
		}
		d.mustSSH(t, "alice", "rm -rf /root/.ssh; true")
	}
	if _, _, code := d.ssh(t, "alice", "true"); code != 0 {
		t.Errorf("alice's own key after the attempts: exit %d, want a login", code)
	}
}

// keyLine returns the public key line of the private key file key.
func keyLine(t *testing.T, key string) string {
	t.Helper()
	out, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
