package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// hostKeyDir holds host keys made once for the run (ssh-keygen -A style
// files), copied into each daemon's data_dir so that no daemon spends its
// start generating an RSA key.
var hostKeyDir string

// hostKeyFiles are the host keys vmhostd keeps in its data_dir, with the
// ssh-keygen arguments that make each.
var hostKeyFiles = map[string][]string{
	"ssh_host_ed25519_key": {"-t", "ed25519"},
	"ssh_host_ecdsa_key":   {"-t", "ecdsa", "-b", "256"},
	"ssh_host_rsa_key":     {"-t", "rsa", "-b", "3072"},
}

// makeHostKeys makes the run's host keys in dir.
func makeHostKeys(dir string) error {
	for name, args := range hostKeyFiles {
		args = append(args, "-q", "-N", "", "-C", "vmhost-e2e", "-f", filepath.Join(dir, name))
		if out, err := exec.Command(sshKeygenPath, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ssh-keygen %s: %v\n%s", name, err, out)
		}
	}
	hostKeyDir = dir
	return nil
}

// seedHostKeys copies the run's host keys into dataDir.
func seedHostKeys(t testing.TB, dataDir string) {
	t.Helper()
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name := range hostKeyFiles {
		data, err := os.ReadFile(filepath.Join(hostKeyDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dataDir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
