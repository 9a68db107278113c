package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Helpers of the tests with clients other than OpenSSH's: PuTTY, Dropbear,
// sshfs, rclone, lftp, curl, libssh and Ansible.

// requireClient skips the test when a tool of the Debian package pkg is
// missing.
func requireClient(t *testing.T, pkg string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is needed: %v (make deps installs %s)", p, err, pkg)
		}
	}
}

// hostPublicKeys returns the daemon's host public keys (those of the run),
// each as "type base64".
func hostPublicKeys(t testing.TB) []string {
	t.Helper()
	var keys []string
	for name := range hostKeyFiles {
		data, err := os.ReadFile(filepath.Join(hostKeyDir, name+".pub"))
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(data))
		if len(f) < 2 {
			t.Fatalf("%s.pub: no key in %q", name, data)
		}
		keys = append(keys, f[0]+" "+f[1])
	}
	slices.Sort(keys)
	return keys
}

// knownHosts writes an OpenSSH known_hosts file naming the daemon's host
// keys for 127.0.0.1 on its port, and returns its path: clients that read
// one then trust the daemon without a prompt, and would refuse another key.
func (d *daemon) knownHosts(t testing.TB, dir string) string {
	t.Helper()
	return writeKnownHosts(t, dir, "[127.0.0.1]:"+d.port())
}

// writeKnownHosts writes dir/known_hosts naming the run's host keys for
// host, and returns its path.
func writeKnownHosts(t testing.TB, dir, host string) string {
	t.Helper()
	var b strings.Builder
	for _, k := range hostPublicKeys(t) {
		fmt.Fprintf(&b, "%s %s\n", host, k)
	}
	path := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// hostKeyFingerprints returns the SHA256 fingerprints of the daemon's host
// keys, as ssh-keygen -l prints them ("SHA256:...").
func hostKeyFingerprints(t testing.TB) []string {
	t.Helper()
	var fps []string
	for name := range hostKeyFiles {
		res := mustRun(t, "", sshKeygenPath, "-l", "-E", "sha256", "-f", filepath.Join(hostKeyDir, name+".pub"))
		f := strings.Fields(res.stdout)
		if len(f) < 2 {
			t.Fatalf("ssh-keygen -l %s: %q", name, res.stdout)
		}
		fps = append(fps, f[1])
	}
	return fps
}

// homeEnv is the test's environment with HOME set to a new directory, so
// that a client's own files (known hosts, config, caches) stay in the test.
func homeEnv(t testing.TB) (env []string, home string) {
	t.Helper()
	home = t.TempDir()
	env = slices.DeleteFunc(sshEnv(), func(kv string) bool {
		return strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "XDG_")
	})
	return append(env, "HOME="+home), home
}

// mustRunEnv is runTool with env that fails the test unless the tool exits 0.
func mustRunEnv(t testing.TB, env []string, stdin, path string, args ...string) toolResult {
	t.Helper()
	res := runTool(t, env, stdin, path, args...)
	if res.code != 0 {
		t.Fatalf("%s %q: exit status %d; stdout %q, stderr %q", filepath.Base(path), args, res.code, res.stdout, res.stderr)
	}
	return res
}
